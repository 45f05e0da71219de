// The `wisp` headless client under harder conditions, as a user would hit them: expiry while the
// recipient is offline, SIGKILL of the receiving process mid-sync, rooms.
import { describe, expect, it } from 'vitest';
import { runWisp, spawnWisp, useCliWorld, wisp, CLI_PASSPHRASE } from '../../helpers/engine/cli';
import { Engine } from '../../../core/engine';
import { keyStoreFor } from '../../../core/vault';

const { profile } = useCliWorld(['alice', 'bob', 'carol']);

describe('wisp CLI robustness', () => {
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
  it('creates a room, sends to it, and every member receives the message once they accept the room', async () => {
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
      // Alice is not their contact: the room waits as a request, its message held unseen.
      const first = await wisp(profile(member), ['sync']);
      expect(first.lines.filter((l) => l.text === 'hello trio')).toEqual([]);
      const requests = await wisp(profile(member), ['room', 'requests']);
      expect(requests.lines.map((r) => [r.id, r.name])).toEqual([[roomId, 'trio']]);
      const accepted = await wisp(profile(member), ['room', 'accept'], ['--room', roomId]);
      expect(accepted.code, accepted.stderr).toBe(0);
      const synced = await wisp(profile(member), ['sync']);
      expect(
        synced.lines.filter((l) => l.text === 'hello trio').map((l) => [l.from, l.conversationId]),
      ).toEqual([['alice', roomId]]);
    }
  });
});
