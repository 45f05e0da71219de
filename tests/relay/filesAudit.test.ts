// Issue 14: what a relay's files give away after a real session. Three real engines (SQLCipher
// profiles, libsignal) talk through a real relay with an SQLite file database: they message each
// other, send delivery and read receipts, attach a file, acknowledge everything and release their
// usernames. Then every byte of the relay's files (database, WAL, shared memory; not the server
// key file) is read, once while the relay runs and once after it stopped, as a thief would: no
// account id (raw or as the old unkeyed SHA-256), no per-sender counter, only whole-hour deadlines
// and no number that dates a send, a receipt or a read to better than an hour.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { Engine } from '../../core/engine';
import { createWorld, testKeyStore, type TestWorld } from '../helpers/engine/fixtures';
import { startTamperProxy } from '../helpers/engine/tamperProxy';
import { postgresBackend } from '../helpers/relay/relayDb';
import { skipPostgres } from '../helpers/relay/postgres';
import { startRelay } from '../../relay';
import { keygen } from '../../relay/serverKeys';
import { SignalUser } from '../helpers/relay/signalUser';
import { AccountId } from '../../common/wire';

const HOUR_MS = 3_600_000;
const MAX_TTL_MS = 30 * 24 * HOUR_MS;

let world: TestWorld;
beforeEach(async () => {
  world = await createWorld();
});
afterEach(async () => {
  await world.close();
});

/** Every form an account id could be written in: text, upper case, bare hex, 16 bytes, and hashed. */
function idForms(id: string): Buffer[] {
  const hex = id.replace(/-/g, '');
  const sha = (s: string) => createHash('sha256').update(s).digest();
  return [
    Buffer.from(id),
    Buffer.from(id.toUpperCase()),
    Buffer.from(hex),
    Buffer.from(hex, 'hex'),
    sha(`wisp-account:${id}`),
    sha(id),
  ];
}

/** The relay's files, server key excluded. */
function relayFiles(dir: string): { name: string; bytes: Buffer }[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('relay.sqlite'))
    .map((f) => ({ name: f, bytes: readFileSync(join(dir, f)) }));
}

/**
 * Offsets where a big-endian integer (the widths SQLite records use: 4, 6 and 8 bytes) or a decimal
 * string holds a value that dates the session: a millisecond or second time inside it, or that time
 * plus the 30-day maximum TTL (a deadline computed from it). Whole hours date nothing finer.
 */
function datingValues(bytes: Buffer, from: number, to: number): string[] {
  const windows: [number, number, number][] = [];
  for (const shift of [0, MAX_TTL_MS])
    for (const unit of [1, 1000])
      windows.push([Math.floor((from + shift) / unit), Math.ceil((to + shift) / unit), unit]);
  const hits: string[] = [];
  const check = (v: number, where: string) => {
    for (const [lo, hi, unit] of windows)
      if (v >= lo && v <= hi && (v * unit) % HOUR_MS !== 0) hits.push(`${where}: ${v}`);
  };
  for (let i = 0; i + 8 <= bytes.length; i++) {
    check(bytes.readUInt32BE(i), `u32@${i}`);
    check(bytes.readUIntBE(i, 6), `u48@${i}`);
    const big = bytes.readBigUInt64BE(i);
    if (big < BigInt(Number.MAX_SAFE_INTEGER)) check(Number(big), `u64@${i}`);
  }
  for (const m of bytes.toString('latin1').matchAll(/\d{10,13}/g)) check(Number(m[0]), `text@${m.index}`);
  return hits;
}

interface Audit {
  ids: Map<string, string>;
  from: number;
  to: number;
}

function audit(files: { name: string; bytes: Buffer }[], a: Audit): void {
  expect(files.some((f) => f.name === 'relay.sqlite')).toBe(true);
  for (const f of files) {
    for (const [who, id] of a.ids)
      for (const form of idForms(id))
        expect(f.bytes.includes(form), `${f.name}: ${who}'s account id (${form.length} bytes)`).toBe(false);
    expect(f.bytes.includes(Buffer.from('messages_sent')), `${f.name}: a per-sender counter`).toBe(false);
    expect(datingValues(f.bytes, a.from, a.to), `${f.name}: exact times`).toEqual([]);
  }
}

/** Reads the stored rows from a copy of the database (the live files are not opened by the test). */
function storedDeadlines(files: { name: string; bytes: Buffer }[], scratch: string): number[] {
  mkdirSync(scratch, { recursive: true });
  for (const f of files) writeFileSync(join(scratch, f.name), f.bytes);
  const db = new Database(join(scratch, 'relay.sqlite'), { readonly: true });
  try {
    const cols = (t: string) => (db.pragma(`table_info(${t})`) as { name: string }[]).map((c) => c.name);
    expect(cols('accounts')).not.toContain('messages_sent');
    return [
      ...(db.prepare('SELECT expires_at FROM envelopes').pluck().all() as number[]),
      ...(db.prepare('SELECT expires_at FROM attachments').pluck().all() as number[]),
    ];
  } finally {
    db.close();
  }
}

describe("the relay's files after a session", () => {
  it('hold no account id, no per-sender counter and no exact send, delivery or read time', async () => {
    const dataDir = join(world.root, 'relay');
    const from = Date.now();
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    const carol = await world.create('carol');
    const ids = new Map<string, string>([
      ['alice', alice.accountId],
      ['bob', bob.accountId],
      ['carol', carol.accountId],
    ]);
    const file = join(world.root, 'note.txt');
    writeFileSync(file, 'an attachment');

    // Alice writes to Bob and Carol (one with a 90-second timer, one with a file); they read, which
    // sends delivery and read receipts back; Carol answers; everyone releases their username.
    const first = await alice.sendText('bob', 'hello bob', { expireAfterMs: 90_000 });
    await alice.sendText('carol', 'hello carol', { file });
    for (const engine of [bob, carol]) {
      expect((await engine.sync()).length).toBeGreaterThan(0);
      for (const m of await engine.messages('alice')) if (!m.outgoing) await engine.markSeen(m.id);
    }
    await carol.sendText('alice', 'hi alice');
    await alice.sync();
    expect((await alice.messages('bob')).find((m) => m.id === first.id)?.state).toBe('read');
    await bob.sync();
    await carol.sync();
    for (const e of [alice, bob, carol]) await e.setUsername(null);
    await bob.close();
    // Two envelopes stay queued for Bob, who has gone away: one sent without a deadline (the relay
    // picks it) and one whose deadline is to the millisecond.
    const bobId = AccountId.parse(bob.accountId);
    const dave = await SignalUser.register(world.relayUrl);
    ids.set('dave', dave.accountId);
    await dave.startSession(bobId);
    await dave.client.call('message.send', { to: bobId, payload: await dave.seal(bobId, 'a') });
    await dave.client.call('message.send', {
      to: bobId,
      payload: await dave.seal(bobId, 'b'),
      expiresAt: Date.now() + 90_000,
    });
    await dave.client.close();
    const to = Date.now();
    const session = { ids, from, to };

    // While the relay runs: once the last deletes are checkpointed, the WAL is empty again.
    const wal = join(dataDir, 'relay.sqlite-wal');
    await expect.poll(() => statSync(wal).size, { timeout: 20_000, interval: 100 }).toBe(0);
    const live = relayFiles(dataDir);
    audit(live, session);

    for (const e of [alice, carol]) await e.close();
    await world.stopRelay();
    const stopped = relayFiles(dataDir);
    audit(stopped, session);
    const deadlines = storedDeadlines(stopped, world.profileDir('scratch-copy'));
    expect(deadlines.length).toBeGreaterThanOrEqual(3);
    for (const d of deadlines) expect(d % HOUR_MS, `deadline ${d}`).toBe(0);
  });

  it('are never handed an exact deadline by a client: every expiresAt a client sends or sends to a room is a whole hour', async () => {
    const bob = await world.create('bob');
    const carol = await world.create('carol');
    await (await world.create('alice')).close();
    const proxy = await startTamperProxy(world.relayUrl);
    try {
      const alice = await Engine.open({
        profileDir: world.profileDir('alice'),
        keystore: testKeyStore(),
        relayUrl: proxy.url,
      });
      try {
        await alice.sendText('bob', 'ninety seconds', { expireAfterMs: 90_000 });
        await alice.sendText('bob', 'a day and a bit', { expireAfterMs: 86_400_123 });
        const room = await alice.createRoom('timed', ['bob', 'carol']);
        await alice.sendToRoom(room.id, 'to the room', { expireAfterMs: 600_000 });
        for (const m of await bob.sync()) await bob.markSeen(m.id);
        await carol.sync();
        await alice.sync();
      } finally {
        await alice.close();
      }
    } finally {
      await proxy.close();
    }
    const requested = proxy.clientFrames
      .map((f) => JSON.parse(f) as { op?: string; body?: { expiresAt?: number } })
      .filter((f) => ['message.send', 'message.sendMulti', 'attachment.create'].includes(f.op ?? ''))
      .map((f) => f.body?.expiresAt)
      .filter((v): v is number => v !== undefined);
    // Positive control: the timed messages (direct and to the room) asked for a deadline.
    expect(requested.length).toBeGreaterThanOrEqual(3);
    expect(proxy.clientFrames.some((f) => f.includes('"message.sendMulti"'))).toBe(true);
    for (const v of requested) expect(v % HOUR_MS, `requested expiresAt ${v}`).toBe(0);
  });
});

describe("a room message's shared part in the relay's files", () => {
  it('is written once, not once per member, and is gone from every file after the last ack, an account deletion or expiry', async () => {
    let now = Date.now();
    const dataDir = join(world.root, 'relay-shared');
    const relay = await startRelay({ port: 0, logger: false, dataDir, now: () => now });
    const wal = join(dataDir, 'relay.sqlite-wal');
    const walEmptied = () =>
      expect.poll(() => statSync(wal).size, { timeout: 20_000, interval: 100 }).toBe(0);
    const copiesIn = (slice: Buffer) =>
      relayFiles(dataDir).reduce((n, f) => {
        let count = 0;
        for (let at = f.bytes.indexOf(slice); at >= 0; at = f.bytes.indexOf(slice, at + 1)) count++;
        return n + count;
      }, 0);
    try {
      const alice = await SignalUser.register(relay.url);
      const members = await Promise.all([0, 1, 2].map(() => SignalUser.register(relay.url)));
      const distributionId = randomUUID();
      const skdm = await alice.createSenderKeyDistribution(distributionId);
      for (const m of members) {
        await alice.startSession(m.accountId);
        await m.acceptSenderKeyDistribution(alice.accountId, skdm.serialize());
        await m.client.drainQueue();
      }
      const ids = members.map((m) => m.accountId);
      /** Sends to the room; returns 64 bytes of the ciphertext every member receives. */
      const send = async (text: string, expiresAt?: number): Promise<Buffer> => {
        const payload = await alice.sealForRoom(distributionId, ids, text);
        const bytes = Buffer.from(payload, 'base64');
        const parsed = new SealedSenderMultiRecipientMessage(new Uint8Array(bytes));
        await alice.client.call('message.sendMulti', {
          payload,
          ...(expiresAt === undefined ? {} : { expiresAt }),
        });
        const shared = bytes.subarray(parsed._offsetOfSharedData);
        expect(shared.length).toBeGreaterThan(64);
        return shared.subarray(shared.length - 64);
      };

      // Acknowledged by all: queued once (positive control), then gone.
      const acked = await send('acknowledged by all '.repeat(20));
      await walEmptied();
      expect(copiesIn(acked)).toBe(1);
      for (const m of members) {
        const env = await m.client.nextEnvelope();
        await m.client.call('message.ack', { ids: [env.id] });
      }
      await walEmptied();
      expect(copiesIn(acked)).toBe(0);

      // Two members acknowledge, the third deletes their account: gone.
      const deleted = await send('the last holder leaves '.repeat(20));
      for (const m of members.slice(0, 2)) {
        const env = await m.client.nextEnvelope();
        await m.client.call('message.ack', { ids: [env.id] });
      }
      await walEmptied();
      expect(copiesIn(deleted)).toBe(1);
      await members[2]!.client.call('account.delete', { accountId: members[2]!.accountId });
      await walEmptied();
      expect(copiesIn(deleted)).toBe(0);

      // Never acknowledged, expired and purged: gone.
      for (const m of members.slice(0, 2)) await m.client.close();
      const expired = await send('nobody reads this '.repeat(20), now + 60_000);
      await walEmptied();
      expect(copiesIn(expired)).toBe(1);
      now += 2 * HOUR_MS;
      expect((await relay.purgeExpired()).envelopes).toBe(2);
      await walEmptied();
      expect(copiesIn(expired)).toBe(0);
      await alice.client.close();
    } finally {
      await relay.close();
    }
    expect(relayFiles(dataDir).length).toBeGreaterThan(0);
  });
});

describe.skipIf(skipPostgres())("the relay's PostgreSQL rows after a session", () => {
  it('hold no account id, no per-sender counter and only whole-hour deadlines', async () => {
    const backend = postgresBackend();
    keygen(join(backend.keyDir, 'root.json'), join(backend.keyDir, 'server-key.json'));
    const relay = await startRelay({
      port: 0,
      logger: false,
      ...backend.options,
      serverKeyFile: join(backend.keyDir, 'server-key.json'),
    });
    const from = Date.now();
    try {
      const alice = await SignalUser.register(relay.url);
      const bob = await SignalUser.register(relay.url);
      await alice.startSession(bob.accountId);
      const send = (expiresAt?: number) =>
        alice.client.call('message.send', {
          to: bob.accountId,
          payload: 'AAAA',
          ...(expiresAt === undefined ? {} : { expiresAt }),
        });
      const acked = await send();
      await bob.client.drainQueue();
      await bob.client.call('message.ack', { ids: [acked.envelopeId] });
      await send();
      await send(Date.now() + 90_123);
      await alice.client.call('attachment.create', { size: 10, expiresAt: Date.now() + 60_001 });
      const to = Date.now();
      for (const u of [alice, bob]) await u.client.close();

      const cells = await backend.stolenCells();
      for (const [who, id] of [
        ['alice', alice.accountId],
        ['bob', bob.accountId],
      ] as const)
        for (const form of idForms(id))
          expect(
            cells.some((c) => c.includes(form)),
            `${who}'s account id`,
          ).toBe(false);
      const db = await backend.db();
      try {
        const cols = await db.all(
          "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'accounts'",
        );
        expect(cols.map((c) => c.name)).not.toContain('messages_sent');
        const deadlines = [
          ...(await db.all('SELECT expires_at AS v FROM envelopes')),
          ...(await db.all('SELECT expires_at AS v FROM attachments')),
        ].map((r) => Number(r.v));
        expect(deadlines).toHaveLength(3);
        for (const d of deadlines) {
          expect(d % HOUR_MS, `deadline ${d}`).toBe(0);
          expect(datingValues(Buffer.from(String(d)), from, to)).toEqual([]);
        }
      } finally {
        await db.close();
      }
    } finally {
      await relay.close();
      await backend.cleanup();
    }
  });
});
