// The IPC contract: channel names derive from the specs, and the schemas refuse what the product
// rules forbid (bad timers, non-ws relays, non-https links, stray passphrases).
import { describe, expect, it } from 'vitest';
import {
  ConversationTimersSchema,
  CreateAccountInput,
  ExportInput,
  ExternalUrl,
  ImportInput,
  MessageViewSchema,
  RelayUrl,
  SendTextInput,
  SettingsPatch,
  Username,
  WispEventSchema,
  channelEntry,
  channels,
  fromIpcError,
  toIpcError,
  unwrap,
  wispSpec,
} from '../../../common/ipc';
import { WispError } from '../../../common/errors';

const DAY = 86_400_000;

describe('channels', () => {
  it('derives one wisp:<service>.<method> channel per method of every service, all distinct', () => {
    const expected = Object.entries(wispSpec).flatMap(([service, spec]) =>
      Object.keys(spec).map((m) => `wisp:${service}.${m}`),
    );
    expect(channels.map((c) => c.channel)).toEqual(expected);
    expect(new Set(expected).size).toBe(expected.length);
    expect(channelEntry('wisp:conversations.sendText')?.method).toBe('sendText');
    expect(channelEntry('wisp:nope.nothing')).toBeUndefined();
  });

  it('covers what the screens need', () => {
    expect(Object.keys(wispSpec).sort()).toEqual([
      'account',
      'app',
      'attachments',
      'backup',
      'contacts',
      'conversations',
      'messages',
      'rooms',
      'settings',
    ]);
    expect(Object.keys(wispSpec.messages).sort()).toEqual(['deleteForMe', 'previews', 'retry', 'search']);
    expect(Object.keys(wispSpec.backup).sort()).toEqual(['cancel', 'choosePath', 'export', 'import']);
    expect(Object.keys(wispSpec.conversations).sort()).toEqual([
      'acceptRoomRequest',
      'declineRoomRequest',
      'demoteRoomMember',
      'list',
      'markSeen',
      'markSeenMany',
      'messages',
      'promoteRoomMember',
      'roomRequests',
      'sendText',
      'setTimers',
    ]);
  });
});

describe('schemas', () => {
  it('refuses a burn-on-read timer longer than the expiration timer, and out-of-range timers', () => {
    expect(
      SendTextInput.safeParse({ to: 'bob', text: 'hi', expireAfterMs: 60_000, burnAfterMs: 30_000 }).success,
    ).toBe(true);
    expect(
      SendTextInput.safeParse({ to: 'bob', text: 'hi', expireAfterMs: 30_000, burnAfterMs: 60_000 }).success,
    ).toBe(false);
    expect(SendTextInput.safeParse({ to: 'bob', text: 'hi', burnAfterMs: 8 * DAY }).success).toBe(false);
    expect(SendTextInput.safeParse({ to: 'bob', text: 'hi', expireAfterMs: 366 * DAY }).success).toBe(false);
    expect(SendTextInput.safeParse({ to: 'bob', text: 'hi', expireAfterMs: 500 }).success).toBe(false);
    expect(SendTextInput.safeParse({ to: 'bob', text: '' }).success).toBe(false);
    expect(ConversationTimersSchema.safeParse({ expireAfterMs: 1000, burnAfterMs: 2000 }).success).toBe(
      false,
    );
  });

  it('accepts 3–32 character usernames of safe characters only', () => {
    expect(Username.safeParse('bob').success).toBe(true);
    expect(Username.safeParse('bo').success).toBe(false);
    expect(Username.safeParse('x'.repeat(33)).success).toBe(false);
    expect(Username.safeParse('bob<script>').success).toBe(false);
    // The relay refuses a dash: the app must not let one through to a relay error.
    expect(Username.safeParse('ann-marie').success).toBe(false);
    expect(Username.safeParse('ann.marie_2').success).toBe(true);
  });

  it('backup: absolute paths only, a passphrase typed twice and of bounded length, a well-formed recovery key', () => {
    const pass = { kind: 'passphrase', passphrase: 'twelve chars!', confirm: 'twelve chars!' };
    expect(ExportInput.safeParse({ path: '/home/a/wisp.wisp-backup', protection: pass }).success).toBe(true);
    expect(ExportInput.safeParse({ path: 'C:\\Users\\a\\w.wisp-backup', protection: pass }).success).toBe(
      true,
    );
    expect(ExportInput.safeParse({ path: 'wisp.wisp-backup', protection: pass }).success).toBe(false);
    expect(ExportInput.safeParse({ path: '../../etc/x', protection: pass }).success).toBe(false);
    expect(ExportInput.safeParse({ path: '/tmp/a\0b', protection: pass }).success).toBe(false);
    expect(
      ExportInput.safeParse({ path: '/tmp/x', protection: { ...pass, confirm: 'twelve chars?' } }).success,
    ).toBe(false);
    expect(
      ExportInput.safeParse({
        path: '/tmp/x',
        protection: { ...pass, passphrase: 'short', confirm: 'short' },
      }).success,
    ).toBe(false);
    const long = 'x'.repeat(1025);
    expect(
      ExportInput.safeParse({ path: '/tmp/x', protection: { ...pass, passphrase: long, confirm: long } })
        .success,
    ).toBe(false);
    expect(ExportInput.safeParse({ path: '/tmp/x', protection: { kind: 'recoveryKey' } }).success).toBe(true);
    const key = `AGE-SECRET-KEY-1${'Q'.repeat(58)}`;
    const restore = { path: '/tmp/x', keystore: 'passphrase', passphrase: 'profile pass' };
    expect(
      ImportInput.safeParse({ ...restore, key: { kind: 'recoveryKey', recoveryKey: key } }).success,
    ).toBe(true);
    expect(
      ImportInput.safeParse({ ...restore, key: { kind: 'recoveryKey', recoveryKey: 'AGE-SECRET-KEY-1abc' } })
        .success,
    ).toBe(false);
    expect(
      ImportInput.safeParse({
        ...restore,
        passphrase: undefined,
        key: { kind: 'passphrase', passphrase: 'p' },
      }).success,
    ).toBe(false);
  });

  it('takes only ws:// and wss:// relays', () => {
    expect(RelayUrl.safeParse('wss://relay.example.org').success).toBe(true);
    expect(RelayUrl.safeParse('ws://127.0.0.1:4000/v1/ws').success).toBe(true);
    expect(RelayUrl.safeParse('https://relay.example.org').success).toBe(false);
    expect(RelayUrl.safeParse('not a url').success).toBe(false);
  });

  it('takes plain ws:// only for a relay on this machine (issue 9, finding 6)', () => {
    for (const local of ['ws://localhost:1', 'ws://127.0.0.1:1', 'ws://127.1:1', 'ws://[::1]:1'])
      expect(RelayUrl.safeParse(local).success, local).toBe(true);
    for (const remote of ['ws://relay.example.org', 'ws://10.0.0.2:8787', 'ws://127.0.0.1.example.org'])
      expect(RelayUrl.safeParse(remote).success, remote).toBe(false);
  });

  it('lets only https: links out', () => {
    expect(ExternalUrl.safeParse('https://signal.org/docs').success).toBe(true);
    for (const bad of [
      'http://example.com',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'wisp://app/x',
      'https//x',
    ]) {
      expect(ExternalUrl.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('requires a passphrase with the passphrase keystore and refuses one with the keychain', () => {
    const base = { username: 'alice', relayUrl: 'ws://127.0.0.1:1/v1/ws' };
    expect(
      CreateAccountInput.safeParse({ ...base, keystore: 'passphrase', passphrase: 'long enough' }).success,
    ).toBe(true);
    expect(CreateAccountInput.safeParse({ ...base, keystore: 'passphrase' }).success).toBe(false);
    expect(
      CreateAccountInput.safeParse({ ...base, keystore: 'keychain', passphrase: 'long enough' }).success,
    ).toBe(false);
    expect(
      CreateAccountInput.safeParse({ ...base, keystore: 'passphrase', passphrase: 'short' }).success,
    ).toBe(false);
  });

  it('refuses unknown settings keys instead of ignoring them', () => {
    expect(SettingsPatch.safeParse({ theme: 'light' }).success).toBe(true);
    expect(SettingsPatch.safeParse({ theme: 'light', nodeIntegration: true }).success).toBe(false);
    expect(SettingsPatch.safeParse({ theme: 'pink' }).success).toBe(false);
  });

  it('describes the engine view models and events it carries', () => {
    const message = {
      id: 'm1',
      conversationId: 'c1',
      from: 'bob',
      fromAccountId: '00000000-0000-4000-8000-000000000000',
      outgoing: false,
      text: 'hi',
      sentAt: 1,
      receivedAt: 2,
      expireAfterMs: null,
      burnAfterMs: 10_000,
      expiresAt: null,
      burnAt: null,
      seenAt: null,
      state: 'received',
      attachments: [],
    };
    expect(MessageViewSchema.safeParse(message).success).toBe(true);
    expect(MessageViewSchema.safeParse({ ...message, state: 'exploded' }).success).toBe(false);
    expect(WispEventSchema.safeParse({ type: 'message.added', message }).success).toBe(true);
    expect(WispEventSchema.safeParse({ type: 'account.changed', status: { state: 'none' } }).success).toBe(
      true,
    );
    expect(WispEventSchema.safeParse({ type: 'message.exploded' }).success).toBe(false);
  });
});

describe('errors across IPC', () => {
  it('keeps a WispError kind and recovery, and hides the message of anything else', () => {
    const typed = toIpcError(
      new WispError('WrongPassphrase', 'wrong passphrase', { recovery: 'Try again.' }),
    );
    expect(typed).toEqual({ kind: 'WrongPassphrase', message: 'wrong passphrase', recovery: 'Try again.' });
    expect(toIpcError(new Error('/home/alice/secret path'))).toEqual({
      kind: 'Internal',
      message: 'internal error',
    });
    const back = fromIpcError(typed);
    expect(back).toBeInstanceOf(WispError);
    expect(back.kind).toBe('WrongPassphrase');
    expect(() => unwrap({ ok: false, error: typed })).toThrow('wrong passphrase');
    expect(unwrap({ ok: true, value: 3 })).toBe(3);
  });
});
