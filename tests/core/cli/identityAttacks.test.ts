// Issue 9 through the real `wisp` CLI and a real relay on port 0: a stranger (mallory) tries to
// capture what bob sends to his verified contact alice — with a room named "alice", and by taking
// over the username "alice" once it is released.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../core/engine';
import { keyStoreFor } from '../../../core/vault';
import { CLI_PASSPHRASE, runWisp, useCliWorld, wisp } from '../../helpers/engine/cli';

const { world, profile } = useCliWorld(['alice', 'bob', 'mallory']);

const texts = async (name: string): Promise<string[]> => {
  const synced = await wisp(profile(name), ['sync']);
  expect(synced.code, synced.stderr).toBe(0);
  return synced.lines.map((l) => l.text as string);
};

function errorOf(stderr: string): { kind: string; message: string; recovery?: string } {
  return (JSON.parse(stderr.trim().split('\n').pop()!) as { error: { kind: string; message: string } }).error;
}

describe('wisp: messages reach only the person they were meant for', () => {
  it('`send --to alice` reaches alice, not a room a stranger named "alice"; the room waits as a request', async () => {
    expect((await wisp(profile('bob'), ['send'], ['--to', 'alice', '--text', 'hi alice'])).code).toBe(0);
    expect(await texts('alice')).toEqual(['hi alice']);
    expect((await wisp(profile('bob'), ['verify'], ['--with', 'alice', '--mark'])).code).toBe(0);

    const room = await wisp(profile('mallory'), ['room', 'create'], ['--name', 'alice', '--members', 'bob']);
    expect(room.code, room.stderr).toBe(0);
    const roomId = room.lines[0]!.id as string;
    // Bob's sync announces the invitation; it is not a conversation.
    const invited = await wisp(profile('bob'), ['sync']);
    expect(invited.lines.filter((l) => l.roomRequest !== undefined)).toEqual([
      expect.objectContaining({ roomRequest: roomId, name: 'alice', from: 'mallory' }),
    ]);

    const sent = await wisp(profile('bob'), ['send'], ['--to', 'alice', '--text', 'for alice only']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(await texts('alice')).toEqual(['for alice only']);
    expect(await texts('mallory')).not.toContain('for alice only');

    const requests = await wisp(profile('bob'), ['room', 'requests']);
    expect(requests.lines.map((r) => [r.id, r.name])).toEqual([[roomId, 'alice']]);
    const rooms = await wisp(profile('bob'), ['room', 'list']);
    expect(rooms.lines).toEqual([]);
    expect((await wisp(profile('bob'), ['room', 'decline'], ['--room', roomId])).code).toBe(0);
    expect((await wisp(profile('bob'), ['room', 'requests'])).lines).toEqual([]);
  });

  it('a username taken over by a stranger stops `wisp send` with IdentityChanged until --accept-identity-change', async () => {
    // Alice releases her name (a lost device, a new handle); mallory registers it at once.
    const alice = await Engine.open({
      profileDir: profile('alice'),
      keystore: keyStoreFor({ kind: 'passphrase', passphrase: CLI_PASSPHRASE }),
    });
    try {
      await alice.setUsername(null);
    } finally {
      await alice.close();
    }
    const init = await runWisp([
      'init',
      '--profile',
      profile('mallory-as-alice'),
      '--keystore',
      'passphrase',
      '--relay',
      world().relayUrl.replace(/\/v1\/ws$/, ''),
      '--username',
      'alice',
      '--json',
    ]);
    expect(init.code, init.stderr).toBe(0);

    const stopped = await wisp(profile('bob'), ['send'], ['--to', 'alice', '--text', 'our secret']);
    expect(stopped.code).toBe(1);
    expect(errorOf(stopped.stderr)).toMatchObject({
      kind: 'IdentityChanged',
      recovery: expect.stringContaining('--accept-identity-change'),
    });
    expect(await texts('mallory-as-alice')).toEqual([]);
    const number = await wisp(profile('bob'), ['verify'], ['--with', 'alice']);
    expect(number.lines[0]).toMatchObject({ username: 'alice', verified: true });

    const accepted = await wisp(
      profile('bob'),
      ['send'],
      ['--to', 'alice', '--text', 'hello, new alice?', '--accept-identity-change'],
    );
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(await texts('mallory-as-alice')).toEqual(['hello, new alice?']);
    expect(await texts('alice')).toEqual([]);
    const after = await wisp(profile('bob'), ['verify'], ['--with', 'alice']);
    expect(after.lines[0]).toMatchObject({ username: 'alice', verified: false });
  });

  it('`wisp messages` shows a timer change as a notice', async () => {
    const set = await wisp(
      profile('mallory'),
      ['timers'],
      ['--with', 'bob', '--expire', '3600', '--burn', '60'],
    );
    expect(set.code, set.stderr).toBe(0);
    await texts('bob');
    const listed = await wisp(profile('bob'), ['messages'], ['--with', 'mallory']);
    expect(listed.lines.map((l) => [l.from, l.text])).toContainEqual([
      'mallory',
      'mallory set disappearing messages: messages expire after 1 h, burn 1 min after reading',
    ]);
  });
});
