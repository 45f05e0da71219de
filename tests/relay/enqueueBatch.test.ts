// One enqueue of many envelopes (a room's multi-recipient send, a send batch), on both backends:
// each envelope gets its own outcome as if stored one by one — a recipient with no account, a
// stale registration id, a queue whose cap the batch itself fills — its recipient's envelopes come
// back in the order given, the shared part is stored once with the count of envelopes that took
// it, and the message counter of each recipient grows by what it received.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { AccountHasher, legacyAccountHash } from '../../relay/identity';
import { SqliteStorage } from '../../relay/storage/sqlite';
import { PostgresStorage } from '../../relay/storage/postgres';
import type { NewEnvelope, RelayStorage } from '../../relay/storage/types';
import { dropSchema, freshSchema, PG_URL, skipPostgres } from '../helpers/relay/postgres';

const HOUR_MS = 3_600_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function keying() {
  const h = new AccountHasher(randomBytes(32));
  return () => ({
    hash: (id: string) => h.hash(id),
    legacyHash: legacyAccountHash,
    keyCheck: () => h.keyCheck(),
  });
}

const backends: { kind: string; open: () => Promise<RelayStorage> }[] = [
  {
    kind: 'sqlite',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wisp-relay-batch-'));
      const storage = new SqliteStorage({ dataDir: dir, accountKeying: keying() });
      cleanups.push(async () => {
        await storage.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return storage;
    },
  },
  ...(skipPostgres()
    ? []
    : [
        {
          kind: 'postgres',
          open: async () => {
            const schema = freshSchema();
            const storage = await PostgresStorage.open({ url: PG_URL!, schema, accountKeying: keying() });
            cleanups.push(async () => {
              await storage.close();
              await dropSchema(schema);
            });
            return storage as RelayStorage;
          },
        },
      ]),
];

for (const { kind, open } of backends) {
  describe(`enqueue of a batch (${kind})`, () => {
    it('gives each envelope the outcome storing it alone would, and keeps one recipient’s in order', async () => {
      const storage = await open();
      const account = async (registrationId: number) => {
        const idHash = randomBytes(32);
        await storage.createAccount({
          idHash,
          identityKey: randomBytes(33),
          registrationId,
          createdOn: '2026-01-01',
        });
        return idHash;
      };
      const [a, b, c] = [await account(7), await account(8), await account(9)];
      const nobody = randomBytes(32);
      const shared = { bytes: randomBytes(300) };
      const expiresAt = Date.now() + HOUR_MS;
      const env = (recipientHash: Buffer, extra: Partial<NewEnvelope> = {}): NewEnvelope => ({
        recipientHash,
        id: randomUUID(),
        payload: randomBytes(20),
        shared,
        expiresAt,
        ...extra,
      });
      // c already holds one envelope: with a cap of 3, the batch can add two for it, not three.
      await storage.enqueue([env(c, { shared: undefined })], { maxEnvelopes: 3, maxBytes: 1e9 });
      const batch = [
        env(a, { expectRegistrationId: 7 }),
        env(nobody),
        env(b, { expectRegistrationId: 1 }),
        env(c),
        env(a),
        env(c),
        env(c),
      ];
      const outcomes = await storage.enqueue(batch, { maxEnvelopes: 3, maxBytes: 1e9 });
      expect(outcomes).toEqual(['stored', 'noAccount', 'stale', 'stored', 'stored', 'stored', 'full']);

      const queued = async (h: Buffer) =>
        (await storage.fetchQueued(h, 0, 10, Date.now())).map((e) => ({
          id: e.id,
          payload: Buffer.from(e.payload),
        }));
      const whole = (e: NewEnvelope) => Buffer.concat([e.payload, shared.bytes]);
      expect(await queued(a)).toEqual([
        { id: batch[0]!.id, payload: whole(batch[0]!) },
        { id: batch[4]!.id, payload: whole(batch[4]!) },
      ]);
      expect(await queued(b)).toEqual([]);
      expect((await queued(c)).slice(1)).toEqual([
        { id: batch[3]!.id, payload: whole(batch[3]!) },
        { id: batch[5]!.id, payload: whole(batch[5]!) },
      ]);
      const received = async (h: Buffer) => (await storage.getAccount(h))?.messagesReceived;
      expect(await received(a)).toBe(2);
      expect(await received(b)).toBe(0);
      expect(await received(c)).toBe(3);

      // The shared part goes with the last of the four envelopes that took it, not before.
      await storage.ack(a, [batch[0]!.id, batch[4]!.id]);
      await storage.ack(c, [batch[3]!.id]);
      expect(await queued(c)).toHaveLength(2);
      expect((await queued(c))[1]!.payload).toEqual(whole(batch[5]!));
    });

    it('refuses a sealed send whose token is listed twice at the second copy, writing nothing', async () => {
      const storage = await open();
      const to = randomBytes(32);
      await storage.createAccount({
        idHash: to,
        identityKey: randomBytes(33),
        registrationId: 7,
        createdOn: '2026-01-01',
      });
      const expiresAt = Date.now() + HOUR_MS;
      const token = () => ({ hash: randomBytes(32), expiresAt });
      const env = (): NewEnvelope => ({
        recipientHash: to,
        id: randomUUID(),
        payload: randomBytes(20),
        expiresAt,
      });
      const [t1, t2] = [token(), token()];
      const caps = { maxEnvelopes: 10, maxBytes: 1e9 };
      expect(await storage.enqueueSpending([env(), env(), env()], caps, [t1, t2, t2])).toEqual({
        alreadySpent: 2,
        outcomes: [],
      });
      expect(await storage.spendTokens([t1, t1])).toBe(1);
      // Nothing was written: both tokens are still good and nothing is queued.
      expect(await storage.fetchQueued(to, 0, 10, Date.now())).toEqual([]);
      expect(await storage.spendTokens([t1, t2])).toBe(-1);
    });
  });
}
