// Connection caps (issue 9, finding 4): one account may hold at most maxConnectionsPerAccount
// connections, live or still closing (the next `auth` is refused and closed with 4010), and the relay as a
// whole at most maxConnections (the next upgrade is closed with 1013, "try again later").
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '../../relay';
import { SignalUser } from '../helpers/relay/signalUser';
import { WireClient, wireError } from '../helpers/relay/wireClient';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function relayWith(options: Parameters<typeof startRelay>[0]) {
  const relay: RunningRelay = await startRelay({ port: 0, logger: false, ...options });
  cleanups.push(() => relay.close());
  return relay;
}

describe('connection caps', () => {
  it('counts the older connections still closing after "account moved" and refuses the auth past the cap (RelayRateLimited, close 4010)', async () => {
    // One active device per account: each new auth tells the older connections to go (4009). A peer
    // that never reads keeps them open until their close times out, so they count against the cap.
    const relay = await relayWith({ limits: { maxConnectionsPerAccount: 2 } });
    const user = await SignalUser.register(relay.url);
    const first = user.client;
    first.ws.pause(); // never reads again: its "account moved" close cannot complete
    const second = await user.reconnect(relay.url, true);
    const third = await WireClient.connect(relay.url);
    const { nonce } = await third.call('auth.challenge', {});
    const refused = await wireError(third.call('auth', user.authBody(nonce)));
    expect(refused.kind).toBe('RelayRateLimited');
    expect(refused.message).toMatch(/too many connections/);
    expect(await third.closed).toMatchObject({ code: 4010, reason: 'too many connections for this account' });
    // The refused auth moved nothing: the newest live connection still works.
    expect((await second.call('account.info', {})).accountId).toBe(user.accountId);

    // Once the lingering one is gone, the account may connect again (and the newest wins).
    first.ws.terminate();
    await first.closed;
    let fourth: WireClient | null = null;
    for (let i = 0; i < 50 && fourth === null; i++) {
      const c = await WireClient.connect(relay.url);
      const again = await c.call('auth.challenge', {});
      if (
        await c.call('auth', user.authBody(again.nonce)).then(
          () => true,
          () => false,
        )
      )
        fourth = c;
      else await sleep(50);
    }
    expect(fourth).not.toBeNull();
    expect(await second.closed).toMatchObject({ code: 4009 });
    await fourth!.close();
  });

  it('refuses connections past the global cap with close 1013 and accepts again once one closes', async () => {
    const relay = await relayWith({ limits: { maxConnections: 3 } });
    const open = await Promise.all([1, 2, 3].map(() => WireClient.connect(relay.url)));
    const extra = await WireClient.connect(relay.url);
    const closed = await Promise.race([extra.closed, sleep(10_000).then(() => ({ code: 'still open' }))]);
    expect(closed).toMatchObject({ code: 1013, reason: 'relay at connection capacity' });
    for (const c of open) expect((await c.call('server.info', {})).protocolVersion).toBe(1);

    await open[0]!.close();
    // The relay sees the close after the client does; retry until the slot is free.
    let next: WireClient | null = null;
    for (let i = 0; i < 50 && next === null; i++) {
      const c = await WireClient.connect(relay.url);
      const info = await c.call('server.info', {}).catch(() => null);
      if (info) next = c;
      else await sleep(50);
    }
    expect(next).not.toBeNull();
    await next!.close();
    for (const c of open.slice(1)) await c.close();
  });
});
