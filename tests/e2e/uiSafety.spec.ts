// The UI's safety and reach in Chromium against the real engine and relay: the XSS corpus sent by a
// real peer stays inert text in bubbles, previews, search results and notifications; links open
// only after a confirmation showing the whole URL; the keyboard reaches everything; and axe finds
// no serious or critical violation on the main screens in both themes.
import { expect, test, type Page } from '@playwright/test';
import type { WispEvent } from '../../common/ipc';
import { startWorld, type E2eWorld } from '../helpers/foundation/harness';
import { onboardWithPeer, openOnboarding } from '../helpers/foundation/onboarding';
import { XSS_CORPUS } from '../helpers/ui/xssCorpus';
import { seriousViolations } from '../helpers/ui/axe';

let world: E2eWorld;

test.beforeEach(async () => {
  world = await startWorld();
});
test.afterEach(async () => {
  await world.stop();
});

/** Elements no message text may ever create anywhere in the app. */
const ACTIVE =
  'script:not([src]), img, svg:not(.lucide), iframe, details, math, style:not([data-vite-dev-id]), a[href^="javascript"]';

async function noneInjected(page: Page): Promise<void> {
  await expect(page.locator('#root').locator(ACTIVE)).toHaveCount(0);
  expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await page.title()).toBe('Wisp');
}

test('the XSS corpus sent by a peer renders as inert text in bubbles, previews, search results and notifications', async ({
  page,
}) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const events: WispEvent[] = [];
  world.harness.host.onEvent((e) => events.push(e));
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    await world.harness.host.services.settings.set({ notifications: 'sender-and-text' });
    for (const text of XSS_CORPUS) await bob.sendText(alice, text);
    await bob.sync({ waitMs: 200 });

    // Preview: the last one, as typed.
    const row = page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: bobName });
    await expect(row.locator('.preview')).toHaveText(XSS_CORPUS.at(-1)!);

    // Bubbles: every text exactly, as characters.
    await row.click();
    const bubbles = page.locator('.messages .message.incoming .text');
    await expect(bubbles).toHaveText([...XSS_CORPUS]);
    await noneInjected(page);

    // Search results: snippets with <mark> around the match, the rest as text.
    await page.getByRole('searchbox', { name: 'Search conversations and messages' }).fill('xssprobe');
    const hits = page.getByRole('list', { name: 'Matching messages' }).getByRole('button');
    await expect(hits).toHaveCount(XSS_CORPUS.length);
    await expect(page.locator('.search-results mark').first()).toHaveText('xssprobe');
    await noneInjected(page);

    // Notifications carry the text as data, byte for byte (the OS shows it as plain text).
    const bodies = events.flatMap((e) => (e.type === 'notification.shown' ? [e.notification.body] : []));
    expect(bodies).toEqual([...XSS_CORPUS]);
    expect(dialogs).toEqual([]);
  } finally {
    await bob.close();
  }
});

test('a link opens only after a confirmation that shows the whole URL', async ({ page }) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    const url = 'https://example.org/' + 'a-very-long-path/'.repeat(12) + '?then=elsewhere.example.net';
    await bob.sendText(alice, `look: ${url} ok`);
    await bob.sync({ waitMs: 200 });
    await page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: bobName }).click();
    await page.getByRole('button', { name: url, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Open this link in your browser?' });
    await expect(dialog).toBeVisible();
    await expect(dialog.locator('code')).toHaveText(url);
    // The safe choice has focus; Escape cancels.
    await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
  } finally {
    await bob.close();
  }
});

test('keyboard: quick find, next conversation, shortcuts overlay, settings and Escape', async ({ page }) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    await bob.sendText(alice, 'hello there');
    await bob.sync({ waitMs: 200 });
    const row = page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: bobName });
    await expect(row).toBeVisible();

    await page.keyboard.press('Control+k');
    await expect(page.getByRole('combobox', { name: 'Find a conversation or contact' })).toBeFocused();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+f');
    await expect(page.getByRole('searchbox', { name: 'Search conversations and messages' })).toBeFocused();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Alt+ArrowDown');
    await expect(row).toHaveAttribute('aria-current', 'true');

    await page.keyboard.press('Control+/');
    const overlay = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await expect(overlay).toContainText('Ctrl+K');
    await expect(overlay).toContainText('Quick switcher');
    await page.keyboard.press('Escape');
    await expect(overlay).toHaveCount(0);

    await page.keyboard.press('Control+,');
    await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(page.getByRole('heading', { name: bobName })).toBeVisible();

    await page.keyboard.press('Control+Shift+L');
    await expect(page.getByRole('heading', { name: 'Wisp is locked' })).toBeVisible();
  } finally {
    await bob.close();
  }
});

test('axe finds no serious or critical violation on the main screens in both themes', async ({ page }) => {
  await openOnboarding(page, world);
  expect(await seriousViolations(page)).toEqual([]);
  await page.goto('about:blank');
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    await bob.sendText(alice, 'hello, with a link https://example.org/x', { burnAfterMs: 300_000 });
    await bob.sendText(alice, 'and one that expires', { expireAfterMs: 3_600_000 });
    await bob.sync({ waitMs: 200 });
    for (const theme of ['dark', 'light'] as const) {
      await world.harness.host.services.settings.set({ theme });
      await page.goto(world.harness.url);
      const row = page.getByRole('list', { name: 'Conversations' }).getByRole('button', { name: bobName });
      await expect(row).toBeVisible();
      expect(await seriousViolations(page), `${theme}: list`).toEqual([]);
      await row.click();
      await expect(page.locator('.message.incoming').first()).toBeVisible();
      expect(await seriousViolations(page), `${theme}: conversation`).toEqual([]);
      await page.getByRole('button', { name: 'Safety number' }).click();
      await expect(page.getByRole('img', { name: 'Safety number QR code' })).toBeVisible();
      expect(await seriousViolations(page), `${theme}: safety number`).toEqual([]);
      await page.getByRole('searchbox', { name: 'Search conversations and messages' }).fill('hello');
      await expect(page.getByRole('list', { name: 'Matching messages' })).toBeVisible();
      expect(await seriousViolations(page), `${theme}: search`).toEqual([]);
      await page.getByRole('button', { name: 'Settings' }).click();
      expect(await seriousViolations(page), `${theme}: settings`).toEqual([]);
      await page.keyboard.press('Control+/');
      expect(await seriousViolations(page), `${theme}: shortcuts`).toEqual([]);
      await page.keyboard.press('Escape');
      await page.getByRole('button', { name: 'Lock Wisp now' }).click();
      await expect(page.getByRole('heading', { name: 'Wisp is locked' })).toBeVisible();
      expect(await seriousViolations(page), `${theme}: locked`).toEqual([]);
      await page.getByLabel('Passphrase').fill('e2e passphrase 1');
      await page.getByRole('button', { name: 'Unlock' }).click();
      await expect(page.getByRole('navigation', { name: 'Main' })).toContainText(alice);
    }
  } finally {
    await bob.close();
  }
});
