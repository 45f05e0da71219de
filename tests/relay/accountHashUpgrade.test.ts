// Issue 14: a database written by a relay of schema version 2 (accounts under the unkeyed SHA-256
// of their id, a per-sender counter) keeps working after the upgrade to keyed hashes, on both
// backends. Accounts with a username are rehashed at start-up; the others when a request names
// them (their own auth, a send to them). Afterwards no unkeyed hash, no sent counter is left in the
// database, and a relay given another account-hash key refuses to start on it.
import { afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { AccountId } from '../../common/wire';
import { startRelay, type RunningRelay } from '../../relay';
import { AccountHasher, legacyAccountHash } from '../../relay/identity';
import { keygen, readServerKeyFile } from '../../relay/serverKeys';
import { MIGRATIONS, POSTGRES, SQLITE } from '../../relay/storage/schema';
import { RELAY_BIN } from '../helpers/relay/relayProcess';
import { SignalUser } from '../helpers/relay/signalUser';
import { WireClient } from '../helpers/relay/wireClient';
import {
  openPostgres,
  openSqlite,
  testBackends,
  type RelayDb,
  type TestBackend,
} from '../helpers/relay/relayDb';

const unb64 = (s: string) => Buffer.from(s, 'base64');

/** Opens the backend's database empty (creating the PostgreSQL schema), as an older relay found it. */
async function rawDb(backend: TestBackend): Promise<RelayDb> {
  if (backend.kind === 'sqlite') return openSqlite((backend.options as { dataDir: string }).dataDir);
  const { databaseSchema } = backend.options as { databaseSchema: string };
  const admin = await openPostgres('public');
  await admin.run(`CREATE SCHEMA "${databaseSchema}"`);
  await admin.close();
  return openPostgres(databaseSchema);
}

/** A user whose account and prekeys a schema-2 relay stored under the unkeyed hash of its id. */
async function legacyUser(db: RelayDb, username: string | null): Promise<SignalUser> {
  const user = new SignalUser();
  user.accountId = AccountId.parse(randomUUID());
  const h = Buffer.from(legacyAccountHash(user.accountId));
  await db.run(
    'INSERT INTO accounts (id_hash, identity_key, registration_id, created_on, messages_sent, messages_received) VALUES (?, ?, ?, ?, 5, 2)',
    [h, Buffer.from(user.identity.publicKey.serialize()), user.registrationId, '2026-11-01'],
  );
  if (username)
    await db.run('INSERT INTO usernames (username, id_hash, account_id) VALUES (?, ?, ?)', [
      username,
      h,
      user.accountId,
    ]);
  const keys = user.makePreKeys(2, true);
  const put = (kind: string, k: { keyId: number; publicKey: string; signature?: string }) =>
    db.run('INSERT INTO prekeys (id_hash, kind, key_id, public_key, signature) VALUES (?, ?, ?, ?, ?)', [
      h,
      kind,
      k.keyId,
      unb64(k.publicKey),
      unb64(k.signature ?? ''),
    ]);
  await put('signed', keys.signedPreKey!);
  await put('lastResort', keys.lastResortKyberPreKey!);
  for (const k of keys.preKeys ?? []) await put('ec', k);
  for (const k of keys.kyberPreKeys ?? []) await put('kyber', k);
  return user;
}

async function schema2Database(backend: TestBackend) {
  const db = await rawDb(backend);
  try {
    const dialect = backend.kind === 'sqlite' ? SQLITE : POSTGRES;
    await db.run('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)');
    for (const [i, migration] of MIGRATIONS.slice(0, 2).entries()) {
      for (const stmt of migration(dialect)) await db.run(stmt);
      await db.run('INSERT INTO schema_migrations (version) VALUES (?)', [i + 1]);
    }
    const aliceName = `alice_${randomBytes(3).toString('hex')}`;
    const alice = await legacyUser(db, aliceName);
    const bob = await legacyUser(db, null);
    const carol = await legacyUser(db, null);
    // One envelope waits for Bob, stored under his unkeyed hash.
    const queued = randomBytes(64);
    await db.run(
      'INSERT INTO envelopes (id, recipient_hash, payload, size, expires_at) VALUES (?, ?, ?, ?, ?)',
      [
        randomUUID(),
        Buffer.from(legacyAccountHash(bob.accountId)),
        queued,
        queued.length,
        Date.now() + 3_600_000,
      ],
    );
    return { alice, aliceName, bob, carol, queued };
  } finally {
    await db.close();
  }
}

const contains = (cells: Buffer[], needle: Uint8Array) => cells.some((c) => c.includes(Buffer.from(needle)));

for (const { kind, make } of testBackends()) {
  describe(`upgrade to keyed account hashes (${kind})`, () => {
    let backend: TestBackend;
    let relay: RunningRelay | undefined;
    afterEach(async () => {
      await relay?.close();
      relay = undefined;
      await backend.cleanup();
    });

    it('rehashes a schema-2 database: named accounts at start-up, the others when a request names them', async () => {
      backend = make();
      const { alice, aliceName, bob, carol, queued } = await schema2Database(backend);
      const serverKeyFile = join(backend.keyDir, 'server.json');
      keygen(join(backend.keyDir, 'root.json'), serverKeyFile);
      const hasher = new AccountHasher(readServerKeyFile(serverKeyFile).accountHashKey);
      const legacy = (u: SignalUser) => legacyAccountHash(u.accountId);
      const keyed = (u: SignalUser) => hasher.hash(u.accountId);
      const cells = () => backend.stolenCells();
      // Positive control: the thief finds every account under its unkeyed hash before the upgrade.
      for (const u of [alice, bob, carol]) expect(contains(await cells(), legacy(u))).toBe(true);

      relay = await startRelay({ port: 0, logger: false, ...backend.options, serverKeyFile });
      // At start-up: Alice (named) is keyed; Bob and Carol are not yet; no sent counter is left.
      let stolen = await cells();
      expect(contains(stolen, legacy(alice))).toBe(false);
      expect(contains(stolen, keyed(alice))).toBe(true);
      for (const u of [bob, carol]) expect(contains(stolen, legacy(u))).toBe(true);
      const db = await backend.db();
      try {
        const cols =
          kind === 'sqlite'
            ? await db.all("SELECT name FROM pragma_table_info('accounts')")
            : await db.all(
                "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'accounts'",
              );
        expect(cols.map((c) => c.name)).not.toContain('messages_sent');
      } finally {
        await db.close();
      }

      // Alice signs in with her id and is found; her username still leads to her.
      await alice.reconnect(relay.url, true);
      expect(await alice.client.call('account.info', {})).toMatchObject({
        username: aliceName,
        createdOn: '2026-11-01',
        messagesReceived: 2,
      });
      // A send to Carol, who has not been back, finds her (and moves her to her keyed hash).
      await alice.startSession(carol.accountId);
      await alice.client.call('message.send', {
        to: carol.accountId,
        payload: await alice.seal(carol.accountId, 'still there?'),
      });
      // Bob signs in: his queued envelope is delivered.
      const bobClient = await bob.reconnect(relay.url, true);
      const got = await bobClient.drainQueue();
      expect(got.map((e) => Buffer.from(e.payload, 'base64'))).toEqual([queued]);

      stolen = await cells();
      for (const u of [alice, bob, carol]) {
        expect(contains(stolen, legacy(u)), 'unkeyed hash left').toBe(false);
        expect(contains(stolen, keyed(u))).toBe(true);
      }
      for (const c of [alice.client, bobClient]) await c.close();
      await relay.close();
      relay = undefined;
      // After the relay stopped (SQLite: every file, WAL included), no unkeyed hash either.
      for (const u of [alice, bob, carol])
        expect(contains(await backend.stolenBytes(), legacy(u))).toBe(false);

      // Another key (a new root, no --hash-key-from) would lose every account: refused, unchanged.
      const otherKey = join(backend.keyDir, 'other.json');
      keygen(join(backend.keyDir, 'root2.json'), otherKey);
      await expect(
        startRelay({ port: 0, logger: false, ...backend.options, serverKeyFile: otherKey }),
      ).rejects.toThrow(/another account-hash key/);
      // keygen --hash-key-from carries the key over to a new root's server key: the relay starts.
      const carried = join(backend.keyDir, 'carried.json');
      expect(keygen(join(backend.keyDir, 'root3.json'), carried, serverKeyFile).accountHashKey).toBe(
        'copied',
      );
      relay = await startRelay({ port: 0, logger: false, ...backend.options, serverKeyFile: carried });
      const again = await WireClient.connect(relay.url);
      const { nonce } = await again.call('auth.challenge', {});
      expect(await again.call('auth', bob.authBody(nonce))).toEqual({ accountId: bob.accountId });
      await again.close();
    });
  });
}

describe('wisp-relay keygen and the account-hash key', () => {
  it("keeps one key across rotations, and --hash-key-from carries a running relay's key into a root", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-keygen-hash-'));
    const keygenCli = (...args: string[]) =>
      new Promise<Record<string, unknown>>((res, rej) =>
        execFile(process.execPath, [RELAY_BIN, 'keygen', ...args], (error, out, err) =>
          error ? rej(new Error(err)) : res(JSON.parse(out.trim()) as Record<string, unknown>),
        ),
      );
    const hashKey = (file: string) =>
      (JSON.parse(readFileSync(file, 'utf8')) as { accountHashKey: string }).accountHashKey;
    try {
      const root = join(dir, 'root.json');
      expect(await keygenCli('--root', root, '--out', join(dir, 's1.json'))).toMatchObject({ keyId: 1 });
      expect(await keygenCli('--root', root, '--out', join(dir, 's2.json'))).toMatchObject({
        keyId: 2,
        accountHashKey: 'root',
      });
      expect(hashKey(join(dir, 's2.json'))).toBe(hashKey(join(dir, 's1.json')));
      expect(Buffer.from(hashKey(join(dir, 's1.json')), 'base64')).toHaveLength(32);
      // Another root has another key, unless told to take the one a relay runs with.
      const other = join(dir, 'other-root.json');
      await keygenCli('--root', other, '--out', join(dir, 'o1.json'));
      expect(hashKey(join(dir, 'o1.json'))).not.toBe(hashKey(join(dir, 's1.json')));
      expect(
        await keygenCli(
          '--root',
          other,
          '--out',
          join(dir, 'o2.json'),
          '--hash-key-from',
          join(dir, 's2.json'),
        ),
      ).toMatchObject({ accountHashKey: 'copied' });
      expect(hashKey(join(dir, 'o2.json'))).toBe(hashKey(join(dir, 's1.json')));
      // ... and the root keeps it for its next rotation.
      await keygenCli('--root', other, '--out', join(dir, 'o3.json'));
      expect(hashKey(join(dir, 'o3.json'))).toBe(hashKey(join(dir, 's1.json')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
