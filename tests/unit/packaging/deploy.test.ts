// deploy/: the systemd unit passes systemd's own verifier and keeps its hardening; its command line,
// the container's and the compose file's start a real relay that answers and stops cleanly on
// SIGTERM (what systemd and the container runtime send). Containers cannot run here (no Docker
// daemon): the Containerfile and compose file are checked against the repo and the relay instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, freshSchema, PG_URL } from '../../helpers/relay/postgres';

const repo = resolve(import.meta.dirname, '../../..');
const deploy = join(repo, 'deploy');
const unit = readFileSync(join(deploy, 'wisp-relay.service'), 'utf8');
const containerfile = readFileSync(join(deploy, 'Containerfile'), 'utf8');
const yaml = createRequire(join(repo, 'node_modules/app-builder-lib/package.json'))('js-yaml') as {
  load(text: string): unknown;
};
interface ComposeService {
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  cap_drop?: string[];
  read_only?: boolean;
  healthcheck?: unknown;
}
const compose = yaml.load(readFileSync(join(deploy, 'compose.yaml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};

/** The unit's directives, as `key → values` (a key may repeat). */
function directives(text: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (match) map.set(match[1]!, [...(map.get(match[1]!) ?? []), match[2]!]);
  }
  return map;
}

interface Started {
  url: string;
  httpUrl: string;
  storage: string;
}

/**
 * Starts `node bin/wisp-relay.mjs ...args`, waits for its JSON line, asks /healthz, then sends
 * SIGTERM and waits for it to exit.
 * Returns what it said and its exit code.
 */
function runRelay(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return new Promise<{ started: Started; health: unknown; code: number | null; stderr: string }>(
    (done, fail) => {
      let health: unknown;
      const child = spawn(process.execPath, [join(repo, 'bin/wisp-relay.mjs'), ...args], { cwd: repo, env });
      let stdout = '';
      let stderr = '';
      let started: Started | undefined;
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const line = stdout.split('\n')[0];
        if (started === undefined && stdout.includes('\n') && line !== undefined) {
          started = JSON.parse(line) as Started;
          fetch(`${started.httpUrl}/healthz`)
            .then(async (response) => (health = await response.json()))
            .catch((error: unknown) => (health = String(error)))
            .finally(() => child.kill('SIGTERM'));
        }
      });
      child.on('error', fail);
      child.on('close', (code) => {
        if (started === undefined) fail(new Error(`relay did not start (exit ${code}): ${stderr}`));
        else done({ started, health, code, stderr });
      });
    },
  );
}

const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
const temp = mkdtempSync(join(tmpdir(), 'wisp-deploy-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
/** Each test here starts a relay process (tsx start-up included); give it room on a busy machine. */
const RELAY_TIMEOUT = 60_000;

describe('systemd unit', () => {
  const unitDirectives = directives(unit);
  const one = (key: string) => unitDirectives.get(key)?.[0];

  it.skipIf(!hasSystemdAnalyze)(
    `passes systemd-analyze verify without a warning${hasSystemdAnalyze ? '' : ' — SKIPPED: no systemd-analyze'}`,
    () => {
      // verify also checks that ExecStart's program exists. Where Node is not /usr/bin/node (a CI
      // image with its own Node), the same unit is checked with this Node's path swapped in.
      let file = join(deploy, 'wisp-relay.service');
      if (!existsSync('/usr/bin/node')) {
        file = join(temp, 'wisp-relay.service');
        writeFileSync(file, unit.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `));
      }
      const result = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
  );

  it('runs as a dynamic user in a read-only system with no capabilities', () => {
    expect(one('DynamicUser')).toBe('yes');
    expect(one('StateDirectory')).toBe('wisp-relay');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('PrivateTmp')).toBe('yes');
    expect(one('PrivateDevices')).toBe('yes');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('CapabilityBoundingSet')).toBe('');
    expect(one('RestrictAddressFamilies')).toBe('AF_INET AF_INET6 AF_UNIX');
    expect(unitDirectives.get('SystemCallFilter')).toContain('@system-service');
    expect(one('UMask')).toBe('0077');
  });

  it(
    'starts a relay from its ExecStart line that listens on loopback and stops cleanly on SIGTERM',
    async () => {
      const execStart = one('ExecStart')!.split(' ');
      expect(execStart.slice(0, 2)).toEqual(['/usr/bin/node', '/opt/wisp-relay/bin/wisp-relay.mjs']);
      const args = execStart.slice(2);
      expect(args).toEqual([
        '--host',
        '127.0.0.1',
        '--port',
        '8787',
        '--data',
        `/var/lib/${one('StateDirectory')}`,
      ]);
      // Same flags, with a free port and a temp data folder instead of the unit's.
      const local = [...args];
      local[local.indexOf('--port') + 1] = '0';
      local[local.indexOf('--data') + 1] = join(temp, 'unit');
      const run = await runRelay(local);
      expect(run.started.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+/);
      expect(run.started.storage).toBe('sqlite');
      expect(run.health).toEqual({ ok: true, storage: 'sqlite' });
      expect(run.code, run.stderr).toBe(0);
    },
    RELAY_TIMEOUT,
  );
});

describe('container image and compose file', () => {
  it('copies every folder the relay loads, and runs as an unprivileged user', () => {
    // The relay's sources import only relay/ and the folders its relative imports reach.
    const reached = new Set<string>(['bin', 'relay']);
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts')) {
          for (const match of readFileSync(path, 'utf8').matchAll(/from '((?:\.\.\/)+)([a-z]+)\//g)) {
            const target = resolve(dir, match[1]!, match[2]!);
            if (target.startsWith(repo)) reached.add(target.slice(repo.length + 1).split('/')[0]!);
          }
        }
      }
    };
    walk(join(repo, 'relay'));
    const copied = [...containerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) =>
      m[1]!.split(' '),
    );
    for (const folder of reached) expect(copied).toContain(folder);
    for (const source of copied) expect(existsSync(join(repo, source))).toBe(true);
    expect(containerfile).toMatch(/^USER node$/m);
    expect(containerfile).toContain('.prebuild-installrc'); // native addons compiled, not downloaded
  });

  it('publishes the relay on loopback only, keeps PostgreSQL private and its password out of the file', () => {
    const { relay, db } = compose.services;
    expect(relay!.ports).toEqual(['127.0.0.1:8787:8787']);
    expect(db!.ports).toBeUndefined();
    expect(relay!.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    expect(db!.healthcheck).toBeDefined();
    expect(relay!.environment!.PGPASSWORD).toMatch(/^\$\{WISP_DB_PASSWORD:\?/);
    expect(db!.environment!.POSTGRES_PASSWORD).toMatch(/^\$\{WISP_DB_PASSWORD:\?/);
    expect(relay!.command!.join(' ')).not.toMatch(/:[^/@]*@/); // no password inside the URL
    expect(relay!.cap_drop).toEqual(['ALL']);
    expect(relay!.read_only).toBe(true);
  });

  it(
    'starts a relay from the image’s entrypoint and default command (SQLite)',
    async () => {
      const entrypoint = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(containerfile)![1]!) as string[];
      const cmd = JSON.parse(/^CMD (.+)$/m.exec(containerfile)![1]!) as string[];
      expect(entrypoint.slice(0, 2)).toEqual(['node', 'bin/wisp-relay.mjs']);
      const args = [...entrypoint.slice(2), ...cmd];
      args[args.indexOf('--port') + 1] = '0';
      args[args.indexOf('--host') + 1] = '127.0.0.1';
      args[args.indexOf('--data') + 1] = join(temp, 'image');
      const run = await runRelay(args);
      expect(run.started.storage).toBe('sqlite');
      expect(run.code, run.stderr).toBe(0);
    },
    RELAY_TIMEOUT,
  );

  const schema = freshSchema();
  afterAll(() => dropSchema(schema));
  it.skipIf(!PG_URL)(
    `starts a relay from the compose command on PostgreSQL with the password in PGPASSWORD${PG_URL ? '' : ' — SKIPPED: WISP_TEST_PG is not set'}`,
    async () => {
      const pg = new URL(PG_URL!);
      const command = [...compose.services.relay!.command!];
      const url = new URL(command[command.indexOf('--database') + 1]!);
      expect(url.password).toBe('');
      // The compose URL, pointed at the test server instead of the `db` service.
      url.host = pg.host;
      url.username = pg.username;
      url.pathname = pg.pathname;
      command[command.indexOf('--database') + 1] = url.toString();
      // The server key the compose file mounts as a secret, made the way an operator makes it.
      const keys = temp;
      const keygen = spawnSync(process.execPath, [
        join(repo, 'bin/wisp-relay.mjs'),
        'keygen',
        '--root',
        join(keys, 'root.json'),
        '--out',
        join(keys, 'server-key.json'),
      ]);
      expect(keygen.status, keygen.stderr.toString()).toBe(0);
      expect(command[command.indexOf('--server-key') + 1]).toBe('/run/secrets/server-key');
      command[command.indexOf('--server-key') + 1] = join(keys, 'server-key.json');
      // The token key secret, likewise made by the operator (the secrets mount is read-only).
      const tokenSecret = spawnSync(process.execPath, [
        join(repo, 'bin/wisp-relay.mjs'),
        'token-secret',
        '--out',
        join(keys, 'token-key-secret.json'),
      ]);
      expect(tokenSecret.status, tokenSecret.stderr.toString()).toBe(0);
      expect(command[command.indexOf('--token-secret') + 1]).toBe('/run/secrets/token-key-secret');
      command[command.indexOf('--token-secret') + 1] = join(keys, 'token-key-secret.json');
      const env = { ...process.env, PGPASSWORD: decodeURIComponent(pg.password) };
      const run = await runRelay(
        [...entrypoint(), ...command, '--schema', schema].map((arg, i, all) => {
          if (all[i - 1] === '--port') return '0';
          if (all[i - 1] === '--host') return '127.0.0.1';
          return arg;
        }),
        env,
      );
      expect(run.started.storage).toBe('postgres');
      expect(run.health).toEqual({ ok: true, storage: 'postgres' });
      expect(run.code, run.stderr).toBe(0);
    },
    RELAY_TIMEOUT,
  );
});

function entrypoint(): string[] {
  return (JSON.parse(/^ENTRYPOINT (.+)$/m.exec(containerfile)![1]!) as string[]).slice(2);
}
