// The `wisp` headless client driven as a user would: real child processes of bin/wisp.mjs against a
// real relay on port 0, profiles in temp folders with `--keystore passphrase` (PRODUCT.md contract):
// the message object, burn from `read`, files, and errors.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWisp, useCliWorld, wisp } from '../../helpers/engine/cli';

const MESSAGE_FIELDS = ['id', 'from', 'text', 'sentAt', 'expiresAt', 'burnAt', 'seenAt'];

const { world, profile } = useCliWorld(['alice', 'bob', 'carol']);

describe('wisp CLI contract', () => {
  it('sends, syncs, lists and reads with the contract message object, and starts burn only at read', async () => {
    const sent = await wisp(
      profile('alice'),
      ['send'],
      ['--to', 'bob', '--text', 'hi bob', '--burn', '10', '--expire', '600'],
    );
    expect(sent.code, sent.stderr).toBe(0);
    const out = sent.lines[0]!;
    for (const field of MESSAGE_FIELDS) expect(out).toHaveProperty(field);
    expect(out.burnAt).toBe((out.sentAt as number) + 10_000); // sender-side burn from sending
    expect(out.expiresAt).toBe((out.sentAt as number) + 600_000);

    const synced = await wisp(profile('bob'), ['sync']);
    expect(synced.code, synced.stderr).toBe(0);
    expect(synced.lines).toHaveLength(1);
    expect(synced.lines[0]).toMatchObject({
      id: out.id,
      from: 'alice',
      text: 'hi bob',
      sentAt: out.sentAt,
      burnAt: null,
      seenAt: null,
    });
    expect(synced.lines[0]!.expiresAt as number).toBeLessThanOrEqual(out.expiresAt as number);

    const listed = await wisp(profile('bob'), ['messages'], ['--with', 'alice']);
    expect(listed.lines.map((m) => [m.id, m.burnAt, m.seenAt])).toEqual([[out.id, null, null]]);

    const read = await wisp(profile('bob'), ['read'], ['--id', out.id as string]);
    expect(read.code, read.stderr).toBe(0);
    const seenAt = read.lines[0]!.seenAt as number;
    expect(read.lines[0]!.burnAt).toBe(seenAt + 10_000);

    const contacts = await wisp(profile('bob'), ['contacts']);
    expect(contacts.lines.map((c) => c.username)).toEqual(['alice']);
    const verify = await wisp(profile('bob'), ['verify'], ['--with', 'alice', '--mark']);
    expect(verify.lines[0]).toMatchObject({ verified: true, identityChanged: false });
    expect(verify.lines[0]!.digits).toMatch(/^\d{60}$/);
  });
  it('sends a file with --file and saves it on the other side with attachment save', async () => {
    const file = join(world().root, 'note.txt');
    writeFileSync(file, 'attached words\n'.repeat(1000));
    const sent = await wisp(
      profile('alice'),
      ['send'],
      ['--to', 'bob', '--text', 'see file', '--file', file],
    );
    expect(sent.code, sent.stderr).toBe(0);
    const synced = await wisp(profile('bob'), ['sync']);
    const message = synced.lines.find((l) => l.id === sent.lines[0]!.id)!;
    const attachment = (message.attachments as { id: string; fileName: string; size: number }[])[0]!;
    expect(attachment).toMatchObject({ fileName: 'note.txt', size: 15_000 });
    const out = join(world().root, 'saved.txt');
    const saved = await wisp(
      profile('bob'),
      ['attachment', 'save'],
      ['--id', message.id as string, '--attachment', attachment.id, '--out', out],
    );
    expect(saved.code, saved.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(file, 'utf8'));
  });
  it('reports errors on stderr as JSON with a non-zero exit and a clean stdout', async () => {
    const unknownUser = await wisp(profile('alice'), ['send'], ['--to', 'nobody_here', '--text', 'x']);
    expect(unknownUser.code).toBe(1);
    expect(unknownUser.stdout).toBe('');
    expect(JSON.parse(unknownUser.stderr.trim().split('\n').pop()!)).toMatchObject({
      error: { kind: 'NotFound' },
    });

    const noPassphrase = await runWisp(
      ['contacts', '--profile', profile('alice'), '--keystore', 'passphrase', '--json'],
      {
        WISP_PASSPHRASE: '',
      },
    );
    expect(noPassphrase.code).toBe(1);
    expect(noPassphrase.stderr).toContain('WISP_PASSPHRASE');

    const unknownCommand = await runWisp(['frobnicate', '--json']);
    expect(unknownCommand.code).toBe(2);

    const backup = await runWisp(
      [
        'backup',
        'export',
        '--profile',
        profile('alice'),
        '--keystore',
        'passphrase',
        '--json',
        '--out',
        join(world().root, 'b.age'),
      ],
      { WISP_BACKUP_PASSPHRASE: '' },
    );
    expect(backup.code).toBe(1);
    expect(backup.stderr).toContain('needs a passphrase or --recovery-key');
  });
});
