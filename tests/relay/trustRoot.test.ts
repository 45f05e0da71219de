// The sealed-sender trust root stays offline (issue 9, finding 7): a thief holding the relay's
// database cannot mint a sender certificate that clients accept, on either backend, whether the
// database is new or was written by a relay that still kept the trust root in it; the operator
// makes the root and server keys with `wisp-relay keygen` and rotates server keys without clients
// noticing.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { PrivateKey, SenderCertificate, ServerCertificate } from '@signalapp/libsignal-client';
import { startRelay, type RunningRelay } from '../../relay';
import { SenderCertificateChecker } from '../../core/engine/signalCrypto';
import { SignalUser } from '../helpers/relay/signalUser';
import { createLegacyDatabase, openSqlite, testBackends, type TestBackend } from '../helpers/relay/relayDb';
import { RELAY_BIN, runKeygen, spawnRelay, stopRelay } from '../helpers/relay/relayProcess';

const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

function asPrivateKey(cell: Buffer): PrivateKey | null {
  if (cell.length !== 32) return null;
  try {
    return PrivateKey.deserialize(new Uint8Array(cell));
  } catch {
    return null;
  }
}

function asServerCertificate(cell: Buffer): ServerCertificate | null {
  try {
    return ServerCertificate.deserialize(new Uint8Array(cell));
  } catch {
    return null;
  }
}

/**
 * Everything a thief can try with the stolen cells: each 32-byte value as the trust root (signing
 * a server certificate of their own) and as a server key (under each stored server certificate).
 * Returns how many forged sender certificates the client's own checker accepted.
 */
function forgeries(cells: Buffer[], victim: SignalUser): number {
  const checker = new SenderCertificateChecker(victim.trustRoot);
  const keys = cells.map(asPrivateKey).filter((k): k is PrivateKey => k !== null);
  const certs = cells.map(asServerCertificate).filter((c): c is ServerCertificate => c !== null);
  const mint = (cert: ServerCertificate, serverKey: PrivateKey) =>
    SenderCertificate.new(
      victim.accountId,
      null,
      1,
      victim.identity.publicKey,
      Date.now() + 3_600_000,
      cert,
      serverKey,
    );
  let accepted = 0;
  for (const key of keys) {
    const server = PrivateKey.generate();
    if (checker.isValid(mint(ServerCertificate.new(7, server.getPublicKey(), key), server), Date.now()))
      accepted++;
    for (const cert of certs) if (checker.isValid(mint(cert, key), Date.now())) accepted++;
  }
  return accepted;
}

/** The client side of the check: the relay's own certificate does verify (so the check can fail). */
async function relayCertificateAccepted(user: SignalUser): Promise<boolean> {
  const { certificate } = await user.client.call('certificate.sender', {});
  const cert = SenderCertificate.deserialize(bytes(certificate));
  return new SenderCertificateChecker(user.trustRoot).isValid(cert, Date.now());
}

for (const { kind, make } of testBackends()) {
  describe(`stolen relay database (${kind})`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c();
    });
    const start = async (backend: TestBackend, serverKeyFile?: string): Promise<RunningRelay> => {
      const relay = await startRelay({ port: 0, logger: false, ...backend.options, serverKeyFile });
      cleanups.push(
        () => backend.cleanup(),
        () => relay.close(),
      );
      return relay;
    };

    it('holds no trust-root private key and cannot mint a sender certificate clients accept', async () => {
      const backend = make();
      const relay = await start(backend);
      const victim = await SignalUser.register(relay.url);
      expect(await relayCertificateAccepted(victim)).toBe(true);
      const cells = await backend.stolenCells();
      expect(cells.length).toBeGreaterThan(0);
      expect(forgeries(cells, victim)).toBe(0);
      await victim.client.close();
    });

    it('drops the trust-root private key an older relay stored, and clients pinned to that root keep working', async () => {
      const backend = make();
      const legacy = await createLegacyDatabase(backend);
      // SQLite: the default key file in the data directory; PostgreSQL: the operator names one.
      const keyFile =
        kind === 'sqlite'
          ? join((backend.options as { dataDir: string }).dataDir, 'server-key.json')
          : join(backend.keyDir, 'server-key.json');
      const relay = await start(backend, kind === 'sqlite' ? undefined : keyFile);
      const user = await SignalUser.register(relay.url);
      // Same root as before the upgrade: profiles that pinned it need no change.
      expect(Buffer.from(user.trustRoot.serialize())).toEqual(
        Buffer.from(legacy.trustRoot.getPublicKey().serialize()),
      );
      expect(await relayCertificateAccepted(user)).toBe(true);
      const rootPrivate = Buffer.from(legacy.trustRoot.serialize());
      for (const stored of await backend.stolenBytes()) expect(stored.includes(rootPrivate)).toBe(false);
      expect(forgeries(await backend.stolenCells(), user)).toBe(0);
      // The server key moved out of the database into its own file; the root went nowhere.
      const file = readFileSync(keyFile, 'utf8');
      expect(file).toContain(Buffer.from(legacy.server.serialize()).toString('base64'));
      expect(file).not.toContain(rootPrivate.toString('base64'));
      await user.client.close();
    });

    // PostgreSQL only: on SQLite the data directory always gives the key file a place.
    if (kind === 'postgres')
      it('refuses to upgrade an old database with keys when it has nowhere to put the server key, and changes nothing', async () => {
        const backend = make();
        cleanups.push(() => backend.cleanup());
        await createLegacyDatabase(backend);
        await expect(startRelay({ port: 0, logger: false, ...backend.options })).rejects.toMatchObject({
          kind: 'InvalidInput',
        });
        const db = await backend.db();
        const versions = await db.all('SELECT version FROM schema_migrations');
        const keys = await db.all('SELECT name FROM server_keys ORDER BY name');
        await db.close();
        expect(versions.map((v) => Number(v.version))).toEqual([1]);
        expect(keys.map((k) => k.name)).toEqual([
          'server_certificate',
          'server_private',
          'trust_root_private',
        ]);
      });
  });
}

describe('offline trust root and server key rotation (wisp-relay keygen, real processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wisp-relay-keygen-'));
  const dataDir = join(dir, 'data');
  const rootFile = join(dir, 'offline', 'root.json');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const keyFile = (name: string) => join(dir, name);
  const rootKey = () =>
    PrivateKey.deserialize(
      bytes((JSON.parse(readFileSync(rootFile, 'utf8')) as { privateKey: string }).privateKey),
    );
  const serverKey = (file: string) =>
    PrivateKey.deserialize(
      bytes((JSON.parse(readFileSync(file, 'utf8')) as { privateKey: string }).privateKey),
    );
  let alice: SignalUser;
  let bob: SignalUser;

  it('serves the keygen root to clients while the data directory holds neither the root nor the server key', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'offline'), { mode: 0o700 });
    const first = await runKeygen(rootFile, keyFile('server-1.json'));
    expect(first).toMatchObject({ keyId: 1, createdRoot: true });
    const relay = await spawnRelay(['--data', dataDir, '--server-key', keyFile('server-1.json')]);
    try {
      alice = await SignalUser.register(relay.url);
      bob = await SignalUser.register(relay.url);
      expect(Buffer.from(alice.trustRoot.serialize()).toString('base64')).toBe(first.trustRoot);
      expect(await relayCertificateAccepted(alice)).toBe(true);
      await alice.client.close();
      await bob.client.close();
    } finally {
      await stopRelay(relay);
    }
    const secrets = [rootKey(), serverKey(keyFile('server-1.json'))].map((k) => Buffer.from(k.serialize()));
    for (const f of readdirSync(dataDir)) {
      const stored = readFileSync(join(dataDir, f));
      for (const secret of secrets) expect(stored.includes(secret), f).toBe(false);
    }
    const db = openSqlite(dataDir);
    const tables = await db.all("SELECT name FROM sqlite_master WHERE type = 'table'");
    await db.close();
    expect(tables.map((t) => t.name)).not.toContain('server_keys');
  });

  it('rotates the server key from the offline root and clients that pinned the root keep accepting certificates', async () => {
    const second = await runKeygen(rootFile, keyFile('server-2.json'));
    expect(second).toMatchObject({ keyId: 2, createdRoot: false });
    const relay = await spawnRelay(['--data', dataDir, '--server-key', keyFile('server-2.json')]);
    try {
      await alice.reconnect(relay.url);
      await bob.reconnect(relay.url);
      const { certificate } = await bob.client.call('certificate.sender', {});
      const cert = SenderCertificate.deserialize(bytes(certificate));
      expect(cert.serverCertificate().keyId()).toBe(2);
      // bob's checker holds the root pinned before the rotation.
      expect(new SenderCertificateChecker(bob.trustRoot).isValid(cert, Date.now())).toBe(true);
      // End to end: a sender registered after the rotation, opened by a client pinned before it.
      const carol = await SignalUser.register(relay.url);
      await bob.client.drainQueue();
      await carol.startSession(bob.accountId);
      await carol.client.call('message.send', {
        to: bob.accountId,
        payload: await carol.seal(bob.accountId, 'after rotation'),
      });
      const env = await bob.client.nextEnvelope();
      expect(await bob.open(env.payload)).toEqual({ sender: carol.accountId, text: 'after rotation' });
      for (const u of [alice, bob, carol]) await u.client.close();
    } finally {
      await stopRelay(relay);
    }
  });

  it('refuses to start with a server key whose certificate its trust root did not sign', async () => {
    const file = JSON.parse(readFileSync(keyFile('server-2.json'), 'utf8')) as Record<string, unknown>;
    file.trustRoot = Buffer.from(PrivateKey.generate().getPublicKey().serialize()).toString('base64');
    writeFileSync(keyFile('forged.json'), JSON.stringify(file));
    await expect(
      startRelay({
        port: 0,
        logger: false,
        dataDir: join(dir, 'other'),
        serverKeyFile: keyFile('forged.json'),
      }),
    ).rejects.toMatchObject({
      kind: 'InvalidInput',
      message: expect.stringMatching(/not signed by the trust root/),
    });
  });

  it('refuses to run on PostgreSQL without a server key file', async () => {
    const code = await new Promise<number | null>((res) =>
      execFile(process.execPath, [RELAY_BIN, '--database', 'postgres://127.0.0.1:1/x'], (error) =>
        res(error ? ((error as { code?: number }).code ?? null) : 0),
      ),
    );
    expect(code).toBe(2);
  });
});
