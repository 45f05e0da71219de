// kill -9 of a relay process loses no envelope whose sender got an acknowledgement: the relay
// answers a send only after the SQLite commit (WAL, synchronous=FULL) of its envelope.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignalUser } from '../helpers/relay/signalUser';
import { spawnRelay, stopRelay, type RelayProcess } from '../helpers/relay/relayProcess';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('crash durability', () => {
  it('kill -9 mid-stream loses no acknowledged envelope, and redelivers them in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-relay-kill-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    let relay: RelayProcess = await spawnRelay(['--data', dir]);
    cleanups.push(async () => void (await stopRelay(relay, 'SIGKILL')));

    const alice = await SignalUser.register(relay.url);
    const bob = await SignalUser.register(relay.url);
    await alice.startSession(bob.accountId);
    await bob.client.close();

    // Fire many sends without waiting, kill the relay once some have been acknowledged.
    const acked: string[] = [];
    const payloads = await Promise.all(
      Array.from({ length: 250 }, (_, i) => alice.seal(bob.accountId, `m${i}`)),
    );
    const sends = payloads.map((payload) =>
      alice.client.call('message.send', { to: bob.accountId, payload }).then((r) => {
        acked.push(r.envelopeId);
        if (acked.length === 60) relay.child.kill('SIGKILL');
      }),
    );
    await Promise.allSettled(sends);
    expect(await relay.exited).toBe('SIGKILL');
    expect(acked.length).toBeGreaterThanOrEqual(60);
    expect(acked.length).toBeLessThan(payloads.length);

    relay = await spawnRelay(['--data', dir]);
    const c = await bob.reconnect(relay.url, true);
    const delivered = (await c.drainQueue()).map((e) => e.id);
    // Every acknowledged envelope survived, and the queue keeps send order.
    expect(delivered.slice(0, acked.length)).toEqual(acked);
    await c.close();
    await alice.client.close();
    expect(await stopRelay(relay)).toBe(0);
  });
});
