// Notifications through the harness (the event the desktop app turns into an OS notification),
// against the real engine and relay: by default they say only "New message", and every one is
// withdrawn once its message is read and burns, or expires unread.
import { expect, test } from '@playwright/test';
import type { NotificationView, WispEvent } from '../../common/ipc';
import { startWorld, type E2eWorld } from '../helpers/foundation/harness';
import { onboardWithPeer } from '../helpers/foundation/onboarding';

let world: E2eWorld;
let events: WispEvent[];

test.beforeEach(async () => {
  world = await startWorld();
  events = [];
  world.harness.host.onEvent((event) => events.push(event));
});
test.afterEach(async () => {
  await world.stop();
});

function shown(): NotificationView[] {
  return events.flatMap((e) => (e.type === 'notification.shown' ? [e.notification] : []));
}
function withdrawn(id: string): boolean {
  return events.some((e) => e.type === 'notification.withdrawn' && e.id === id);
}

test('a notification shows no content by default and is withdrawn when its message burns', async ({
  page,
}) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    await bob.sendText(alice, 'meet at the pier at nine', { burnAfterMs: 2_000 });
    await bob.sync({ waitMs: 200 });
    await expect.poll(() => shown().length).toBe(1);
    const [note] = shown();
    expect(note).toMatchObject({ title: 'Wisp', body: 'New message' });
    // Neither the text nor who sent it.
    expect(JSON.stringify(note)).not.toContain('pier');
    expect(JSON.stringify(note)).not.toContain(bobName);
    expect(withdrawn(note!.id)).toBe(false);

    // Reading it starts its burn; by the time it burned, its notification is gone.
    await page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: bobName }).click();
    const bubble = page.locator('.message').filter({ hasText: 'meet at the pier' });
    await expect(bubble).toHaveCount(0, { timeout: 20_000 });
    expect(
      events.some((e) => e.type === 'message.destroyed' && e.id === note!.id && e.reason === 'burned'),
    ).toBe(true);
    expect(withdrawn(note!.id)).toBe(true);
  } finally {
    await bob.close();
  }
});

test('a message that expires unread takes its notification with it; "sender and text" shows both', async ({
  page,
}) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('Notifications').selectOption('sender-and-text');
    await expect(page.getByLabel('Notifications')).toHaveValue('sender-and-text');

    await bob.sendText(alice, 'gone in four seconds', { expireAfterMs: 4_000 });
    await bob.sync({ waitMs: 200 });
    await expect.poll(() => shown().length).toBe(1);
    const [note] = shown();
    expect(note).toMatchObject({ title: bobName, body: 'gone in four seconds' });
    // Never read (Settings is open): it expires, and the notification is withdrawn.
    await expect.poll(() => withdrawn(note!.id), { timeout: 20_000 }).toBe(true);
    expect(
      events.some((e) => e.type === 'message.destroyed' && e.id === note!.id && e.reason === 'expired'),
    ).toBe(true);
    // The unread badge counted it and went back to zero.
    const badges = events.flatMap((e) => (e.type === 'badge.changed' ? [e.count] : []));
    expect(badges).toContain(1);
    await expect
      .poll(() => events.filter((e) => e.type === 'badge.changed').at(-1))
      .toEqual({
        type: 'badge.changed',
        count: 0,
      });
  } finally {
    await bob.close();
  }
});
