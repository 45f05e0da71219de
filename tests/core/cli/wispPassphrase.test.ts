// Security audit finding 9: the CLI passphrase need not travel in the environment (inherited by
// children, readable in /proc/PID/environ). The real `wisp` against a real relay on port 0 takes it
// from --passphrase-file, --passphrase-fd or a no-echo terminal prompt, still from WISP_PASSPHRASE,
// never from argv, in the documented order: file > fd > environment > prompt.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CLI_PASSPHRASE, resultOf, runWisp, spawnWisp, useCliWorld } from '../../helpers/engine/cli';
import { runOnTerminal } from '../../helpers/engine/terminal';

const { world, profile } = useCliWorld(['alice']);

/** Nothing from the environment: only what the command line and its descriptors give. */
const NO_ENV = { WISP_PASSPHRASE: undefined };

function errorOf(stderr: string): { kind: string; message: string; recovery?: string } {
  return (JSON.parse(stderr.trim().split('\n').pop()!) as { error: { kind: string; message: string } }).error;
}

function file(name: string, content: string): string {
  const path = join(world().root, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

function contactsOf(name: string, extra: string[], env: Record<string, string | undefined> = NO_ENV) {
  return runWisp(['contacts', '--profile', profile(name), '--json', ...extra], env);
}

/** `wisp contacts` with the passphrase written into an extra pipe that the child sees as fd 3. */
async function contactsWithFd(passphrase: string, extra: string[] = []) {
  const args = ['contacts', '--profile', profile('alice'), '--json', '--passphrase-fd', '3', ...extra];
  const child = spawnWisp(args, { WISP_PASSPHRASE: 'a wrong passphrase in the environment' }, [
    'ignore',
    'pipe',
    'pipe',
    'pipe',
  ]);
  const result = resultOf(child, args);
  const pipe = child.stdio[3] as Writable;
  // A CLI that exits without reading (an option it refuses) resets the pipe: its result says why.
  pipe.on('error', () => undefined);
  pipe.end(`${passphrase}\n`);
  return result;
}

describe('wisp passphrase sources', () => {
  it('opens with --passphrase-file (trailing newline dropped), refuses a wrong one with WrongPassphrase, and still takes WISP_PASSPHRASE', async () => {
    const right = file('right.txt', `${CLI_PASSPHRASE}\n`);
    const wrong = file('wrong.txt', 'not the passphrase\n');

    const opened = await contactsOf('alice', ['--passphrase-file', right]);
    expect(opened.code, opened.stderr).toBe(0);

    const refused = await contactsOf('alice', ['--passphrase-file', wrong]);
    expect(refused.code).toBe(1);
    expect(errorOf(refused.stderr).kind).toBe('WrongPassphrase');

    const fromEnv = await contactsOf('alice', ['--keystore', 'passphrase'], {
      WISP_PASSPHRASE: CLI_PASSPHRASE,
    });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
  });

  it('reads --passphrase-fd from an inherited pipe, ahead of WISP_PASSPHRASE', async () => {
    const opened = await contactsWithFd(CLI_PASSPHRASE);
    expect(opened.code, opened.stderr).toBe(0);
    const refused = await contactsWithFd('not the passphrase');
    expect(refused.code).toBe(1);
    expect(errorOf(refused.stderr).kind).toBe('WrongPassphrase');
  });

  it('takes --passphrase-file over --passphrase-fd, and either over WISP_PASSPHRASE', async () => {
    const wrongFile = file('wrong-first.txt', 'not the passphrase');
    const fileFirst = await contactsWithFd(CLI_PASSPHRASE, ['--passphrase-file', wrongFile]);
    expect(errorOf(fileFirst.stderr).kind).toBe('WrongPassphrase');
    const rightFile = file('right-first.txt', CLI_PASSPHRASE);
    const overEnv = await contactsOf('alice', ['--passphrase-file', rightFile], {
      WISP_PASSPHRASE: 'a wrong passphrase in the environment',
    });
    expect(overEnv.code, overEnv.stderr).toBe(0);
  });

  it('asks on the terminal without echo: twice at init (a mismatch creates nothing), once to open', async () => {
    const typed = 'typed at the terminal 7';
    const relay = world().relayUrl.replace(/\/v1\/ws$/, '');
    const dave = join(world().root, 'dave');
    const init = [
      'init',
      '--profile',
      dave,
      '--keystore',
      'passphrase',
      '--relay',
      relay,
      '--username',
      'dave',
    ];

    const mismatch = await runOnTerminal(
      init,
      [
        { prompt: 'New passphrase: ', type: typed },
        { prompt: 'Repeat the passphrase: ', type: `${typed}x` },
      ],
      NO_ENV,
    );
    expect(mismatch.code).toBe(1);
    expect(mismatch.screen).toContain('InvalidInput: the two passphrases differ');
    expect(existsSync(dave)).toBe(false);

    const created = await runOnTerminal(
      [...init, '--json'],
      [
        { prompt: 'New passphrase: ', type: typed },
        { prompt: 'Repeat the passphrase: ', type: typed },
      ],
      NO_ENV,
    );
    expect(created.code, created.screen).toBe(0);
    expect(created.screen).toMatch(/"accountId":"[0-9a-f-]{36}","username":"dave"/);
    expect(created.screen).not.toContain(typed);

    const opened = await runOnTerminal(
      ['contacts', '--profile', dave, '--keystore', 'passphrase'],
      [{ prompt: 'Passphrase: ', type: typed }],
      NO_ENV,
    );
    expect(opened.code, opened.screen).toBe(0);
    expect(opened.screen).not.toContain(typed);

    // The prompt's passphrase is the one the profile was sealed with.
    const byFile = await runWisp(
      ['contacts', '--profile', dave, '--passphrase-file', file('dave.txt', typed), '--json'],
      NO_ENV,
    );
    expect(byFile.code, byFile.stderr).toBe(0);
  });

  it('without a source or a terminal, fails with InvalidInput naming every way to give the passphrase', async () => {
    const result = await contactsOf('alice', ['--keystore', 'passphrase']);
    expect(result.code).toBe(1);
    const error = errorOf(result.stderr);
    expect(error.kind).toBe('InvalidInput');
    for (const option of ['--passphrase-file', '--passphrase-fd', 'WISP_PASSPHRASE', 'terminal']) {
      expect(error.message).toContain(option);
    }
  });

  it('offers no way to put the passphrase in argv, and refuses contradictory or unreadable sources', async () => {
    for (const args of [['--passphrase', 'the secret value'], ['--passphrase=the secret value']]) {
      const result = await contactsOf('alice', ['--keystore', 'passphrase', ...args]);
      expect(result.code).toBe(2);
      expect(errorOf(result.stderr)).toMatchObject({ kind: 'InvalidInput' });
      expect(result.stderr).not.toContain('the secret value');
    }
    const right = file('right-again.txt', CLI_PASSPHRASE);
    const contradiction = await contactsOf('alice', ['--keystore', 'keychain', '--passphrase-file', right]);
    expect(contradiction.code).toBe(1);
    expect(errorOf(contradiction.stderr).kind).toBe('InvalidInput');
    const endless = await contactsOf('alice', ['--passphrase-file', '/dev/zero']);
    expect(errorOf(endless.stderr)).toMatchObject({ kind: 'InvalidInput' });
    expect(errorOf(endless.stderr).message).toContain('longer than 4096 bytes');
    const notAnFd = await contactsOf('alice', ['--passphrase-fd', 'three']);
    expect(errorOf(notAnFd.stderr).kind).toBe('InvalidInput');
  });
});
