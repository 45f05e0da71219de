// The `wisp` headless client driven as a user would: real child processes of bin/wisp.mjs against a
// real relay on port 0, profiles in temp folders with `--keystore passphrase` (PRODUCT.md contract).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay } from '../../../relay/index';
import { CLI_PASSPHRASE, runWisp, spawnWisp, wisp } from '../../helpers/engine/cli';
import { Engine } from '../../../core/engine';
import { keyStoreFor } from '../../../core/vault';

type Relay = Awaited<ReturnType<typeof startRelay>>;

const MESSAGE_FIELDS = ['id', 'from', 'text', 'sentAt', 'expiresAt', 'burnAt', 'seenAt'];

let relay: Relay;
let root: string;
const profile = (name: string): string => join(root, name);

async function init(name: string): Promise<string> {
  const result = await runWisp([
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
  ]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.lines[0]).toMatchObject({ username: name });
  return result.lines[0]!.accountId as string;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'wisp-cli-test-'));
  relay = await startRelay({ port: 0, logger: false });
  await Promise.all(['alice', 'bob', 'carol'].map(init));
});

afterAll(async () => {
  await relay.close();
  rmSync(root, { recursive: true, force: true });
});

describe('wisp CLI', () => {
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
    const file = join(root, 'note.txt');
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
    const out = join(root, 'saved.txt');
    const saved = await wisp(
      profile('bob'),
      ['attachment', 'save'],
      ['--id', message.id as string, '--attachment', attachment.id, '--out', out],
    );
    expect(saved.code, saved.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(file, 'utf8'));
  });

  it('never shows a message that expired while its recipient was offline', async () => {
    const sent = await wisp(
      profile('alice'),
      ['send'],
      ['--to', 'carol', '--text', 'blink', '--expire', '1'],
    );
    expect(sent.code, sent.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 2_000));
    const synced = await wisp(profile('carol'), ['sync']);
    expect(synced.code, synced.stderr).toBe(0);
    expect(synced.lines.filter((l) => 'id' in l)).toEqual([]);
    const listed = await runWisp([
      'messages',
      '--profile',
      profile('carol'),
      '--keystore',
      'passphrase',
      '--with',
      'alice',
      '--json',
    ]);
    expect(listed.lines).toEqual([]);
  });

  it('loses and duplicates nothing when the receiving process is killed with SIGKILL mid-sync', async () => {
    const count = 60;
    // The sender is the engine in this process (same profile, same passphrase): 60 CLI sends would
    // take minutes, and the process under test here is the receiver.
    const alice = await Engine.open({
      profileDir: profile('alice'),
      keystore: keyStoreFor({ kind: 'passphrase', passphrase: CLI_PASSPHRASE }),
    });
    const ids: string[] = [];
    try {
      for (let i = 0; i < count; i++) ids.push((await alice.sendText('carol', `burst ${i}`)).id);
    } finally {
      await alice.close();
    }

    const child = spawnWisp([
      'sync',
      '--profile',
      profile('carol'),
      '--keystore',
      'passphrase',
      '--json',
      '--wait',
      '30',
    ]);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => {
        child.kill('SIGKILL');
        resolve();
      });
      child.once('exit', () => reject(new Error('sync ended before it printed anything')));
    });
    await new Promise((r) => child.once('exit', r));
    expect(child.signalCode).toBe('SIGKILL');

    const again = await wisp(profile('carol'), ['sync']);
    expect(again.code, again.stderr).toBe(0);
    const stored = await wisp(profile('carol'), ['messages'], ['--with', 'alice']);
    const storedIds = stored.lines.map((m) => m.id as string);
    expect(new Set(storedIds).size).toBe(storedIds.length);
    expect([...storedIds].sort()).toEqual([...ids].sort());
  });

  it('creates a room, sends to it, and every member receives the message', async () => {
    const created = await wisp(
      profile('alice'),
      ['room', 'create'],
      ['--name', 'trio', '--members', 'bob,carol'],
    );
    expect(created.code, created.stderr).toBe(0);
    const roomId = created.lines[0]!.id as string;
    const sent = await wisp(profile('alice'), ['room', 'send'], ['--room', roomId, '--text', 'hello trio']);
    expect(sent.code, sent.stderr).toBe(0);
    for (const member of ['bob', 'carol']) {
      const synced = await wisp(profile(member), ['sync']);
      expect(
        synced.lines.filter((l) => l.text === 'hello trio').map((l) => [l.from, l.conversationId]),
      ).toEqual([['alice', roomId]]);
    }
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

    const backup = await wisp(profile('alice'), ['backup', 'export'], ['--out', join(root, 'b.age')]);
    expect(backup.code).toBe(1);
    expect(backup.stderr).toContain('not implemented yet');
  });
});
