// Issue 14, the app's setting (core/services, the IPC contract): a proxy saved in Settings → Network
// before the account exists carries the registration and the first connection; a bad address is
// refused at the IPC boundary in words and changes nothing; the setting survives a restart, and
// null returns to a direct connection. Real services, engine, relay and microsocks on loopback.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher, createServices, type ServicesHost } from '../../core/services';
import { startRelay, type RunningRelay } from '../../relay';
import { testPlatform } from '../unit/foundation/platform';
import {
  PROXY_EGRESS,
  skipMicrosocks,
  startMicrosocks,
  startRelayWitness,
  type RelayWitness,
  type SocksProxy,
} from '../helpers/relay/socks';

const TEST_SCRYPT = { N: 2 ** 14, r: 8, p: 1 };

const skip = skipMicrosocks('the Settings → Network proxy tests');
let relay: RunningRelay;
let witness: RelayWitness;
let socks: SocksProxy;
let dir: string;

beforeAll(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'wisp-proxy-settings-'));
  relay = await startRelay({ port: 0, logger: false });
  witness = await startRelayWitness(relay.port);
  socks = await startMicrosocks();
});
afterAll(async () => {
  await socks?.stop();
  await witness?.close();
  await relay?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function services(): ServicesHost {
  return createServices({
    dataDir: join(dir, 'app'),
    platform: testPlatform(),
    keychain: false,
    keyStore: { scrypt: TEST_SCRYPT },
  });
}

describe.skipIf(skip)('Settings → Network in the services', () => {
  it('refuses a bad proxy at the IPC boundary with what is wrong, and saves nothing', async () => {
    const host = services();
    const dispatch = createDispatcher(host.services);
    for (const bad of ['http://127.0.0.1:8080', 'socks5h://127.0.0.1', 'socks5h://h:1/path']) {
      const result = await dispatch('wisp:settings.set', [{ proxyUrl: bad }]);
      expect(result).toMatchObject({ ok: false, error: { kind: 'InvalidInput' } });
      expect(JSON.stringify(result)).toMatch(
        /proxyUrl: the proxy (address must start|address has no port|address must be only)/,
      );
    }
    expect((await host.services.settings.get()).proxyUrl).toBeNull();
    await host.close();
  });

  it('a proxy saved before the account exists carries the registration and every connection after it; it survives a restart; null goes direct', async () => {
    const first = services();
    await first.start();
    expect((await first.services.settings.set({ proxyUrl: socks.url })).proxyUrl).toBe(socks.url);
    const start = witness.connections.length;
    await first.services.account.create({
      username: `p${Date.now().toString(36)}`,
      relayUrl: witness.url,
      keystore: 'passphrase',
      passphrase: 'a long test passphrase',
    });
    const seen = witness.connections.slice(start);
    expect(seen.length).toBeGreaterThanOrEqual(2); // the registration and the live connection
    expect(seen.map((c) => c.from)).toEqual(seen.map(() => PROXY_EGRESS));
    await first.close();
    const stored = JSON.parse(readFileSync(join(dir, 'app', 'preferences.json'), 'utf8')) as {
      proxyUrl: unknown;
    };
    expect(stored.proxyUrl).toBe(socks.url);

    const second = services();
    await second.start();
    expect((await second.services.settings.get()).proxyUrl).toBe(socks.url);
    const beforeUnlock = witness.connections.length;
    await second.services.account.unlock({ passphrase: 'a long test passphrase' });
    const unlocked = witness.connections.slice(beforeUnlock);
    expect(unlocked.length).toBeGreaterThan(0);
    expect(unlocked.every((c) => c.from === PROXY_EGRESS)).toBe(true);

    // Back to direct: the running connection moves off the proxy.
    const beforeDirect = witness.connections.length;
    await second.services.settings.set({ proxyUrl: null });
    await second.services.contacts.list();
    await second.services.contacts.lookup({ username: 'nobody-here' }).catch(() => undefined);
    const direct = witness.connections.slice(beforeDirect);
    expect(direct.length).toBeGreaterThan(0);
    expect(direct.every((c) => c.from === '127.0.0.1')).toBe(true);
    await second.close();
  });
});
