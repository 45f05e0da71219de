// `npm test` starts with scripts/check-prereqs.mjs: on a machine without the system packages the
// suites use it stops at once with one message listing every missing one and the apt-get command;
// with them present it stays silent. The "fresh machine" here is a PATH with nothing on it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../../..');
const script = join(repo, 'scripts/check-prereqs.mjs');
const emptyBin = mkdtempSync(join(tmpdir(), 'wisp-nobin-'));
afterAll(() => rmSync(emptyBin, { recursive: true, force: true }));

function check(env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [script], { cwd: repo, env, encoding: 'utf8' });
}

describe('npm test prerequisites', () => {
  it('is the first step of npm test', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    expect(pkg.scripts.test.startsWith('node scripts/check-prereqs.mjs && ')).toBe(true);
  });

  it('stops with one message listing every missing package and the apt-get line on a bare machine', () => {
    const result = check({
      PATH: emptyBin,
      HOME: emptyBin,
      WISP_CHROMIUM: join(emptyBin, 'chromium'),
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const message = result.stderr;
    expect(message.match(/npm test stopped/g)).toHaveLength(1);
    for (const name of [
      'chromium',
      'age',
      'PostgreSQL (WISP_TEST_PG)',
      'dbus-run-session',
      'gnome-keyring-daemon',
      'microsocks',
    ]) {
      expect(message).toContain(`  - ${name}`);
    }
    expect(message).toContain(
      'sudo apt-get install -y chromium age postgresql dbus gnome-keyring microsocks',
    );
    expect(message).toContain('export WISP_TEST_PG=postgres://wisp:wisp@127.0.0.1:5432/wisp_test');
  });

  it('names an unreachable WISP_TEST_PG without printing its password', () => {
    const result = check({
      PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
      WISP_TEST_PG: 'postgres://wisp:s3cret-pass@127.0.0.1:1/wisp_test',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('WISP_TEST_PG=postgres://wisp:***@127.0.0.1:1/wisp_test does not answer');
    expect(result.stderr).not.toContain('s3cret-pass');
  });

  // The positive case needs the real services, which .ci/run provides (CI=true makes them required).
  const pg = process.env.WISP_TEST_PG;
  const skip = (pg === undefined || pg === '') && process.env.CI !== 'true';
  it.skipIf(skip)(
    `passes silently where everything is installed${skip ? ' — SKIPPED: WISP_TEST_PG is not set' : ''}`,
    () => {
      const result = check(process.env);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
  );
});
