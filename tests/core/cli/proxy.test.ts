// Issue 14, the CLI: `--proxy URL` and $WISP_PROXY send every relay connection of real `wisp`
// processes (init, send with a file, sync, attachment save, the daemon) through a real SOCKS5 proxy
// (microsocks on loopback) to a wss:// relay — TLS inside the SOCKS tunnel, the relay's name resolved
// by the proxy (socks5h). A TLS-terminating witness in front of the relay records each connection's
// source address: the proxy connects from 127.0.0.2, a direct client from 127.0.0.1.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '../../../relay';
import { runWisp, spawnWisp } from '../../helpers/engine/cli';
import { RpcClient } from '../../helpers/engine/daemonClient';
import {
  PROXY_EGRESS,
  freePort,
  skipMicrosocks,
  localhostCertificate,
  startMicrosocks,
  startRelayWitness,
  type RelayWitness,
  type SocksProxy,
} from '../../helpers/relay/socks';

const skip = skipMicrosocks('the CLI proxy tests');

let relay: RunningRelay;
let witness: RelayWitness;
let socks: SocksProxy;
let root: string;
/** The child processes trust the witness's self-signed "localhost" certificate, nothing more. */
let env: Record<string, string>;
const stops: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'wisp-cli-proxy-'));
  const tls = localhostCertificate(root);
  relay = await startRelay({ port: 0, logger: false });
  witness = await startRelayWitness(relay.port, tls);
  socks = await startMicrosocks();
  env = { NODE_EXTRA_CA_CERTS: tls.certPath };
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});
afterAll(async () => {
  await socks?.stop();
  await witness?.close();
  await relay?.close();
  rmSync(root, { recursive: true, force: true });
});

const profile = (name: string) => join(root, name);

/** `wisp … --profile DIR --keystore passphrase --json`, with the certificate trusted and `extraEnv`. */
function wisp(name: string, args: string[], extraEnv: Record<string, string | undefined> = {}) {
  return runWisp([...args, '--profile', profile(name), '--keystore', 'passphrase', '--json'], {
    ...env,
    WISP_PROXY: undefined,
    ...extraEnv,
  });
}

function errorOf(stderr: string): Record<string, unknown> {
  return (JSON.parse(stderr.trim().split('\n').pop()!) as { error: Record<string, unknown> }).error;
}

function since(start: number) {
  return witness.connections.slice(start);
}

describe.skipIf(skip)('wisp --proxy / WISP_PROXY', () => {
  it('two real CLI clients talk over wss:// through the proxy: init, send with a file, sync, attachment save — the relay sees only the proxy', async () => {
    const start = witness.connections.length;
    const a = await wisp('alice', [
      'init',
      '--relay',
      witness.url,
      '--username',
      'alice',
      '--proxy',
      socks.url,
    ]);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    // bob takes the proxy from the environment.
    const b = await wisp('bob', ['init', '--relay', witness.url, '--username', 'bob'], {
      WISP_PROXY: socks.url,
    });
    expect(b.code).toBe(0);

    const file = join(root, 'note.txt');
    writeFileSync(file, 'a file through the tunnel\n'.repeat(500));
    const sent = await wisp('alice', [
      'send',
      '--to',
      'bob',
      '--text',
      'over tor, say',
      '--file',
      file,
      '--proxy',
      socks.url,
    ]);
    expect(sent.code).toBe(0);
    const synced = await wisp('bob', ['sync'], { WISP_PROXY: socks.url });
    const message = synced.lines.find((l) => l.text === 'over tor, say')!;
    expect(message).toBeDefined();
    const attachment = (message.attachments as { id: string }[])[0]!;
    const out = join(root, 'saved.txt');
    const saved = await wisp(
      'bob',
      ['attachment', 'save', '--id', message.id as string, '--attachment', attachment.id, '--out', out],
      { WISP_PROXY: socks.url },
    );
    expect(saved.code).toBe(0);
    expect(readFileSync(out).equals(readFileSync(file))).toBe(true);
    expect(
      (await wisp('bob', ['send', '--to', 'alice', '--text', 'received'], { WISP_PROXY: socks.url })).code,
    ).toBe(0);
    const back = await wisp('alice', ['sync', '--proxy', socks.url]);
    expect(back.lines.map((l) => l.text)).toContain('received');

    const seen = since(start);
    expect(seen.map((c) => c.from)).toEqual(seen.map(() => PROXY_EGRESS));
    const requests = seen.map((c) => c.request);
    expect(requests.filter((r) => r.startsWith('GET /v1/ws ')).length).toBeGreaterThanOrEqual(6);
    expect(requests.some((r) => r.startsWith('PUT /v1/attachments/'))).toBe(true);
    expect(requests.some((r) => r.startsWith('GET /v1/attachments/'))).toBe(true);
  });

  it('--proxy wins over WISP_PROXY, and --proxy "" turns a set WISP_PROXY off', async () => {
    const dead = `socks5h://127.0.0.1:${await freePort()}`;
    let start = witness.connections.length;
    const viaFlag = await wisp('alice', ['sync', '--proxy', socks.url], { WISP_PROXY: dead });
    expect(viaFlag.code).toBe(0);
    expect(since(start).length).toBeGreaterThan(0);
    expect(since(start).every((c) => c.from === PROXY_EGRESS)).toBe(true);

    start = witness.connections.length;
    const direct = await wisp('alice', ['sync', '--proxy', ''], { WISP_PROXY: dead });
    expect(direct.code).toBe(0);
    expect(since(start).length).toBeGreaterThan(0);
    expect(since(start).every((c) => c.from === '127.0.0.1')).toBe(true);
  });

  it('WISP_PROXY pointing at a proxy that is down: exit 1, RelayUnavailable naming the proxy, nothing reaches the relay', async () => {
    const deadPort = await freePort();
    const start = witness.connections.length;
    const result = await wisp('alice', ['sync'], { WISP_PROXY: `socks5h://127.0.0.1:${deadPort}` });
    expect(result.code).toBe(1);
    const error = errorOf(result.stderr);
    expect(error).toMatchObject({ kind: 'RelayUnavailable' });
    expect(error.message).toContain(`through the proxy socks5h://127.0.0.1:${deadPort}`);
    expect(error.recovery).toContain('never connects directly');
    expect(witness.connections.length).toBe(start);
  });

  it('a bad proxy address is refused before anything happens: InvalidInput, no profile, no connection', async () => {
    const start = witness.connections.length;
    for (const bad of [
      'http://127.0.0.1:8080',
      'socks5h://127.0.0.1',
      'socks4://127.0.0.1:1080',
      'socks5h://h:1/x',
    ]) {
      const result = await wisp('carol', [
        'init',
        '--relay',
        witness.url,
        '--username',
        'carol',
        '--proxy',
        bad,
      ]);
      expect(result.code).toBe(1);
      expect(errorOf(result.stderr)).toMatchObject({ kind: 'InvalidInput' });
      expect(String(errorOf(result.stderr).recovery)).toContain('socks5h://');
    }
    expect(existsSync(profile('carol'))).toBe(false);
    expect(witness.connections.length).toBe(start);
  });

  it('wisp daemon --proxy: a send through the daemon goes through the proxy', async () => {
    const start = witness.connections.length;
    const child = spawnWisp(
      ['daemon', '--profile', profile('alice'), '--keystore', 'passphrase', '--proxy', socks.url],
      { ...env, WISP_PROXY: undefined },
      ['pipe', 'pipe', 'pipe'],
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    stops.push(async () => {
      child.kill('SIGTERM');
      await exited;
    });
    const client = new RpcClient(child.stdout!, child.stdin!);
    await client.notification('daemon.ready', () => true);
    const sent = await client.call<{ text: string }[]>('send', { to: 'bob', text: 'from the daemon' });
    expect(sent[0]).toMatchObject({ text: 'from the daemon' });
    const synced = await wisp('bob', ['sync'], { WISP_PROXY: socks.url });
    expect(synced.lines.map((l) => l.text)).toContain('from the daemon');
    expect(since(start).length).toBeGreaterThan(0);
    expect(since(start).every((c) => c.from === PROXY_EGRESS)).toBe(true);
  });
});
