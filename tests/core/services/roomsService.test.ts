// The `rooms` IPC service through the real dispatcher, services, engine and relay: a room created
// over IPC reaches its members with roles and names; malformed or forbidden calls are refused with
// a typed error and change nothing.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { channelOf, type IpcResult, type RoomMemberView } from '../../../common/ipc';
import type { ConversationView } from '../../../common/engine';
import type { Engine } from '../../../core/engine';
import { createDispatcher, createServices, type ServicesHost } from '../../../core/services';
import { createWorld, type TestWorld } from '../../helpers/engine/fixtures';
import { testPlatform } from '../../unit/foundation/platform';

let world: TestWorld;
let host: ServicesHost;
let call: (service: string, method: string, arg?: unknown) => Promise<IpcResult<unknown>>;
let bob: Engine;
let carol: Engine;

beforeEach(async () => {
  world = await createWorld();
  host = createServices({
    dataDir: join(world.root, 'app'),
    platform: testPlatform(),
    keyStore: { scrypt: { N: 2 ** 14, r: 8, p: 1 } },
    keychain: false,
  });
  const dispatch = createDispatcher(host.services);
  call = (service, method, arg) => dispatch(channelOf(service, method), arg === undefined ? [] : [arg]);
  bob = await world.create('bob');
  carol = await world.create('carol');
  await host.services.account.create({
    username: 'alice',
    relayUrl: world.relayUrl,
    keystore: 'passphrase',
    passphrase: 'long enough passphrase',
  });
  // Members know the creator, so the room is a conversation for them, not a request.
  await bob.lookup('alice');
  await carol.lookup('alice');
});
afterEach(async () => {
  await host.close();
  await world.close();
});

const value = <T>(r: IpcResult<unknown>): T => {
  if (!r.ok) throw new Error(`${r.error.kind}: ${r.error.message}`);
  return r.value as T;
};

describe('rooms service', () => {
  it('creates a room of three that both members receive, and lists members with roles', async () => {
    const room = value<ConversationView>(
      await call('rooms', 'create', { name: 'Book club', members: ['bob', 'carol'] }),
    );
    expect(room).toMatchObject({ kind: 'room', title: 'Book club', isAdmin: true, admins: ['alice'] });
    const members = value<RoomMemberView[]>(await call('rooms', 'members', { roomId: room.id }));
    expect(members.map((m) => [m.username, m.role, m.self])).toEqual([
      ['alice', 'admin', true],
      ['bob', 'member', false],
      ['carol', 'member', false],
    ]);
    await bob.sync();
    await carol.sync();
    expect((await bob.conversations()).find((c) => c.id === room.id)?.title).toBe('Book club');
    expect((await carol.conversations()).find((c) => c.id === room.id)?.members.sort()).toEqual([
      'alice',
      'bob',
    ]);
  });

  it('refuses malformed arguments with InvalidInput and creates nothing', async () => {
    const bad = [
      { name: '', members: ['bob'] },
      { name: '   ', members: ['bob'] },
      { name: 'two\nlines', members: ['bob'] },
      { name: 'x'.repeat(101), members: ['bob'] },
      { name: 'club', members: [] },
      { name: 'club', members: ['bob', 'BOB'] },
      { name: 'club', members: ['not a name!'] },
      { name: 'club', members: 'bob' },
    ];
    for (const arg of bad) {
      const r = await call('rooms', 'create', arg);
      expect(r.ok, JSON.stringify(arg)).toBe(false);
      expect(!r.ok && r.error.kind).toBe('InvalidInput');
    }
    // Our own name among the members is a mistake the service names.
    const self = await call('rooms', 'create', { name: 'club', members: ['alice', 'bob'] });
    expect(!self.ok && self.error).toMatchObject({
      kind: 'InvalidInput',
      message: expect.stringMatching(/every room you create/),
    });
    // An unknown username fails the whole call at the relay lookup.
    const unknown = await call('rooms', 'create', { name: 'club', members: ['bob', 'nosuchuser'] });
    expect(!unknown.ok && unknown.error.kind).toBe('NotFound');
    expect(value<ConversationView[]>(await call('conversations', 'list'))).toEqual([]);
  });

  it('refuses changes from a member who is not an admin, and removing oneself, changing nothing', async () => {
    const room = value<ConversationView>(await call('rooms', 'create', { name: 'club', members: ['bob'] }));
    const rename = await call('rooms', 'rename', { roomId: room.id, name: 'ours now' });
    expect(rename.ok).toBe(true);
    const selfRemove = await call('rooms', 'removeMember', { roomId: room.id, member: 'alice' });
    expect(!selfRemove.ok && selfRemove.error.kind).toBe('InvalidInput');
    // Bob is no admin: his engine refuses his own rename before anything is sent.
    await bob.sync();
    await expect(bob.renameRoom(room.id, 'bobs')).rejects.toMatchObject({ kind: 'Unauthorized' });
    // A room id that is not ours is NotFound; a malformed one InvalidInput.
    const missing = await call('rooms', 'members', { roomId: '00000000-0000-4000-8000-000000000000' });
    expect(!missing.ok && missing.error.kind).toBe('NotFound');
    const malformed = await call('rooms', 'removeMember', { roomId: room.id, member: 'x' });
    expect(!malformed.ok && malformed.error.kind).toBe('InvalidInput');
    const members = value<RoomMemberView[]>(await call('rooms', 'members', { roomId: room.id }));
    expect(members.map((m) => m.username)).toEqual(['alice', 'bob']);
  });

  it('removes a member, promotes and demotes by account id (our own included), and leaves', async () => {
    const room = value<ConversationView>(
      await call('rooms', 'create', { name: 'club', members: ['bob', 'carol'] }),
    );
    const members = value<RoomMemberView[]>(await call('rooms', 'members', { roomId: room.id }));
    const id = (name: string) => members.find((m) => m.username === name)!.accountId;
    value(await call('rooms', 'removeMember', { roomId: room.id, member: id('carol') }));
    value(await call('conversations', 'promoteRoomMember', { roomId: room.id, member: id('bob') }));
    const demoted = value<ConversationView>(
      await call('conversations', 'demoteRoomMember', { roomId: room.id, member: id('alice') }),
    );
    expect(demoted).toMatchObject({ isAdmin: false, admins: ['bob'] });
    const after = value<RoomMemberView[]>(await call('rooms', 'members', { roomId: room.id }));
    // Ourselves first, then admins, then everyone else by name.
    expect(after.map((m) => [m.username, m.role])).toEqual([
      ['alice', 'member'],
      ['bob', 'admin'],
    ]);
    expect(value(await call('rooms', 'leave', { roomId: room.id }))).toBeNull();
    const list = value<ConversationView[]>(await call('conversations', 'list'));
    expect(list.find((c) => c.id === room.id)?.left).toBe(true);
  });
});
