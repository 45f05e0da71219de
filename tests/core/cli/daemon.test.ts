// `wisp daemon` as bots use it: real daemon processes on real profiles against a real relay on port
// 0, one on a Unix socket (alice) and one on stdio (bob), sending to each other through JSON-RPC.
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCliWorld, wisp } from '../../helpers/engine/cli';
import {
  connectSocket,
  startSocketDaemon,
  startStdioDaemon,
  type DaemonProcess,
  type RpcClient,
} from '../../helpers/engine/daemonClient';

const { world, profile } = useCliWorld(['alice', 'bob']);

describe('wisp daemon', () => {
  let alice: DaemonProcess & { ready: Record<string, unknown> };
  let bob: DaemonProcess & { client: RpcClient };
  let socketPath: string;

  beforeAll(async () => {
    socketPath = join(world().root, 'run', 'alice.sock');
    [alice, bob] = await Promise.all([
      startSocketDaemon(profile('alice'), socketPath),
      startStdioDaemon(profile('bob')),
    ]);
  });
  afterAll(async () => {
    await Promise.all([alice?.stop(), bob?.stop()]);
  });

  it('sends through the daemon to a second real peer, whose daemon reports it as a message.added notification', async () => {
    const { client, socket } = await connectSocket(socketPath);
    try {
      const sent = await client.call('send', { to: 'bob', text: 'hello from a bot', burn: 30 });
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        from: 'alice',
        text: 'hello from a bot',
        outgoing: true,
        burnAfterMs: 30_000,
      });

      const arrived = await bob.client.notification(
        'message.added',
        (p) => (p.message as { id: string }).id === sent[0]!.id,
      );
      expect(arrived.message).toMatchObject({
        from: 'alice',
        text: 'hello from a bot',
        outgoing: false,
        seenAt: null,
      });

      // The stored message through the same process, then read: burn starts at read, as in the CLI.
      const listed = await bob.client.call('messages', { with: 'alice' });
      expect(listed.map((m) => m.id)).toContain(sent[0]!.id);
      const read = await bob.client.call('read', { id: sent[0]!.id });
      expect(read[0]!.burnAt).toBe((read[0]!.seenAt as number) + 30_000);

      // And back: alice's socket client hears bob's reply as a notification too.
      const reply = await bob.client.call('send', { to: 'alice', text: 'hello bot' });
      const heard = await client.notification(
        'message.added',
        (p) => (p.message as { id: string }).id === reply[0]!.id,
      );
      expect(heard.message).toMatchObject({ from: 'bob', text: 'hello bot' });
    } finally {
      socket.destroy();
    }
  });

  it('answers a Wisp error as a JSON-RPC error object with the error kind in data', async () => {
    const response = await bob.client.request('send', { to: 'nobody_at_all', text: 'x' });
    expect(response.error).toMatchObject({ code: -32000, data: { kind: 'NotFound' } });
    expect(response.result).toBeUndefined();
  });

  it('holds the profile lock: a CLI command on the same profile is refused while the daemon runs', async () => {
    const contacts = await wisp(profile('alice'), ['contacts']);
    expect(contacts.code).toBe(1);
    expect(JSON.parse(contacts.stderr.trim().split('\n').pop()!)).toMatchObject({
      error: { kind: 'ProfileInUse' },
    });
  });

  it('keeps serving after a client disconnects mid-call, and a second client then works', async () => {
    const first = await connectSocket(socketPath);
    // A call still running (a sync waiting 1 s) when its client goes away: the daemon finishes it
    // and drops the answer, which must not take the daemon down.
    first.client.sendLine(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'sync', params: { wait: 1 } }));
    first.socket.destroy();

    const second = await connectSocket(socketPath);
    try {
      // Outlasts the first call, so its dropped answer has been written (or not) by now.
      const synced = await second.client.request('sync', { wait: 2 });
      expect(synced.error).toBeUndefined();
      const status = await second.client.request('receipts');
      expect(status.error).toBeUndefined();
      expect(status.result).toEqual([
        { deliveryReceipts: expect.any(Boolean), readReceipts: expect.any(Boolean) },
      ]);
      expect(alice.child.exitCode).toBeNull();
    } finally {
      second.socket.destroy();
    }
  });

  it('creates its socket 0600 in a 0700 folder, and refuses a folder other users can open', async () => {
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    expect(statSync(join(world().root, 'run')).mode & 0o777).toBe(0o700);

    const shared = join(world().root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o755);
    const refused = await startSocketDaemon(profile('bob'), join(shared, 'bob.sock')).then(
      () => 'started',
      (error: Error) => error.message,
    );
    expect(refused).toContain('must be a folder of yours that only you can open');
  });

  // Last: it ends both daemons.
  it('stops cleanly on SIGTERM (socket removed) and when stdin ends, and releases the profile', async () => {
    expect(await alice.stop()).toBe(0);
    expect(existsSync(socketPath)).toBe(false);
    bob.child.stdin!.end();
    expect(await bob.exited).toBe(0);
    for (const name of ['alice', 'bob']) {
      const contacts = await wisp(profile(name), ['contacts']);
      expect(contacts.code, contacts.stderr).toBe(0);
    }
  });
});
