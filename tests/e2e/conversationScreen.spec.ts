// The main conversation screen as a user and assistive technology meet it: landmarks, named
// controls, timers in words with a live countdown, a visible focus ring in a sensible tab order,
// long words kept inside their bubble. Takes a screenshot for people to look at (no pixel diffs).
import { expect, test } from '@playwright/test';
import { startWorld, syncUntilText, uniqueName, type E2eWorld } from '../helpers/foundation/harness';
import { onboardWithPeer } from '../helpers/foundation/onboarding';

let world: E2eWorld;

test.beforeEach(async () => {
  world = await startWorld();
});
test.afterEach(async () => {
  await world.stop();
});

test('the conversation screen names its landmarks and controls, says its timers in words and keeps text inside bubbles', async ({
  page,
}, testInfo) => {
  await page.setViewportSize({ width: 800, height: 600 });
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    // An unknown username is explained under the field, and the typed name stays.
    const field = page.getByRole('textbox', { name: 'Username to message' });
    await field.fill('nobody' + uniqueName('x'));
    await page.getByRole('button', { name: 'Start' }).click();
    await expect(page.getByRole('complementary', { name: 'Chats' }).getByRole('alert')).toBeVisible();
    await expect(field).toHaveAttribute('aria-invalid', 'true');
    await expect(field).not.toHaveValue('');

    await field.fill(bobName);
    await page.getByRole('button', { name: 'Start' }).click();
    const conversation = page.getByRole('region', { name: `Conversation with ${bobName}` });
    await expect(conversation.getByRole('heading', { name: bobName })).toBeVisible();

    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('hello bob');
    await page.getByRole('combobox', { name: 'Burn after reading' }).selectOption({ label: '5 minutes' });
    await page.getByRole('button', { name: 'Send' }).click();
    const hello = await syncUntilText(bob, 'hello bob');
    expect(hello).toBeDefined();
    const longWord = 'x'.repeat(400);
    await bob.sendText(alice, 'expires in a day, burns a minute after reading', {
      expireAfterMs: 86_400_000,
      burnAfterMs: 60_000,
    });
    await bob.sendText(alice, `https://example.org/${longWord}`);
    await bob.sync({ waitMs: 200 });

    const messages = conversation.getByRole('list', { name: 'Messages' });
    const outgoing = messages.getByRole('listitem').filter({ hasText: 'hello bob' });
    // The sender's own burn runs from sending: a countdown in words, no emoji.
    await expect(outgoing.getByRole('timer')).toHaveText(/^burns in \d+m( \d\ds)?$/);
    // The newest message was scrolled into view, and a 400-character word stays inside its bubble.
    const long = messages.getByRole('listitem').filter({ hasText: longWord });
    await expect(long).toBeInViewport();
    const overflow = await long.evaluate((li) => {
      const text = li.querySelector('.text')!;
      return text.scrollWidth - text.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    const box = (await long.boundingBox())!;
    const listBox = (await messages.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(listBox.x + listBox.width);

    // Seen (focused, at least half in view): the burn counts down and, being earlier, is the
    // deadline shown. The tall link message below it can push it mostly out of view when both land
    // in one render (then it is rightly not seen yet), so the reader scrolls up to it first.
    const both = messages.getByRole('listitem').filter({ hasText: 'burns a minute after reading' });
    await both.scrollIntoViewIfNeeded();
    await expect(both).toBeInViewport({ ratio: 0.5 });
    await expect(both.getByRole('timer')).toHaveText(/^burns in (1m|\d\ds)$/);

    // Named controls of the screen.
    await expect(conversation.getByRole('button', { name: 'Safety number' })).toBeVisible();
    await expect(conversation.getByRole('combobox', { name: 'Expires' })).toBeVisible();
    await expect(
      page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: bobName }),
    ).toHaveAttribute('aria-current', 'true');
    await expect(messages).toHaveAttribute('aria-relevant', 'additions');

    // Keyboard: from the message field, Tab reaches the timers in reading order, with a focus ring.
    await page.getByRole('textbox', { name: 'Message', exact: true }).focus();
    await page.keyboard.press('Tab');
    await expect(conversation.getByRole('combobox', { name: 'Expires' })).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(conversation.getByRole('combobox', { name: 'Burn after reading' })).toBeFocused();
    const outline = await page.evaluate(() => {
      const el = (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement;
      const style = (
        globalThis as unknown as {
          getComputedStyle: (e: unknown) => { outlineStyle: string; outlineWidth: string };
        }
      ).getComputedStyle(el);
      return { style: style.outlineStyle, width: style.outlineWidth };
    });
    expect(outline.style).not.toBe('none');
    expect(outline.width).not.toBe('0px');

    await page.screenshot({ path: testInfo.outputPath('conversation-800x600.png') });

    // A look at Settings does not close the conversation or lose a half-typed message.
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('half typed');
    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
    await expect(conversation).toBeHidden();
    await page.getByRole('button', { name: 'Chats' }).click();
    await expect(conversation.getByRole('heading', { name: bobName })).toBeVisible();
    await expect(page.getByRole('textbox', { name: 'Message', exact: true })).toHaveValue('half typed');
  } finally {
    await bob.close();
  }
});
