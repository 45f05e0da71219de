// `wisp room promote|demote` and the roles `wisp room list` shows, through the real CLI and relay:
// a member cannot change the room until an admin promotes them.
import { describe, expect, it } from 'vitest';
import { useCliWorld, wisp, wispHuman } from '../../helpers/engine/cli';

const { profile } = useCliWorld(['alice', 'bob', 'carol']);

describe('wisp room admins', () => {
  it('shows roles, refuses a member’s rename, and lets a promoted member rename', async () => {
    for (const n of ['bob', 'carol'])
      expect((await wisp(profile(n), ['lookup'], ['--name', 'alice'])).code).toBe(0);
    const created = await wisp(
      profile('alice'),
      ['room', 'create'],
      ['--name', 'club', '--members', 'bob,carol'],
    );
    expect(created.code, created.stderr).toBe(0);
    const roomId = String(created.lines[0]!.id);
    expect(created.lines[0]).toMatchObject({ admins: ['alice'], isAdmin: true });

    expect((await wisp(profile('bob'), ['sync'])).code).toBe(0);
    const refused = await wisp(profile('bob'), ['room', 'rename'], ['--room', roomId, '--name', 'mine']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr + refused.stdout).toMatch(/Unauthorized|admin/);

    const promoted = await wisp(profile('alice'), ['room', 'promote'], ['--room', roomId, '--member', 'bob']);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect([...(promoted.lines[0]!.admins as string[])].sort()).toEqual(['alice', 'bob']);

    expect((await wisp(profile('bob'), ['sync'])).code).toBe(0);
    const listed = await wispHuman(profile('bob'), ['room', 'list']);
    expect(listed.stdout).toMatch(
      /admins: alice, bob \(you are an admin\)|admins: bob, alice \(you are an admin\)/,
    );
    const renamed = await wisp(profile('bob'), ['room', 'rename'], ['--room', roomId, '--name', 'bobs club']);
    expect(renamed.code, renamed.stderr).toBe(0);

    expect((await wisp(profile('carol'), ['sync'])).code).toBe(0);
    const carolList = await wisp(profile('carol'), ['room', 'list']);
    expect(carolList.lines.find((l) => l.id === roomId)).toMatchObject({
      title: 'bobs club',
      isAdmin: false,
    });

    const demoted = await wisp(profile('alice'), ['room', 'demote'], ['--room', roomId, '--member', 'bob']);
    expect(demoted.code, demoted.stderr).toBe(0);
    expect(demoted.lines[0]!.admins).toEqual(['alice']);
  });
});
