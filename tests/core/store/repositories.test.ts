// The typed repositories on a real encrypted store: identity, contacts, conversations, messages and
// their deadlines, attachments, settings, inbox and outbox.
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INBOX_MARK_SKEW_MS } from '../../../core/store/repos/inboxRepo';
import { kindOf } from '../../helpers/errors';
import { incomingMessage, openTestStore, type TestStore } from '../../helpers/store/tempProfile';

describe('repositories', () => {
  let t: TestStore;
  beforeEach(() => {
    t = openTestStore();
  });
  afterEach(() => t.cleanup());

  it('creates the local identity once and never silently replaces its key pair', () => {
    const { identity } = t.store;
    expect(kindOf(() => identity.require())).toBe('NotFound');
    const record = {
      accountId: 'acc',
      deviceId: 1,
      username: 'alice',
      identityKeyPair: Buffer.from([1, 2, 3]),
      registrationId: 1234,
      relayUrl: 'ws://127.0.0.1:1',
      trustRoot: null,
    };
    identity.create(record);
    expect(identity.require()).toMatchObject({ ...record, identityKeyPair: Buffer.from([1, 2, 3]) });
    expect(kindOf(() => identity.create(record))).toBe('ProfileExists');
    identity.setRelay('ws://127.0.0.1:2', Buffer.from([7]));
    expect(identity.require()).toMatchObject({ relayUrl: 'ws://127.0.0.1:2', trustRoot: Buffer.from([7]) });
  });

  it('un-verifies a contact and flags it loudly when its identity key changes', () => {
    const { contacts } = t.store;
    contacts.upsert('bob-id', 'Bob');
    expect(contacts.byUsername('bob')?.accountId).toBe('bob-id');
    expect(contacts.saveIdentityKey('bob-id', Buffer.from([1]))).toBe('new');
    expect(contacts.saveIdentityKey('bob-id', Buffer.from([1]))).toBe('unchanged');
    contacts.setVerified('bob-id', true);
    expect(contacts.get('bob-id')).toMatchObject({ verified: true, identityChanged: false });
    expect(contacts.saveIdentityKey('bob-id', Buffer.from([2]))).toBe('replaced');
    expect(contacts.get('bob-id')).toMatchObject({
      verified: false,
      identityChanged: true,
      identityKey: Buffer.from([2]),
    });
    contacts.acknowledgeIdentityChange('bob-id');
    expect(contacts.get('bob-id')?.identityChanged).toBe(false);
    // An upsert without a username keeps the known one.
    contacts.upsert('bob-id', null);
    expect(contacts.get('bob-id')?.username).toBe('Bob');
  });

  it('records a key change behind a username on a known or a new account, verified or not', () => {
    const { contacts } = t.store;
    // Known, verified, same key as before: still a change, because the person behind the name changed.
    contacts.saveIdentityKey('known', Buffer.from([1]));
    contacts.setVerified('known', true);
    contacts.recordIdentityChange('known', Buffer.from([1]), 5);
    expect(contacts.get('known')).toMatchObject({ verified: false, identityChanged: true, updatedAt: 5 });
    // Never seen before: created flagged.
    contacts.recordIdentityChange('fresh', Buffer.from([9]), 6);
    expect(contacts.get('fresh')).toMatchObject({
      identityKey: Buffer.from([9]),
      verified: false,
      identityChanged: true,
      createdAt: 6,
    });
  });

  it('rewrites a session record in place: an update of a 6 KiB record writes two pages, not six', () => {
    const { signal } = t.store;
    const record = (length: number) => randomBytes(length);
    signal.saveSession('peer.1', 'peer', 1, record(6300));
    expect(t.store.checkpoint()).toBe(true);
    expect(statSync(`${t.path}-wal`).size).toBe(0);
    const updates = 50;
    let last = record(0);
    for (let i = 0; i < updates; i++) {
      // Ratchet steps change the length by a few bytes, as real session records do.
      last = record(6300 + (i % 7) * 3);
      signal.saveSession('peer.1', 'peer', 1, last);
    }
    expect(signal.getSession('peer.1')?.equals(last)).toBe(true);
    const frames = (statSync(`${t.path}-wal`).size - 32) / (24 + 4096);
    // The row's leaf page and its one overflow page; no freed pages to zero, no freelist, no header.
    expect(frames / updates).toBeLessThanOrEqual(2);
  });

  it('forgets an unreported message when the message is destroyed, in the same transaction', () => {
    const { conversations, messages, unreported } = t.store;
    conversations.ensureDirect('peer');
    const kept = messages.insert(incomingMessage('peer'));
    const burned = messages.insert(incomingMessage('peer'));
    unreported.add(kept.id);
    unreported.add(burned.id);
    unreported.add(kept.id);
    expect(unreported.list()).toEqual([kept.id, burned.id]);
    expect(t.store.destroyMessage(burned.id)).toBe(true);
    expect(unreported.list()).toEqual([kept.id]);
    unreported.clear();
    expect(unreported.list()).toEqual([]);
  });

  it('keeps rooms with members and default timers, and one direct conversation per peer', () => {
    const { conversations } = t.store;
    const direct = conversations.ensureDirect('peer');
    expect(conversations.ensureDirect('peer').id).toBe(direct.id);
    const room = conversations.createRoom({
      name: 'ops',
      members: ['a', 'b'],
      admins: ['a'],
      timers: { expireAfterMs: 60_000, burnAfterMs: 5_000 },
    });
    expect(room).toMatchObject({
      kind: 'room',
      name: 'ops',
      expireAfterMs: 60_000,
      burnAfterMs: 5_000,
      peerId: null,
    });
    expect(conversations.members(room.id).map((m) => [m.accountId, m.role])).toEqual([
      ['a', 'admin'],
      ['b', 'member'],
    ]);
    conversations.removeMember(room.id, 'b');
    conversations.addMember(room.id, 'c');
    expect(
      conversations
        .members(room.id)
        .map((m) => m.accountId)
        .sort(),
    ).toEqual(['a', 'c']);
    conversations.setDefaultTimers(room.id, { expireAfterMs: null, burnAfterMs: 1000 });
    expect(conversations.get(room.id)).toMatchObject({ expireAfterMs: null, burnAfterMs: 1000 });
  });

  it('never stores a message whose deadline has already passed', () => {
    t.store.conversations.ensureDirect('peer');
    const past = Date.now() - 1;
    expect(kindOf(() => t.store.messages.insert(incomingMessage('peer', { expiresAt: past })))).toBe(
      'InvalidInput',
    );
    expect(t.store.messages.count()).toBe(0);
  });

  it('pages a conversation newest-last and updates its last activity and unread count on insert', () => {
    const { messages, conversations } = t.store;
    conversations.ensureDirect('peer');
    const inserted = Array.from({ length: 120 }, (_, i) =>
      messages.insert(incomingMessage('peer', { sentAt: 1000 + i })),
    );
    const first = messages.page('peer', 50);
    expect(first.map((m) => m.sentAt)).toEqual(inserted.slice(70).map((m) => m.sentAt));
    const second = messages.page('peer', 50, { sentAt: first[0]!.sentAt, id: first[0]!.id });
    expect(second.map((m) => m.sentAt)).toEqual(inserted.slice(20, 70).map((m) => m.sentAt));
    expect(conversations.get('peer')).toMatchObject({ lastMessageAt: 1119, unreadCount: 120 });
    expect(messages.all('peer')).toHaveLength(120);
  });

  it('starts the burn countdown when an incoming message is first seen, and a second sighting cannot extend it', () => {
    const { messages, conversations } = t.store;
    conversations.ensureDirect('peer');
    const now = Date.now();
    const m = messages.insert(
      incomingMessage('peer', { burnAfterMs: 10_000, expireAfterMs: 60_000, expiresAt: now + 60_000 }),
    );
    expect(m).toMatchObject({ burnAt: null, destroyAt: now + 60_000 });
    const seen = messages.markSeen(m.id, now + 1000)!;
    expect(seen).toMatchObject({ seenAt: now + 1000, burnAt: now + 11_000, destroyAt: now + 11_000 });
    expect(messages.markSeen(m.id, now + 5000)).toMatchObject({ seenAt: now + 1000, burnAt: now + 11_000 });
    expect(conversations.get('peer')?.unreadCount).toBe(0);
    expect(messages.nextDeadline()).toBe(now + 11_000);
    const later = messages.insert(incomingMessage('peer', { expiresAt: now + 99_000 }));
    messages.insert(incomingMessage('peer')); // no deadline: not listed
    expect(messages.deadlines()).toEqual([
      { id: m.id, destroyAt: now + 11_000 },
      { id: later.id, destroyAt: now + 99_000 },
    ]);
  });

  it('destroys due messages and counts the unseen ones as expired unread', () => {
    const { messages, conversations } = t.store;
    conversations.ensureDirect('peer');
    const now = Date.now();
    const unseen = messages.insert(incomingMessage('peer', { expiresAt: now + 1000 }));
    const seen = messages.insert(incomingMessage('peer', { expiresAt: now + 1000 }));
    messages.markSeen(seen.id, now);
    const later = messages.insert(incomingMessage('peer', { expiresAt: now + 100_000 }));
    expect(messages.due(now + 2000).sort()).toEqual([unseen.id, seen.id].sort());
    expect(t.store.destroyDue(now + 2000).sort()).toEqual([unseen.id, seen.id].sort());
    expect(messages.has(unseen.id)).toBe(false);
    expect(messages.has(later.id)).toBe(true);
    expect(conversations.get('peer')).toMatchObject({ expiredUnreadCount: 1, unreadCount: 1 });
    conversations.noteExpiredUnread('peer');
    expect(conversations.get('peer')?.expiredUnreadCount).toBe(2);
    // A user deleting an unseen message is not an expiry.
    expect(t.store.destroyMessage(later.id, 'user')).toBe(true);
    expect(conversations.get('peer')).toMatchObject({ expiredUnreadCount: 2, unreadCount: 0 });
    expect(t.store.destroyMessage(later.id)).toBe(false);
  });

  it('searches message text with user words taken literally, never as FTS5 syntax', () => {
    const { messages, conversations } = t.store;
    conversations.ensureDirect('peer');
    messages.insert(incomingMessage('peer', { body: 'Meet at the café "north" gate' }));
    messages.insert(incomingMessage('peer', { body: 'unrelated' }));
    expect(messages.search('cafe')).toHaveLength(1); // diacritics folded
    expect(messages.search('nor')).toHaveLength(1); // prefix
    expect(messages.search('"north" OR unrelated')).toHaveLength(0); // all words must match, quotes are text
    expect(messages.search('gate', { mark: ['[', ']'] })[0]?.snippet).toContain('[gate]');
    expect(messages.search('   ')).toEqual([]);
  });

  it('keeps attachment files encrypted at rest and reads them back', () => {
    const { messages, conversations, attachments } = t.store;
    conversations.ensureDirect('peer');
    const m = messages.insert(incomingMessage('peer', { kind: 'attachment', body: null }));
    attachments.add({
      id: 'att',
      messageId: m.id,
      fileName: 'photo.jpg',
      mime: 'image/jpeg',
      size: 0,
      digest: Buffer.from([1, 2]),
    });
    const content = Buffer.from('PLAINTEXT-ATTACHMENT-CONTENT '.repeat(50));
    const stored = attachments.storeFile('att', content);
    expect(stored).toMatchObject({ size: content.length, digest: Buffer.from([1, 2]) });
    const onDisk = readFileSync(join(t.attachmentsDir, stored.localPath!));
    expect(onDisk.includes(Buffer.from('PLAINTEXT-ATTACHMENT'))).toBe(false);
    expect(attachments.readFile('att').equals(content)).toBe(true);
    // Replacing the file wipes the previous copy.
    attachments.storeFile('att', Buffer.from('v2'));
    expect(readdirSync(t.attachmentsDir)).toHaveLength(1);
    expect(attachments.readFile('att').toString()).toBe('v2');
    // Survives a reopen.
    expect(t.reopen().attachments.readFile('att').toString()).toBe('v2');
  });

  it('stores settings as JSON values', () => {
    const { settings } = t.store;
    settings.set('lock', { idleMs: 300_000, enabled: true });
    expect(settings.get('lock')).toEqual({ idleMs: 300_000, enabled: true });
    settings.delete('lock');
    expect(settings.get('lock')).toBeUndefined();
  });

  it('makes receive exactly-once: an envelope is processed once, even across a rollback and a reopen', () => {
    const { inbox, messages, conversations } = t.store;
    conversations.ensureDirect('peer');
    const relayExpiry = Date.now() + 60_000;
    // A failure mid-processing rolls back both the message and the inbox mark.
    expect(() =>
      t.store.transaction(() => {
        inbox.markProcessed('env-1', relayExpiry);
        messages.insert(incomingMessage('peer', { id: 'from-env-1' }));
        throw new Error('crash before commit');
      }),
    ).toThrow('crash');
    expect(inbox.isProcessed('env-1')).toBe(false);
    expect(messages.has('from-env-1')).toBe(false);
    t.store.transaction(() => {
      expect(inbox.markProcessed('env-1', relayExpiry)).toBe(true);
      messages.insert(incomingMessage('peer', { id: 'from-env-1' }));
    });
    const reopened = t.reopen();
    expect(reopened.inbox.markProcessed('env-1', relayExpiry)).toBe(false);
    expect(reopened.inbox.isProcessed('env-1')).toBe(true);
  });

  it('keeps an inbox mark only while the relay could still deliver its envelope', () => {
    const { inbox } = t.store;
    const relayExpiry = Date.now() + 60_000;
    inbox.markProcessed('confirmed', relayExpiry);
    inbox.markProcessed('unconfirmed', relayExpiry);
    inbox.markProcessed('other', relayExpiry + 10 * INBOX_MARK_SKEW_MS);
    // Acknowledgement confirmed by the relay: gone at once.
    expect(inbox.forget(['confirmed', 'never-marked'])).toBe(1);
    expect(inbox.isProcessed('confirmed')).toBe(false);
    // Never confirmed: kept past the relay's expiry for a relay clock ahead of ours, then swept.
    expect(inbox.sweep(relayExpiry + INBOX_MARK_SKEW_MS - 1)).toBe(0);
    expect(inbox.sweep(relayExpiry + INBOX_MARK_SKEW_MS)).toBe(1);
    expect(inbox.isProcessed('unconfirmed')).toBe(false);
    expect(inbox.isProcessed('other')).toBe(true);
    expect(inbox.count()).toBe(1);
  });

  it('keeps outbox items until accepted, retries later, and drops expired ones', () => {
    const { outbox } = t.store;
    const now = Date.now();
    const a = outbox.enqueue(
      { messageId: null, recipientId: 'p', kind: 'receipt', payload: Buffer.from([1]), expiresAt: null },
      now,
    );
    const b = outbox.enqueue(
      { messageId: null, recipientId: 'p', kind: 'message', payload: Buffer.from([2]), expiresAt: now + 10 },
      now,
    );
    expect(outbox.due(now).map((i) => i.id)).toEqual([a, b]);
    outbox.retryLater(a, now + 5000);
    expect(outbox.due(now + 1).map((i) => i.id)).toEqual([b]);
    expect(outbox.due(now + 20).map((i) => i.id)).toEqual([]); // b expired and was dropped
    expect(outbox.all().map((i) => [i.id, i.attempts])).toEqual([[a, 1]]);
    const c = outbox.enqueue(
      { messageId: null, recipientId: 'p', kind: 'receipt', payload: Buffer.from([3]), expiresAt: null },
      now,
    );
    // The oldest first, whatever their backoff, at most `limit`.
    expect(outbox.oldest(1).map((i) => i.id)).toEqual([a]);
    expect(outbox.oldest(5).map((i) => i.id)).toEqual([a, c]);
    outbox.remove(c);
    outbox.remove(a);
    expect(outbox.all()).toEqual([]);
  });

  it('lists every libsignal record for backup export, and drops sessions of one account', () => {
    const { signal } = t.store;
    signal.saveSession('a.1', 'a', 1, Buffer.from([1]));
    signal.saveSession('a.2', 'a', 2, Buffer.from([2]));
    signal.saveSession('b.1', 'b', 1, Buffer.from([3]));
    signal.saveSession('a.1', 'a', 1, Buffer.from([4])); // update in place
    signal.savePreKey(7, Buffer.from([5]));
    signal.saveSignedPreKey(1, Buffer.from([6]));
    signal.saveKyberPreKey(2, Buffer.from([7]), true);
    signal.saveSenderKey('a.1', 'room', Buffer.from([8]));
    expect(signal.listSessions().map((s) => [s.address, s.record[0]])).toEqual([
      ['a.1', 4],
      ['a.2', 2],
      ['b.1', 3],
    ]);
    expect(signal.sessionDevices('a')).toEqual([1, 2]);
    expect(signal.listPreKeys()).toEqual([{ id: 7, record: Buffer.from([5]) }]);
    expect(signal.listSignedPreKeys()).toEqual([{ id: 1, record: Buffer.from([6]) }]);
    expect(signal.listKyberPreKeys()).toEqual([{ id: 2, record: Buffer.from([7]), lastResort: true }]);
    expect(signal.listSenderKeys()).toEqual([
      { sender: 'a.1', distributionId: 'room', record: Buffer.from([8]) },
    ]);
    expect(signal.deleteSessions('a')).toBe(2);
    expect(signal.listSessions().map((s) => s.address)).toEqual(['b.1']);
  });
});
