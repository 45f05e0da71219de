// Issue 14: with a SOCKS5 proxy configured, every connection a client makes to the relay goes
// through it — registration, the authenticated WebSocket, attachment upload and download, a message
// round trip between two real engines — and when the proxy is down nothing reaches the relay
// directly and the error names the proxy. The proxy is Debian's microsocks on loopback; a witness in
// front of the relay records each connection's source address (microsocks connects from 127.0.0.2,
// a direct client from 127.0.0.1) and request line.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../core/engine';
import { RelayClient } from '../../core/relayClient/relayClient';
import { checkProxyUrl } from '../../core/relayClient/relayRoute';
import { startRelay, type RunningRelay } from '../../relay';
import { testKeyStore } from '../helpers/engine/fixtures';
import {
  PROXY_EGRESS,
  freePort,
  skipMicrosocks,
  startMicrosocks,
  startRelayWitness,
  type RelayWitness,
  type SocksProxy,
} from '../helpers/relay/socks';
import { WispError } from '../../common/errors';

const skip = skipMicrosocks('the SOCKS5 proxy tests');

let relay: RunningRelay;
let witness: RelayWitness;
let root: string;
const running: { proxies: SocksProxy[]; engines: Engine[] } = { proxies: [], engines: [] };

beforeAll(async () => {
  relay = await startRelay({ port: 0, logger: false });
  witness = await startRelayWitness(relay.port);
  root = mkdtempSync(join(tmpdir(), 'wisp-proxy-test-'));
});
afterEach(async () => {
  for (const e of running.engines.splice(0)) await e.close().catch(() => undefined);
  for (const p of running.proxies.splice(0)) await p.stop();
});
afterAll(async () => {
  await witness.close();
  await relay.close();
  rmSync(root, { recursive: true, force: true });
});

async function proxy(options?: Parameters<typeof startMicrosocks>[0]): Promise<SocksProxy> {
  const started = await startMicrosocks(options);
  running.proxies.push(started);
  return started;
}

async function create(name: string, proxyUrl: string | null): Promise<Engine> {
  const engine = await Engine.create({
    profileDir: join(root, name),
    keystore: testKeyStore(),
    relayUrl: witness.url,
    username: name,
    proxy: proxyUrl,
  });
  running.engines.push(engine);
  return engine;
}

async function open(name: string, proxyUrl: string | null): Promise<Engine> {
  const engine = await Engine.open({
    profileDir: join(root, name),
    keystore: testKeyStore(),
    proxy: proxyUrl,
  });
  running.engines.push(engine);
  return engine;
}

/** The WispError an action fails with; a test fails if it succeeds or throws something untyped. */
async function caught(promise: Promise<unknown>): Promise<WispError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WispError) return error;
    throw error;
  }
  throw new Error('expected the action to fail');
}

function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

/** Connections the relay saw from index `start` on. */
function seenSince(start: number) {
  return witness.connections.slice(start);
}

describe.skipIf(skip)('SOCKS5 proxy for every relay connection', () => {
  it('carries registration, the authenticated WebSocket, an attachment upload and download and a message round trip: the relay sees only the proxy', async () => {
    const socks = await proxy();
    const start = witness.connections.length;
    const alice = uniqueName('alice');
    const bob = uniqueName('bob');
    const a = await create(alice, socks.url);
    const b = await create(bob, socks.url);

    const file = join(root, 'note.txt');
    const bytes = randomBytes(200_000);
    writeFileSync(file, bytes);
    await a.sendText(bob, 'through the proxy', { file });
    const received = await b.sync();
    const message = received.find((m) => m.text === 'through the proxy');
    expect(message).toBeDefined();
    const out = join(root, 'saved.bin');
    await b.saveAttachment(message!.id, message!.attachments[0]!.id, out);
    expect(readFileSync(out).equals(bytes)).toBe(true);
    await b.sendText(alice, 'and back');
    expect((await a.sync()).map((m) => m.text)).toContain('and back');

    const seen = seenSince(start);
    // Every connection the relay saw came from the proxy's address, none from this machine's own…
    expect(seen.map((c) => c.from)).toEqual(seen.map(() => PROXY_EGRESS));
    // …and every kind of connection happened: two registrations, two authenticated WebSockets (at
    // least), the upload and the download (each on a connection of its own through the proxy).
    const requests = seen.map((c) => c.request);
    expect(requests.filter((r) => r.startsWith('GET /v1/ws ')).length).toBeGreaterThanOrEqual(4);
    expect(requests.some((r) => r.startsWith('PUT /v1/attachments/'))).toBe(true);
    expect(requests.some((r) => r.startsWith('GET /v1/attachments/'))).toBe(true);
    // microsocks logged one proxied connection for each connection the relay saw.
    expect(socks.log.filter((l) => l.includes(`connected to localhost:${witness.port}`))).toHaveLength(
      seen.length,
    );
  });

  it('without a proxy the same client connects from 127.0.0.1 (the witness tells the two apart)', async () => {
    const start = witness.connections.length;
    await create(uniqueName('direct'), null);
    const seen = seenSince(start);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((c) => c.from === '127.0.0.1')).toBe(true);
  });

  it('a proxy that wants a login gets it from user:password in the address', async () => {
    const socks = await proxy({ user: 'wisp', password: 'p@ss:word' });
    const start = witness.connections.length;
    const name = uniqueName('login');
    await create(name, socks.url);
    expect(seenSince(start).length).toBeGreaterThan(0);
    expect(seenSince(start).every((c) => c.from === PROXY_EGRESS)).toBe(true);

    const wrong = socks.url.replace('p%40ss%3Aword', 'nope');
    const before = witness.connections.length;
    const error = await caught(create(uniqueName('badlogin'), wrong));
    expect(error).toMatchObject({ kind: 'RelayUnavailable' });
    expect(error.recovery).toContain(`socks5h://127.0.0.1:${socks.port}`);
    expect(witness.connections.length).toBe(before);
  });

  it('socks5:// (names resolved here) works too', async () => {
    const socks = await proxy({ scheme: 'socks5' });
    const start = witness.connections.length;
    await create(uniqueName('local'), socks.url);
    expect(seenSince(start).length).toBeGreaterThan(0);
    expect(seenSince(start).every((c) => c.from === PROXY_EGRESS)).toBe(true);
  });

  it('proxy down: registration fails with RelayUnavailable naming the proxy, nothing reaches the relay, no profile is left', async () => {
    const deadPort = await freePort();
    const start = witness.connections.length;
    const name = uniqueName('down');
    const error = await caught(create(name, `socks5h://127.0.0.1:${deadPort}`));
    expect(error).toMatchObject({ kind: 'RelayUnavailable' });
    expect(error.message).toContain(`through the proxy socks5h://127.0.0.1:${deadPort}`);
    expect(error.message).toContain('the proxy did not answer (ECONNREFUSED)');
    expect(error.recovery).toContain('never connects directly');
    expect(witness.connections.length).toBe(start);
    expect(existsSync(join(root, name))).toBe(false);
  });

  it('a proxy does not make plain ws:// to a remote relay acceptable: refused before the proxy is contacted', async () => {
    // A listener standing in for the proxy counts every connection made to it.
    let contacted = 0;
    const listener = createServer((socket) => {
      contacted++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as AddressInfo;
    const client = new RelayClient({
      url: 'ws://relay.example/v1/ws',
      proxy: checkProxyUrl(`socks5h://127.0.0.1:${port}`),
      accountId: null,
      sign: () => new Uint8Array(64),
      reconnect: false,
    });
    const error = await caught(client.connect());
    expect(error).toMatchObject({ kind: 'InvalidInput' });
    expect(error.message).toContain('plain ws:// is only allowed for a relay on this machine');
    await client.close();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    expect(contacted).toBe(0);
  });

  it('proxy up but the relay unreachable behind it: the error says the proxy could not reach the relay', async () => {
    const socks = await proxy();
    const closedPort = await freePort();
    const error = await caught(
      Engine.create({
        profileDir: join(root, uniqueName('behind')),
        keystore: testKeyStore(),
        relayUrl: `ws://localhost:${closedPort}/v1/ws`,
        proxy: socks.url,
      }),
    );
    expect(error).toMatchObject({ kind: 'RelayUnavailable' });
    expect(error.message).toContain('the proxy could not reach the relay');
  });

  it('proxy stops after setup: sends wait in the outbox, downloads fail naming the proxy, the relay sees nothing direct', async () => {
    const socks = await proxy();
    const sender = uniqueName('s');
    const receiver = uniqueName('r');
    const s = await create(sender, socks.url);
    const r = await create(receiver, socks.url);
    const file = join(root, 'later.txt');
    writeFileSync(file, 'attached');
    await s.sendText(receiver, 'before the proxy stops', { file });
    await s.close();
    await socks.stop();

    const start = witness.connections.length;
    const again = await open(sender, socks.url);
    // The send is kept in the outbox (the engine's answer to an unreachable relay), not sent around it.
    const queued = await again.sendText(receiver, 'while it is down');
    expect(queued.state).toBe('pending');
    const syncError = await caught(r.sync());
    expect(syncError).toMatchObject({ kind: 'RelayUnavailable' });
    expect(syncError.message).toContain('the proxy did not answer (ECONNREFUSED)');
    expect(syncError.recovery).toContain(`socks5h://127.0.0.1:${socks.port}`);
    expect(witness.connections.length).toBe(start);

    // The proxy comes back on the same port: the queued message goes out, through it.
    const back = await startMicrosocksOn(socks.port);
    await again.sync();
    const got = await r.sync();
    expect(got.map((m) => m.text)).toEqual(
      expect.arrayContaining(['before the proxy stops', 'while it is down']),
    );
    const withFile = got.find((m) => m.text === 'before the proxy stops')!;
    await back.stop();
    const before = witness.connections.length;
    const download = await caught(
      r.saveAttachment(withFile.id, withFile.attachments[0]!.id, join(root, 'never.txt')),
    );
    expect(download).toMatchObject({ kind: 'RelayUnavailable' });
    expect(download.recovery).toContain('proxy');
    expect(witness.connections.length).toBe(before);
    expect(seenSince(start).every((c) => c.from === PROXY_EGRESS)).toBe(true);
  });

  it('setProxy moves a live connection onto the proxy: the direct socket closes, every later one comes from the proxy', async () => {
    const socks = await proxy();
    const name = uniqueName('live');
    const peer = uniqueName('peer');
    const p = await create(peer, socks.url);
    const made = await create(name, null);
    await made.close();
    const before = witness.connections.length;
    const engine = await open(name, null);
    await engine.connect();
    const direct = seenSince(before);
    expect(direct.length).toBe(1);
    expect(direct[0]!.from).toBe('127.0.0.1');

    const start = witness.connections.length;
    engine.setProxy(socks.url);
    await engine.sendText(peer, 'after switching');
    expect((await p.sync()).map((m) => m.text)).toContain('after switching');
    expect(direct[0]!.closed).toBe(true);
    const seen = seenSince(start);
    expect(seen.some((c) => c.request.startsWith('GET /v1/ws '))).toBe(true);
    expect(seen.every((c) => c.from === PROXY_EGRESS)).toBe(true);

    // A bad address changes nothing: still on the proxy.
    expect(() => engine.setProxy('http://127.0.0.1:8080')).toThrow(/socks5h:\/\/ or socks5:\/\//);
    const after = witness.connections.length;
    await engine.sendText(peer, 'still proxied');
    expect(seenSince(after).every((c) => c.from === PROXY_EGRESS)).toBe(true);
  });
});

/** The proxy again on the port it had (the old process has exited, so the port is free). */
async function startMicrosocksOn(port: number): Promise<SocksProxy> {
  const started = await startMicrosocks({ port });
  running.proxies.push(started);
  return started;
}
