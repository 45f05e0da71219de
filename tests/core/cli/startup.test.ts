// What `wisp` loads at start: commands that do not touch a profile (--help, usage errors) must not
// pay for libsignal or SQLCipher. A preload records every native addon the real process opens.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_PASSPHRASE, useCliWorld, WISP_BIN } from '../../helpers/engine/cli';

const PROBE = new URL('../../helpers/engine/nativeProbe.mjs', import.meta.url).href;

const { world, profile } = useCliWorld(['erin']);

/** Runs `wisp args` under the probe; the exit code and the native addons it loaded. */
async function nativeAddonsOf(args: string[]): Promise<{ code: number | null; addons: string[] }> {
  const out = join(world().root, `probe-${Math.random().toString(36).slice(2)}.json`);
  const child = spawn(process.execPath, ['--import', PROBE, WISP_BIN, ...args], {
    env: { ...process.env, WISP_PASSPHRASE: CLI_PASSPHRASE, WISP_NATIVE_PROBE_OUT: out },
    stdio: 'ignore',
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, addons: JSON.parse(readFileSync(out, 'utf8')) as string[] };
}

const LIBSIGNAL = /libsignal/i;
const SQLITE = /better[_-]sqlite3/i;

describe('wisp start-up', () => {
  it('loads neither libsignal nor the SQLite addon for --help or a usage error', async () => {
    for (const args of [['--help'], ['send', '--help'], ['frobnicate', '--json'], ['send', '--nope']]) {
      const { addons } = await nativeAddonsOf(args);
      expect(
        addons.filter((a) => LIBSIGNAL.test(a) || SQLITE.test(a)),
        args.join(' '),
      ).toEqual([]);
    }
  });

  it('does load both for a command that opens the profile (the probe sees them)', async () => {
    const { code, addons } = await nativeAddonsOf([
      'conversations',
      '--profile',
      profile('erin'),
      '--keystore',
      'passphrase',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(addons.some((a) => LIBSIGNAL.test(a))).toBe(true);
    expect(addons.some((a) => SQLITE.test(a))).toBe(true);
  });
});
