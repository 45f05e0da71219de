// Runs `wisp-relay` (bin/wisp-relay.mjs: the bundle in out/relay, built in the relay project's
// global setup) as a child process for tests that need a separate process: kill -9 durability,
// several nodes on one PostgreSQL, and log inspection.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const RELAY_BIN = resolve(ROOT, 'bin/wisp-relay.mjs');

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
  const child = spawn(process.execPath, [RELAY_BIN, '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
