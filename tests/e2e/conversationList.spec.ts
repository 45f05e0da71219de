// The conversation list and search in Chromium against the real engine and relay: previews that
// never show a destroyed message or an unread burn-on-read text, default timers at a glance,
// ordering by activity, and full-text search whose results go when their message is destroyed.
import { expect, test } from '@playwright/test';
import {
  createPeer,
  startWorld,
  uniqueName,
  type E2eWorld,
  type PageGlobals,
} from '../helpers/foundation/harness';
import { onboardWithPeer } from '../helpers/foundation/onboarding';

let world: E2eWorld;

test.beforeEach(async () => {
  world = await startWorld();
});
test.afterEach(async () => {
  await world.stop();
});

test('search finds a message by its words and stops finding it once it is destroyed', async ({ page }) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    await bob.sendText(alice, 'the falcon lands at dawn', { expireAfterMs: 6_000 });
    await bob.sendText(alice, 'a different falcon story, kept');
    await bob.sync({ waitMs: 200 });
    await expect(
      page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: bobName }),
    ).toBeVisible();

    await page.getByRole('searchbox', { name: 'Search conversations and messages' }).fill('falcon');
    const results = page.getByRole('list', { name: 'Matching messages' });
    const doomed = results.getByRole('button').filter({ hasText: 'lands at dawn' });
    await expect(doomed).toBeVisible();
    await expect(doomed.locator('mark')).toHaveText('falcon');
    await expect(results.getByRole('button').filter({ hasText: 'kept' })).toBeVisible();

    // It expires: the result goes from the open search, and a new search does not find it.
    await expect(doomed).toHaveCount(0, { timeout: 20_000 });
    await expect(results.getByRole('button').filter({ hasText: 'kept' })).toBeVisible();
    await page.getByRole('searchbox', { name: 'Search conversations and messages' }).fill('dawn');
    await expect(page.getByText('No message here says that.')).toBeVisible();
    const again = await page.evaluate(() =>
      (globalThis as unknown as PageGlobals).wisp!.messages.search({ query: 'dawn' }),
    );
    expect(again).toEqual({ ok: true, value: [] });
  } finally {
    await bob.close();
  }
});

test('the list previews the newest message, never an expired one or an unread burn-on-read text, shows default timers and sorts by activity', async ({
  page,
}) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  const carol = await createPeer(world, uniqueName('carol'), 'carol');
  try {
    const list = page.getByRole('list', { name: 'Conversations' });
    const bobRow = list.getByRole('button', { name: bobName });

    await bob.sendText(alice, 'hello from bob');
    await bob.sync({ waitMs: 200 });
    await expect(bobRow.locator('.preview')).toHaveText('hello from bob');

    // An expiring message shows while it lives; once expired the preview falls back.
    await bob.sendText(alice, 'short lived', { expireAfterMs: 4_000 });
    await bob.sync({ waitMs: 200 });
    await expect(bobRow.locator('.preview')).toHaveText('short lived');
    await expect(bobRow.locator('.preview')).toHaveText('hello from bob', { timeout: 20_000 });

    // Unread burn-on-read: the list says one is there, never what it says.
    await bob.sendText(alice, 'secret words', { burnAfterMs: 60_000 });
    await bob.sync({ waitMs: 200 });
    await expect(bobRow.locator('.preview')).toHaveText('Burn-on-read message — open to read');
    await expect(page.getByRole('complementary', { name: 'Chats' })).not.toContainText('secret words');
    await expect(bobRow.locator('.unread')).toHaveText('2 unread');

    // Bob sets the conversation's default timers: they show at a glance.
    await bob.setConversationTimers(alice, { expireAfterMs: 3_600_000, burnAfterMs: 300_000 });
    await bob.sync({ waitMs: 200 });
    await expect(bobRow).toContainText('expires after 1h');
    await expect(bobRow).toContainText('burns after 5m');

    // Newest activity first: carol's message puts her conversation on top.
    await carol.lookup(alice);
    await carol.sendText(alice, 'hi, carol here');
    await carol.sync({ waitMs: 200 });
    await expect(list.getByRole('button').first()).toContainText('hi, carol here');
    await expect(list.getByRole('button').nth(1)).toContainText(bobName);
  } finally {
    await carol.close();
    await bob.close();
  }
});

test('delete for me removes a message here only, through the destroy path: gone from the list, search and preview', async ({
  page,
}) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    await bob.sendText(alice, 'first words');
    await bob.sendText(alice, 'regrettable words');
    await bob.sync({ waitMs: 200 });
    const row = page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: bobName });
    await row.click();
    const doomed = page.locator('.message').filter({ hasText: 'regrettable words' });
    await expect(doomed).toBeVisible();
    // Day separator above the first message of the day.
    await expect(page.locator('.day-separator').first()).toHaveText('Today');
    await doomed.hover();
    await doomed.getByRole('button', { name: 'Delete for me' }).click();
    await expect(doomed).toHaveCount(0);
    await expect(row.locator('.preview')).toHaveText('first words');
    const found = await page.evaluate(() =>
      (globalThis as unknown as PageGlobals).wisp!.messages.search({ query: 'regrettable' }),
    );
    expect(found).toEqual({ ok: true, value: [] });
    // The sender still has theirs: delete for me is local.
    expect((await bob.messages(alice)).map((m) => m.text)).toContain('regrettable words');
  } finally {
    await bob.close();
  }
});
