// `wisp backup export|import` as a user runs them: real child processes against a real relay, a
// recovery key printed once (a JSON field), passphrases from the environment or a file, progress as
// JSON lines, and a refusal's kind in the JSON error with a non-zero exit.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLines, runWisp, spawnWisp, useCliWorld, wisp } from '../../helpers/engine/cli';

const { world, profile } = useCliWorld(['alice', 'bob']);

function backupRun(args: string[], env: Record<string, string> = {}) {
  return runWisp([...args, '--keystore', 'passphrase', '--json'], { WISP_BACKUP_PASSPHRASE: '', ...env });
}

describe('wisp backup', () => {
  it('exports with a recovery key and imports it into a new profile that lists the same messages', async () => {
    expect(
      (await wisp(profile('alice'), ['send'], ['--to', 'bob', '--text', 'before the backup'])).code,
    ).toBe(0);
    const file = join(world().root, 'alice-rk.age');
    const exported = await backupRun([
      'backup',
      'export',
      '--profile',
      profile('alice'),
      '--out',
      file,
      '--recovery-key',
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    const result = exported.lines.find((l) => 'file' in l)!;
    expect(result.recoveryKey).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+$/);
    expect(exported.lines.some((l) => 'progress' in l)).toBe(true);
    expect(exported.stdout.split(String(result.recoveryKey)).length - 1).toBe(1);

    const keyFile = join(world().root, 'alice.key');
    writeFileSync(keyFile, `# wisp recovery key\n${String(result.recoveryKey)}\n`);
    const target = join(world().root, 'alice-restored');
    const imported = await backupRun([
      'backup',
      'import',
      '--profile',
      target,
      '--in',
      file,
      '--identity-file',
      keyFile,
    ]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.lines.at(-1)).toMatchObject({ profile: target, droppedExpired: 0 });

    const original = await wisp(profile('alice'), ['messages'], ['--with', 'bob']);
    const restored = await wisp(target, ['messages'], ['--with', 'bob']);
    expect(restored.lines.map((m) => [m.id, m.text])).toEqual(original.lines.map((m) => [m.id, m.text]));
  });

  it('exports with WISP_BACKUP_PASSPHRASE and imports with --passphrase-file; a wrong one exits non-zero', async () => {
    const file = join(world().root, 'bob-p.age');
    const passphrase = 'bob backup passphrase';
    const exported = await backupRun(['backup', 'export', '--profile', profile('bob'), '--out', file], {
      WISP_BACKUP_PASSPHRASE: passphrase,
    });
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.lines.find((l) => 'file' in l)).not.toHaveProperty('recoveryKey');

    const wrongFile = join(world().root, 'wrong.txt');
    writeFileSync(wrongFile, 'not it\n');
    const wrongTarget = join(world().root, 'bob-wrong');
    const wrong = await backupRun([
      'backup',
      'import',
      '--profile',
      wrongTarget,
      '--in',
      file,
      '--passphrase-file',
      wrongFile,
    ]);
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stderr.trim()) as unknown).toMatchObject({ error: { kind: 'BackupWrongKey' } });
    expect(existsSync(wrongTarget)).toBe(false);

    const passFile = join(world().root, 'pass.txt');
    writeFileSync(passFile, `${passphrase}\n`);
    const target = join(world().root, 'bob-restored');
    const imported = await backupRun([
      'backup',
      'import',
      '--profile',
      target,
      '--in',
      file,
      '--passphrase-file',
      passFile,
    ]);
    expect(imported.code, imported.stderr).toBe(0);
    const again = await backupRun([
      'backup',
      'import',
      '--profile',
      target,
      '--in',
      file,
      '--passphrase-file',
      passFile,
    ]);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stderr.trim()) as unknown).toMatchObject({ error: { kind: 'ProfileExists' } });
  });

  it('cancels an import on SIGINT and leaves neither the profile folder nor a temporary one', async () => {
    const big = join(world().root, 'big.bin');
    writeFileSync(big, randomBytes(40 * 1024 * 1024));
    const sent = await wisp(
      profile('alice'),
      ['send'],
      ['--to', 'bob', '--text', 'a big file', '--file', big],
    );
    expect(sent.code, sent.stderr).toBe(0);
    const file = join(world().root, 'alice-big.age');
    const exported = await backupRun([
      'backup',
      'export',
      '--profile',
      profile('alice'),
      '--out',
      file,
      '--recovery-key',
    ]);
    expect(exported.code, exported.stderr).toBe(0);
    const keyFile = join(world().root, 'alice-big.key');
    writeFileSync(keyFile, `${String(exported.lines.find((l) => 'file' in l)!.recoveryKey)}\n`);

    const area = join(world().root, 'cancel-area');
    mkdirSync(area);
    const child = spawnWisp(
      [
        'backup',
        'import',
        '--profile',
        join(area, 'restored'),
        '--in',
        file,
        '--identity-file',
        keyFile,
        '--keystore',
        'passphrase',
        '--json',
      ],
      { WISP_BACKUP_PASSPHRASE: '' },
    );
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      // Interrupted once a few MiB have been read: the temporary profile exists by then.
      const progress = parseLines(stdout).filter((l) => 'progress' in l);
      if (!signalled && progress.some((l) => (l.progress as { bytes: number }).bytes >= 4 * 1024 * 1024)) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(signalled).toBe(true);
    expect(code).toBe(1);
    expect(JSON.parse(stderr.trim().split('\n').at(-1)!) as unknown).toMatchObject({
      error: { kind: 'BackupCancelled' },
    });
    expect(readdirSync(area)).toEqual([]);
  });
});
