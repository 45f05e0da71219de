// What a notification of a new message may say, and when none is shown at all (the Notifier in
// core/services, fed the engine's events as the services feed it).
import { describe, expect, it } from 'vitest';
import type { WispEvent } from '../../../common/ipc';
import { Notifier, notificationFor } from '../../../core/services/notifications';
import { NOW, messageView } from '../../helpers/renderer/render';

function notifier() {
  const events: WispEvent[] = [];
  const n = new Notifier({ emit: (e) => events.push(e), unreadTotal: async () => 0, now: () => NOW });
  return { n, events };
}

describe('Notifier', () => {
  it('never notifies of an arrival already past its deadline, of our own message, or of one already seen', () => {
    const { n, events } = notifier();
    n.handle({ type: 'message.added', message: messageView({ id: 'late', expiresAt: NOW - 1 }) });
    n.handle({ type: 'message.added', message: messageView({ id: 'mine', outgoing: true }) });
    n.handle({ type: 'message.added', message: messageView({ id: 'seen', seenAt: NOW - 10 }) });
    expect(events.filter((e) => e.type === 'notification.shown')).toEqual([]);
    n.handle({ type: 'message.added', message: messageView({ id: 'fresh', expiresAt: NOW + 1000 }) });
    expect(events.filter((e) => e.type === 'notification.shown')).toHaveLength(1);
  });

  it('withdraws on read and at lock, and shows nothing when off', () => {
    const { n, events } = notifier();
    n.handle({ type: 'message.added', message: messageView({ id: 'a' }) });
    n.handle({ type: 'message.added', message: messageView({ id: 'b' }) });
    n.handle({ type: 'message.updated', message: messageView({ id: 'a', seenAt: NOW }) });
    expect(events).toContainEqual({ type: 'notification.withdrawn', id: 'a' });
    n.withdrawAll();
    expect(events).toContainEqual({ type: 'notification.withdrawn', id: 'b' });
    n.setMode('off');
    n.handle({ type: 'message.added', message: messageView({ id: 'c' }) });
    expect(events.filter((e) => e.type === 'notification.shown')).toHaveLength(2);
  });

  it('says only what the mode allows, and never an unread burn-on-read text', () => {
    const m = messageView({ text: 'the code is 4512', from: 'bob' });
    expect(notificationFor(m, 'new-message')).toMatchObject({ title: 'Wisp', body: 'New message' });
    expect(notificationFor(m, 'sender')).toMatchObject({ title: 'bob', body: 'New message' });
    expect(notificationFor(m, 'sender-and-text')).toMatchObject({ title: 'bob', body: 'the code is 4512' });
    expect(notificationFor({ ...m, burnAfterMs: 10_000 }, 'sender-and-text')?.body).toBe(
      'Burn-on-read message',
    );
    expect(notificationFor(m, 'off')).toBeNull();
  });
});
