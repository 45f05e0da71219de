#!/usr/bin/env node
// First step of `npm test`: checks the system prerequisites the suites really use and, when any is
// missing, stops at once with one message listing them all and the command that installs them,
// instead of a lint error or a failing suite several minutes in. `.ci/run` installs all of them.
import { accessSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(repo, 'package.json'));
const TEST_PG_EXAMPLE = 'postgres://wisp:wisp@127.0.0.1:5432/wisp_test';

/** True when `command` is an executable file in one of the PATH folders of `env`. */
export function onPath(command, env = process.env) {
  for (const folder of (env.PATH ?? '').split(delimiter)) {
    if (folder === '') continue;
    try {
      accessSync(join(folder, command), constants.X_OK);
      return true;
    } catch {
      // not in this folder
    }
  }
  return false;
}

/** A native module loads (it compiled at npm install and its shared libraries are present). */
function loads(name) {
  try {
    require(name);
    return true;
  } catch {
    return false;
  }
}

/** The connection URL with its password replaced, so the message never prints a secret. */
export function redacted(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}

async function postgresAnswers(url) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return error instanceof Error ? (error.message.split('\n')[0] ?? 'no answer') : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Each prerequisite: what it is, which suite needs it, the Debian packages that provide it, and the
 * steps after installing them. Returns the missing ones.
 * @returns {Promise<{ name: string, why: string, apt: string[], then?: string[] }[]>}
 */
export async function missingPrerequisites(env = process.env, platform = process.platform) {
  const missing = [];
  const chromium = env.WISP_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) {
    missing.push({
      name: `chromium (${chromium})`,
      why: 'the renderer and end-to-end tests drive a real Chromium (never a downloaded browser); WISP_CHROMIUM names another binary',
      apt: ['chromium'],
    });
  }
  if (!onPath('age', env)) {
    missing.push({
      name: 'age',
      why: 'backups are age files that the standard age tool must open (PRODUCT.md); the interop checks run it',
      apt: ['age'],
    });
  }
  const pgUrl = env.WISP_TEST_PG;
  if (pgUrl === undefined || pgUrl === '') {
    missing.push({
      name: 'PostgreSQL (WISP_TEST_PG)',
      why: 'the relay tests run against a real PostgreSQL named by WISP_TEST_PG',
      apt: ['postgresql'],
      then: [
        `sudo -u postgres psql -c "CREATE ROLE wisp LOGIN PASSWORD 'wisp' CREATEDB" && sudo -u postgres createdb -O wisp wisp_test`,
        `export WISP_TEST_PG=${TEST_PG_EXAMPLE}`,
      ],
    });
  } else {
    const problem = await postgresAnswers(pgUrl);
    if (problem !== null) {
      missing.push({
        name: 'PostgreSQL (WISP_TEST_PG)',
        why: `WISP_TEST_PG=${redacted(pgUrl)} does not answer: ${problem}`,
        apt: ['postgresql'],
        then: ['sudo pg_ctlcluster $(ls /etc/postgresql | sort -n | tail -1) main start'],
      });
    }
  }
  if (platform === 'linux') {
    if (!onPath('dbus-run-session', env)) {
      missing.push({
        name: 'dbus-run-session',
        why: 'the keychain tests run a private D-Bus session',
        apt: ['dbus'],
      });
    }
    if (!onPath('gnome-keyring-daemon', env)) {
      missing.push({
        name: 'gnome-keyring-daemon',
        why: 'the keychain tests need a real Secret Service',
        apt: ['gnome-keyring'],
      });
    }
  }
  if (!onPath('microsocks', env)) {
    missing.push({
      name: 'microsocks',
      why: 'the SOCKS5 proxy tests route every relay connection through a real SOCKS5 server on loopback',
      apt: ['microsocks'],
    });
  }
  const rebuild = [];
  if (!loads('keytar')) {
    missing.push({
      name: 'keytar (built against libsecret)',
      why: 'the keychain tests use the OS keychain through keytar, which compiles only with libsecret-1-dev',
      apt: platform === 'linux' ? ['libsecret-1-dev'] : [],
    });
    rebuild.push('keytar');
  }
  if (!loads('better-sqlite3-multiple-ciphers')) {
    missing.push({
      name: 'better-sqlite3-multiple-ciphers (SQLCipher)',
      why: 'every store test opens real SQLCipher files; the module did not compile at npm install',
      apt: [],
    });
    rebuild.push('better-sqlite3-multiple-ciphers');
  }
  if (rebuild.length > 0) {
    // Native addons are compiled here, never downloaded (.prebuild-installrc): a compiler is needed.
    const tools = ['python3', 'make', platform === 'darwin' ? 'clang++' : 'g++'].filter(
      (tool) => !onPath(tool, env),
    );
    if (tools.length > 0) {
      missing.push({
        name: `a C++ toolchain (${tools.join(', ')})`,
        why: 'native modules are compiled from source at npm install',
        apt: ['python3', 'make', 'g++'],
      });
    }
    // The last item is a native module's or the toolchain's: rebuilding is the step after either.
    missing[missing.length - 1].then = [`npm rebuild ${rebuild.join(' ')}`];
  }
  return missing;
}

/** The one message: every missing prerequisite, then one install command, then the steps after it. */
export function report(missing, platform = process.platform) {
  const lines = ['npm test stopped before running anything: this machine lacks what the test suites need.'];
  for (const item of missing) lines.push(`  - ${item.name}: ${item.why}`);
  const packages = [...new Set(missing.flatMap((item) => item.apt))];
  if (packages.length > 0) {
    lines.push(
      platform === 'linux'
        ? 'Install them (Debian/Ubuntu):'
        : 'Install them with your system package manager (Debian names):',
    );
    lines.push(`  sudo apt-get install -y ${packages.join(' ')}`);
  }
  const after = missing.flatMap((item) => item.then ?? []);
  if (after.length > 0) {
    lines.push('Then:');
    for (const step of after) lines.push(`  ${step}`);
  }
  lines.push('On a fresh Debian machine, .ci/run installs and starts all of it, then runs npm test.');
  return lines.join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const missing = await missingPrerequisites();
  if (missing.length > 0) {
    console.error(report(missing));
    process.exitCode = 1;
  }
}
