// The sealed-sender trust root stays offline (issue 9, finding 7): a thief holding the relay's
// database cannot mint a sender certificate that clients accept, on either backend, whether the
// database is new or was written by a relay that still kept the trust root in it.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PrivateKey, SenderCertificate, ServerCertificate } from '@signalapp/libsignal-client';
import { startRelay, type RunningRelay } from '../../relay';
import { SenderCertificateChecker } from '../../core/engine/signalCrypto';
import { SignalUser } from '../helpers/relay/signalUser';
import { createLegacyDatabase, testBackends, type TestBackend } from '../helpers/relay/relayDb';

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
      cleanups.push(() => backend.cleanup(), () => relay.close());
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
  });
}
