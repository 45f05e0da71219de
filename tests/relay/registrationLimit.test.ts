// Account registration is limited per client address across connections (issue 9, finding 5):
// opening a fresh connection per registration no longer resets the budget. Through the real
// server on loopback, with clients bound to different source addresses (127.0.0.2, 127.0.0.3),
// so the relay sees them as the socket's remote address.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '../../relay';
import { addressKey } from '../../relay/rateLimiter';
import { SignalUser } from '../helpers/relay/signalUser';
import { wireError } from '../helpers/relay/wireClient';
import { sqliteBackend, type TestBackend } from '../helpers/relay/relayDb';

let backend: TestBackend;
let relay: RunningRelay;
beforeAll(async () => {
  backend = sqliteBackend();
  relay = await startRelay({
    port: 0,
    logger: false,
    ...backend.options,
    limits: { rates: { registrations: { burst: 3, perSecond: 0.001 } } },
  });
});
afterAll(async () => {
  await relay.close();
  await backend.cleanup();
});

describe('registration limit per address', () => {
  it('limits many registrations from one address over many connections, while another address still registers', async () => {
    const users: SignalUser[] = [];
    for (let i = 0; i < 3; i++)
      users.push(await SignalUser.register(relay.url, { localAddress: '127.0.0.2' }));
    for (let i = 0; i < 2; i++) {
      const refused = await wireError(SignalUser.register(relay.url, { localAddress: '127.0.0.2' }));
      expect(refused.kind).toBe('RelayRateLimited');
      expect(refused.wire.retryAfterMs).toBeGreaterThan(0);
    }
    users.push(await SignalUser.register(relay.url, { localAddress: '127.0.0.3' }));
    // Signing in to existing accounts from the limited address is not a registration.
    await users[0]!.reconnect(relay.url);
    for (const u of users) await u.client.close();
  });

  it('keeps the addresses only in memory: the database holds none of them', async () => {
    const stored = Buffer.concat(await backend.stolenBytes());
    for (const address of ['127.0.0.2', '127.0.0.3']) expect(stored.includes(address)).toBe(false);
  });
});

describe('client address keys', () => {
  it('groups an IPv6 /64 into one key, so rotating addresses inside it shares one budget', () => {
    const a = addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(addressKey('2001:0db8:0001:0002::1')).toBe(a);
    expect(addressKey('2001:db8:1:2::ffff:1.2.3.4')).toBe(a);
    expect(addressKey('2001:db8:1:3::1')).not.toBe(a);
    expect(addressKey('fe80::1%eth0')).toBe(addressKey('fe80::2'));
  });

  it('keys IPv4 by the whole address, also when IPv4-mapped', () => {
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('192.0.2.7')).not.toBe(addressKey('192.0.2.8'));
  });
});
