// `wisp` start-up and `wisp daemon` round trips, each next to a floor measured in the same run:
//  - `wisp --help` against a bare `node -e 0` (target ≤ 2×);
//  - `wisp conversations --json` on a passphrase profile against a node that loads libsignal and the
//    SQLite addon and runs the profile's one scrypt derivation (target ≤ 1.5×);
//  - a `send` through `wisp daemon` (JSON-RPC over stdio) against the engine's own sendText in this
//    process, both to the same peer on the same relay, interleaved (target ≤ 1.5×).
// Run: npx tsx bench/cli.bench.ts   (builds out/cli first; medians of the runs below)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Engine } from '../core/engine';
import { keyStoreFor } from '../core/vault';
import { startRelay } from '../relay/index';
import { RpcClient } from '../tests/helpers/engine/daemonClient';
import { quantile, resultLine } from './lib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WISP = join(ROOT, 'bin/wisp.mjs');
const PASSPHRASE = 'bench passphrase';
const START_RUNS = 15;
const OPEN_RUNS = 7;
const SEND_ROUNDS = 60;
const WARMUP_SENDS = 3;

const line = resultLine('cli');
const round = (n: number): number => Math.round(n * 1000) / 1000;
const median = (samples: number[]): number => quantile(samples, 0.5);

/** Wall time of one child process, start to exit (async: the relay in this process must keep serving). */
async function timeProcess(args: string[], env: Record<string, string> = {}): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, WISP_PASSPHRASE: PASSPHRASE, WISP_LOG_LEVEL: 'error', ...env },
    stdio: 'ignore',
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const elapsed = performance.now() - t0;
  if (code !== 0) throw new Error(`node ${args.slice(0, 2).join(' ')} exited with ${code}`);
  return elapsed;
}

function report(name: string, value: number[], baseline: number[], target: number, unit = 'ms'): void {
  const ratio = median(value) / median(baseline);
  line({
    metric: name,
    unit,
    value: round(median(value)),
    baseline: round(median(baseline)),
    runs: value.length,
    ratio: round(ratio),
    target,
    pass: ratio <= target,
  });
}

/** The floor of opening a profile: the two native addons and one scrypt with the profile's own parameters. */
const OPEN_FLOOR = `
const { scryptSync } = require('node:crypto');
require('@signalapp/libsignal-client');
const Database = require('better-sqlite3-multiple-ciphers');
new Database(':memory:').close();
const { kdf } = JSON.parse(require('node:fs').readFileSync(process.argv[1], 'utf8')).key;
scryptSync(process.env.WISP_PASSPHRASE, Buffer.from(kdf.salt, 'base64'), 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r });
`;

async function main(): Promise<void> {
  execFileSync(process.execPath, ['node-bundles.config.mjs', 'cli'], { cwd: ROOT, stdio: 'inherit' });
  const root = mkdtempSync(join(tmpdir(), 'wisp-cli-bench-'));
  const relay = await startRelay({ port: 0, logger: false });
  const relayBase = relay.url.replace(/\/v1\/ws$/, '');
  try {
    // Profiles made by the real CLI, with the default (full-cost) scrypt a user gets.
    for (const name of ['bob', 'direct', 'viadaemon']) {
      await timeProcess([
        WISP,
        'init',
        '--profile',
        join(root, name),
        '--keystore',
        'passphrase',
        '--relay',
        relayBase,
        '--username',
        `bench${name}`,
      ]);
    }

    // 1. --help against bare node, interleaved.
    const help: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < START_RUNS; i++) {
      bare.push(await timeProcess(['-e', '0']));
      help.push(await timeProcess([WISP, '--help']));
    }
    report('wisp --help vs node -e 0', help, bare, 2);

    // 2. conversations on a passphrase profile against its floor, interleaved.
    const profile = join(root, 'direct');
    const metadata = join(profile, 'profile.json');
    JSON.parse(readFileSync(metadata, 'utf8')); // fail early if the layout changed
    const conversations: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < OPEN_RUNS; i++) {
      floor.push(await timeProcess(['-e', OPEN_FLOOR, metadata]));
      conversations.push(
        await timeProcess([
          WISP,
          'conversations',
          '--json',
          '--profile',
          profile,
          '--keystore',
          'passphrase',
        ]),
      );
    }
    report('wisp conversations --json vs libsignal+SQLite addon+one scrypt', conversations, floor, 1.5);

    // 3. send through the daemon against the engine's own send, interleaved, same peer and relay.
    const engine = await Engine.open({
      profileDir: profile,
      keystore: keyStoreFor({ kind: 'passphrase', passphrase: PASSPHRASE }),
    });
    await engine.connect();
    const daemon = spawn(
      process.execPath,
      [WISP, 'daemon', '--profile', join(root, 'viadaemon'), '--keystore', 'passphrase'],
      {
        cwd: ROOT,
        env: { ...process.env, WISP_PASSPHRASE: PASSPHRASE, WISP_LOG_LEVEL: 'error' },
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const client = new RpcClient(daemon.stdout, daemon.stdin);
    await client.notification('daemon.ready', () => true);
    try {
      const direct: number[] = [];
      const viaDaemon: number[] = [];
      for (let i = 0; i < WARMUP_SENDS + SEND_ROUNDS; i++) {
        const text = `bench message ${i}`;
        let t0 = performance.now();
        await engine.sendText('benchbob', text);
        const d = performance.now() - t0;
        t0 = performance.now();
        await client.call('send', { to: 'benchbob', text });
        const r = performance.now() - t0;
        if (i >= WARMUP_SENDS) {
          direct.push(d);
          viaDaemon.push(r);
        }
      }
      report('send via wisp daemon vs Engine.sendText', viaDaemon, direct, 1.5);
    } finally {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon.once('exit', r));
      await engine.close();
    }
  } finally {
    await relay.close();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
