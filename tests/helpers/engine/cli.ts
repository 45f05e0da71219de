// Runs the real `wisp` CLI (bin/wisp.mjs, the bundle in out/cli that the core project builds in its
// global setup) as a child process, the way a user or script would.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startRelay, type RunningRelay } from '../../../relay/index';
import type { TestBackend } from '../relay/relayDb';
import { fileURLToPath } from 'node:url';

export const WISP_BIN = fileURLToPath(new URL('../../../bin/wisp.mjs', import.meta.url));
export const CLI_PASSPHRASE = 'cli test passphrase';

export interface WispResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON lines. */
  lines: Record<string, unknown>[];
}

/** `env` entries set to undefined are removed from the child's environment. */
export function spawnWisp(
  args: string[],
  env: Record<string, string | undefined> = {},
  stdio: StdioOptions = ['ignore', 'pipe', 'pipe'],
): ChildProcess {
  return spawn(process.execPath, [WISP_BIN, ...args], {
    env: { ...process.env, WISP_PASSPHRASE: CLI_PASSPHRASE, WISP_LOG_LEVEL: 'error', ...env },
    stdio,
  });
}

export function parseLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function runWisp(args: string[], env: Record<string, string | undefined> = {}): Promise<WispResult> {
  return resultOf(spawnWisp(args, env), args);
}

/** Collects a spawned `wisp`'s output and exit code; `args` tell whether stdout is JSON lines. */
export function resultOf(child: ChildProcess, args: string[]): Promise<WispResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      let lines: Record<string, unknown>[] = [];
      try {
        lines = args.includes('--json') ? parseLines(stdout) : [];
      } catch (error) {
        reject(new Error(`wisp ${args[0]} printed a line that is not JSON: ${stdout}`, { cause: error }));
        return;
      }
      resolve({ code, stdout, stderr, lines });
    });
  });
}

/** `wisp <command> --profile DIR --keystore passphrase --json …` */
export function wisp(profile: string, command: string[], options: string[] = []): Promise<WispResult> {
  return runWisp([...command, '--profile', profile, '--keystore', 'passphrase', '--json', ...options]);
}

/** `wisp <command> --profile DIR --keystore passphrase …` with the human output (no --json). */
export function wispHuman(profile: string, command: string[], options: string[] = []): Promise<WispResult> {
  return runWisp([...command, '--profile', profile, '--keystore', 'passphrase', ...options]);
}

export interface CliWorld {
  root: string;
  relayUrl: string;
  profile(name: string): string;
  close(): Promise<void>;
}

/** A relay on port 0 and one `wisp init`ed profile per name (inits run in parallel). */
export async function createCliWorld(names: string[]): Promise<CliWorld> {
  const root = mkdtempSync(join(tmpdir(), 'wisp-cli-test-'));
  const relay = await startRelay({ port: 0, logger: false });
  const profile = (name: string): string => join(root, name);
  const results = await Promise.all(
    names.map((name) =>
      runWisp([
        'init',
        '--profile',
        profile(name),
        '--keystore',
        'passphrase',
        '--relay',
        relay.url.replace(/\/v1\/ws$/, ''),
        '--username',
        name,
        '--json',
      ]),
    ),
  );
  for (const r of results) {
    if (r.code !== 0) throw new Error(`wisp init failed: ${r.stderr}`);
  }
  return {
    root,
    relayUrl: relay.url,
    profile,
    close: async () => {
      await relay.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * createCliWorld in beforeAll and its close in afterAll of the calling test file. `world()` and
 * `profile(name)` are for use inside tests, once beforeAll has run.
 */
export function useCliWorld(names: string[]): {
  world: () => CliWorld;
  profile: (name: string) => string;
} {
  let world: CliWorld;
  beforeAll(async () => {
    world = await createCliWorld(names);
  });
  afterAll(async () => {
    await world.close();
  });
  return { world: () => world, profile: (name) => world.profile(name) };
}

/**
 * For one describe block: a relay on `backend` (port 0) and a folder for profiles, made in beforeAll
 * and removed in afterAll. `init(profile, username)` runs the real `wisp init` into that folder.
 */
export function useCliRelay(make: () => TestBackend, prefix: string) {
  let backend: TestBackend | undefined;
  let relay: RunningRelay | undefined;
  let root = '';
  beforeAll(async () => {
    backend = make();
    relay = await startRelay({ port: 0, logger: false, ...backend.options });
    root = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await relay?.close();
    await backend?.cleanup();
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });
  const profile = (name: string): string => join(root, name);
  return {
    profile,
    backend: (): TestBackend => backend!,
    init: (name: string, username: string): Promise<WispResult> =>
      runWisp([
        'init',
        ...['--profile', profile(name), '--keystore', 'passphrase'],
        ...['--relay', relay!.url.replace(/\/v1\/ws$/, ''), '--username', username, '--json'],
      ]),
  };
}
