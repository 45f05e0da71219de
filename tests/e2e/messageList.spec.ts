// The virtualized message list against a real 10,000-message conversation (sent by a real peer
// engine through the real relay, received by the harness's engine): the DOM stays bounded while
// the reader scrolls to the very first message, and a burn-on-read message that was never rendered
// in view is not "seen" — its countdown starts only once it is scrolled into view.
import { expect, test, type Page } from '@playwright/test';
import type { Engine } from '../../core/engine';
import { startWorld, type E2eWorld } from '../helpers/foundation/harness';
import { onboardWithPeer } from '../helpers/foundation/onboarding';
import { sendMany, waitForUnread } from '../helpers/ui/seed';

const TOTAL = 10_000;
const FIRST_TEXT = 'the very first message of ten thousand';
const BURN_TEXT = 'burn-on-read, 150 messages above the newest';
/** Index (0-based, of the 9,999 after the first) of the burn-on-read message. */
const BURN_INDEX = TOTAL - 1 - 150;

let world: E2eWorld;
let bob: Engine;
let bobName: string;
let aliceName: string;
let conversationId: string;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(400_000);
  world = await startWorld();
  const page = await browser.newPage();
  const onboarded = await onboardWithPeer(page, world);
  bob = onboarded.bob;
  bobName = onboarded.bobName;
  aliceName = onboarded.alice;
  // Receipts off: otherwise 10,000 delivery receipts fill the outbox, and every markSeen waits
  // behind their sending (the engine runs both on one queue). This spec is about what is seen.
  await world.harness.host.services.settings.set({
    receipts: { deliveryReceipts: false, readReceipts: false },
  });
  await bob.sendText(onboarded.alice, FIRST_TEXT);
  await sendMany(bob, onboarded.alice, TOTAL - 1, (i) =>
    i === BURN_INDEX
      ? { text: BURN_TEXT, options: { burnAfterMs: 60_000 } }
      : { text: `message ${i + 1} of ${TOTAL}` },
  );
  conversationId = await waitForUnread(world, bobName, TOTAL);
  await page.close();
});

test.afterAll(async () => {
  await bob?.close();
  await world?.stop();
});

/** The stored message with `text`, read from the engine through the harness's services. */
async function stored(text: string) {
  let before: string | undefined;
  for (;;) {
    const page = await world.harness.host.services.conversations.messages({
      conversationId,
      limit: 200,
      ...(before === undefined ? {} : { before }),
    });
    const found = page.messages.find((m) => m.text === text);
    if (found !== undefined || !page.hasMore) return found;
    before = page.messages[0]!.id;
  }
}

async function openConversation(page: Page): Promise<void> {
  await page.goto(world.harness.url);
  await page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: bobName }).click();
  await expect(
    page.locator('.message').filter({ hasText: `message ${TOTAL - 1} of ${TOTAL}` }),
  ).toBeInViewport();
}

test('a burn-on-read message above the viewport does not start burning until it is scrolled into view', async ({
  page,
}) => {
  test.setTimeout(200_000);
  await openConversation(page);
  // The newest messages were seen (focused window, in view): the tracker has run on what is shown.
  await expect
    .poll(async () => (await stored(`message ${TOTAL - 1} of ${TOTAL}`))?.seenAt ?? null)
    .not.toBeNull();
  // 150 messages up, the burn-on-read one is not rendered at all, so it cannot have been seen.
  await expect(page.locator('.message').filter({ hasText: BURN_TEXT })).toHaveCount(0);
  const waiting = await stored(BURN_TEXT);
  expect(waiting?.seenAt).toBeNull();
  expect(waiting?.burnAt).toBeNull();

  const list = page.getByRole('list', { name: 'Messages' });
  const target = page.locator('.message').filter({ hasText: BURN_TEXT });
  for (let step = 0; step < 200 && !(await target.isVisible()); step++) {
    await list.evaluate((el) => {
      el.scrollTop -= el.clientHeight / 2;
    });
  }
  await target.scrollIntoViewIfNeeded();
  await expect(target).toBeInViewport({ ratio: 0.5 });
  // Seen now: the engine recorded it and the countdown runs from that moment.
  await expect.poll(async () => (await stored(BURN_TEXT))?.burnAt ?? null).not.toBeNull();
  await expect(target.getByRole('timer')).toHaveText(/^burns in (1m|\d\ds)$/);
});

test('a 10,000-message conversation scrolls to its first message with fewer than 200 message elements in the DOM', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await openConversation(page);
  // Records the largest number of message elements the list ever held, after every DOM change.
  await page.evaluate(() => {
    const g = globalThis as unknown as {
      document: { querySelectorAll(s: string): { length: number }; body: unknown };
      MutationObserver: new (cb: () => void) => { observe(t: unknown, o: object): void };
      __maxMessages: number;
    };
    const count = () => {
      g.__maxMessages = Math.max(g.__maxMessages, g.document.querySelectorAll('.message').length);
    };
    g.__maxMessages = 0;
    count();
    new g.MutationObserver(count).observe(g.document.body, { childList: true, subtree: true });
  });
  const maxSoFar = () =>
    page.evaluate(() => (globalThis as unknown as { __maxMessages: number }).__maxMessages);

  const list = page.getByRole('list', { name: 'Messages' });
  const first = page.locator('.message').filter({ hasText: FIRST_TEXT });
  const firstRendered = () => page.locator('.message').first().getAttribute('data-message-id');
  for (let step = 0; step < 1_000 && (await first.count()) === 0; step++) {
    const before = await firstRendered();
    await list.evaluate((el) => {
      el.scrollTop = 0;
    });
    // Either an older page arrived and rendered above, or the top was reached.
    await expect.poll(async () => (await first.count()) > 0 || (await firstRendered()) !== before).toBe(true);
    expect(await maxSoFar()).toBeLessThan(200);
  }
  await expect(first).toBeInViewport();
  await expect(page.getByText('Today', { exact: true }).first()).toBeVisible();
  const max = await maxSoFar();
  expect(max).toBeGreaterThan(0);
  expect(max).toBeLessThan(200);
});

test('a message arriving while the reader is far up keeps their place; at the newest message it is followed', async ({
  page,
}) => {
  await openConversation(page);
  const list = page.getByRole('list', { name: 'Messages' });
  const reading = page.locator('.message').filter({ hasText: `message ${TOTAL - 60} of ${TOTAL}` });
  for (let step = 0; step < 100 && !(await reading.isVisible()); step++) {
    await list.evaluate((el) => {
      el.scrollTop -= el.clientHeight / 2;
    });
  }
  await reading.scrollIntoViewIfNeeded();
  const top = async () => (await reading.boundingBox())?.y ?? Number.NaN;
  // Settled first: rows that just mounted are measured in the frames after they appear.
  let before = await top();
  await expect
    .poll(async () => {
      const was = before;
      before = await top();
      return Math.abs(before - was);
    })
    .toBe(0);
  const height = () => list.evaluate((el) => el.scrollHeight);
  const heightBefore = await height();
  await bob.sendText(aliceName, 'arrived while you were reading');
  // The arrival is in the list (rendered below, out of view: the list grew by its row) and the row
  // being read did not move (within 2 px: rows are measured in fractional pixels). Waited for in
  // the list, not the engine: the list shows it tens of ms after the engine stores it, so checked
  // earlier the place would not be tested, and the scroll below could land in the frame the
  // arrival renders in (seen: the reader was left at the old end, the new row just below it).
  await expect.poll(height).toBeGreaterThan(heightBefore);
  const arrival = page.locator('.message').filter({ hasText: 'arrived while you were reading' });
  await expect(reading).toBeInViewport();
  expect(Math.abs((await top()) - before)).toBeLessThanOrEqual(2);

  await list.evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  await expect(arrival).toBeInViewport();
  await bob.sendText(aliceName, 'followed to the end');
  await expect(page.locator('.message').filter({ hasText: 'followed to the end' })).toBeInViewport();
});
