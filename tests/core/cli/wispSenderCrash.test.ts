// The sending `wisp` killed with SIGKILL after it committed a message and the relay stored it, but
// before the relay's acknowledgement reached it (a proxy holds the answer): on restart the message
// goes out again and the receiver still sees exactly one copy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { startRelay, type RunningRelay } from '../../../relay/index';
import { runWisp, spawnWisp, wisp } from '../../helpers/engine/cli';

const text = (data: RawData): string =>
  Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.from(data as ArrayBuffer).toString('utf8');

/** Forwards everything, except that while `holding` the relay's answers to message.send are kept back. */
async function startAckHoldingProxy(relayUrl: string) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const state = { holding: false, held: 0, sends: 0, onHeld: (): void => undefined };
  server.on('connection', (client) => {
    const upstream = new WebSocket(relayUrl);
    const sends = new Set<number>();
    const early: string[] = [];
    client.on('message', (data) => {
      const frame = JSON.parse(text(data)) as { id?: number; op?: string };
      if (frame.op === 'message.send' && frame.id !== undefined) {
        sends.add(frame.id);
        state.sends += 1;
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text(data));
      else early.push(text(data));
    });
    upstream.on('open', () => {
      for (const d of early.splice(0)) upstream.send(d);
    });
    upstream.on('message', (data) => {
      const frame = JSON.parse(text(data)) as { id?: number; ok?: boolean };
      if (state.holding && frame.id !== undefined && sends.has(frame.id) && frame.ok === true) {
        // The relay has durably stored the envelope; the sender never learns it.
        state.held += 1;
        state.onHeld();
        return;
      }
      client.send(text(data));
    });
    const closeBoth = (): void => {
      client.close();
      upstream.close();
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    base: `ws://127.0.0.1:${port}`,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of server.clients) c.terminate();
        server.close(() => resolve());
      }),
  };
}

describe('wisp sender killed between commit and the relay acknowledgement', () => {
  let root: string;
  let relay: RunningRelay;
  let proxy: Awaited<ReturnType<typeof startAckHoldingProxy>>;
  const profile = (name: string) => join(root, name);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'wisp-sender-crash-'));
    relay = await startRelay({ port: 0, logger: false });
    proxy = await startAckHoldingProxy(relay.url);
    const init = (name: string, base: string) =>
      runWisp([
        'init',
        '--profile',
        profile(name),
        '--keystore',
        'passphrase',
        '--relay',
        base,
        '--username',
        name,
        '--json',
      ]);
    // alice reaches the relay only through the proxy; bob directly.
    for (const r of await Promise.all([
      init('alice', proxy.base),
      init('bob', relay.url.replace(/\/v1\/ws$/, '')),
    ]))
      expect(r.code, r.stderr).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
    await relay?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('sends the message exactly once after a restart', async () => {
    // A first message so the session exists and the held one is an ordinary ratchet step.
    expect((await wisp(profile('alice'), ['send'], ['--to', 'bob', '--text', 'hello'])).code).toBe(0);
    expect((await wisp(profile('bob'), ['sync'])).code).toBe(0);

    proxy.state.holding = true;
    const child = spawnWisp([
      'send',
      '--profile',
      profile('alice'),
      '--keystore',
      'passphrase',
      '--to',
      'bob',
      '--text',
      'exactly once',
      '--json',
    ]);
    const exited = new Promise((r) => child.once('exit', r));
    await new Promise<void>((resolve, reject) => {
      proxy.state.onHeld = () => {
        child.kill('SIGKILL');
        resolve();
      };
      child.once('exit', () => reject(new Error('wisp send ended before the relay stored the message')));
    });
    await exited;
    expect(child.signalCode).toBe('SIGKILL');
    expect(proxy.state.held).toBe(1);

    // Restart: the outbox still holds the message (its acknowledgement never came) and sends it.
    proxy.state.holding = false;
    const sendsBefore = proxy.state.sends;
    const resumed = await wisp(profile('alice'), ['sync']);
    expect(resumed.code, resumed.stderr).toBe(0);
    // It really went to the relay a second time: the receiver is the one that must drop a copy.
    expect(proxy.state.sends).toBeGreaterThan(sendsBefore);

    const got = await wisp(profile('bob'), ['sync']);
    expect(got.code, got.stderr).toBe(0);
    const copies = got.lines.filter((l) => l.text === 'exactly once');
    expect(copies).toHaveLength(1);
    const listed = await wisp(profile('bob'), ['messages'], ['--with', 'alice']);
    expect(listed.lines.filter((l) => l.text === 'exactly once')).toHaveLength(1);
  }, 120_000);
});
