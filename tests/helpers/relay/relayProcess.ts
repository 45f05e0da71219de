// Runs `wisp-relay` (bin/wisp-relay.mjs: the bundle in out/relay, built in the relay project's
// global setup) as a child process for tests that need a separate process: kill -9 durability,
// several nodes on one PostgreSQL, log inspection, and the relay's own memory (RSS) under attack.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { RelayLimitsInput } from '../../../relay/config';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const RELAY_BIN = resolve(ROOT, 'bin/wisp-relay.mjs');
const RELAY_MAIN = resolve(ROOT, 'tests/helpers/relay/relayMain.ts');

export interface RelayProcess {
  child: ChildProcess;
  url: string;
  httpUrl: string;
  port: number;
  /** Everything the relay wrote to stderr (its logs) so far. */
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
}

export async function spawnRelay(args: string[], env: Record<string, string> = {}): Promise<RelayProcess> {
  return started(
    spawn(process.execPath, [RELAY_BIN, '--port', '0', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/** The relay (SQLite in a temp dir, port 0) in a child process with `limits`, which the CLI cannot set. */
export async function spawnRelayWithLimits(limits: RelayLimitsInput): Promise<RelayProcess> {
  return started(
    spawn(process.execPath, ['--import', 'tsx', RELAY_MAIN, JSON.stringify(limits)], {
      cwd: ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

async function started(child: ChildProcess & { stdout: Readable; stderr: Readable }): Promise<RelayProcess> {
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exited = new Promise<number | string>((res) =>
    child.on('exit', (code, signal) => res(code ?? signal ?? -1)),
  );
  const line = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`relay did not start: ${err}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        res(out.slice(0, nl));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`relay exited (${code}) before listening: ${err}`));
    });
  });
  const info = JSON.parse(line) as { url: string; httpUrl: string; port: number };
  return { child, ...info, stderr: () => err, stdout: () => out, exited };
}

/** Sends `signal` to the relay (by its pid) and waits for it to exit. */
export async function stopRelay(
  p: RelayProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | string> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  return p.exited;
}

/** Runs `wisp-relay keygen` (as an operator would, offline) and returns its JSON line. */
export async function runKeygen(
  rootFile: string,
  serverKeyFile: string,
): Promise<{ trustRoot: string; keyId: number; createdRoot: boolean }> {
  const { execFile } = await import('node:child_process');
  const stdout = await new Promise<string>((res, rej) =>
    execFile(
      process.execPath,
      [RELAY_BIN, 'keygen', '--root', rootFile, '--out', serverKeyFile],
      { cwd: ROOT },
      (error, out, err) => (error ? rej(new Error(`keygen failed: ${err}`)) : res(out)),
    ),
  );
  return JSON.parse(stdout.trim()) as { trustRoot: string; keyId: number; createdRoot: boolean };
}

/** The process's resident memory now (VmRSS) and its peak so far (VmHWM), in bytes, from /proc. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') * 1024, peak: kib('VmHWM') * 1024 };
}
