// The embedded relay of the unpackaged app (issue 9, finding 6): on a random loopback port, not a
// fixed well-known one, remembered across restarts so a profile's saved relay address keeps working.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedRelay } from '../../main/embeddedRelay';
import { SignalUser } from '../helpers/relay/signalUser';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('embedded relay port', () => {
  it('starts on a random loopback port, remembers it, and serves the same account at the same URL after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-embedded-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = await startEmbeddedRelay(join(dir, 'embedded-relay'));
    expect(first.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/v1\/ws$/);
    expect(Number(readFileSync(join(dir, 'embedded-relay', 'port'), 'utf8'))).toBe(first.port);
    const user = await SignalUser.register(first.url);
    await user.client.close();
    await first.close();

    const second = await startEmbeddedRelay(join(dir, 'embedded-relay'));
    cleanups.push(() => second.close());
    expect(second.url).toBe(first.url);
    const again = await user.reconnect(second.url, true);
    expect((await again.call('account.info', {})).accountId).toBe(user.accountId);
    await again.close();
  });

  it('two installations run side by side, each on a port of its own (there is no fixed port to collide on)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-embedded-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const a = await startEmbeddedRelay(join(dir, 'a'));
    cleanups.push(() => a.close());
    const b = await startEmbeddedRelay(join(dir, 'b'));
    cleanups.push(() => b.close());
    expect(a.port).not.toBe(b.port);
  });
});
