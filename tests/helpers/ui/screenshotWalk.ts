// Walks the built renderer as a user would (onboarding → list → a 1:1 conversation with both
// timers → link confirmation, message actions, search, shortcuts → safety number → settings →
// locked) and saves PNGs for a human to look at.
// Run: npm run build:renderer && npx tsx tests/helpers/ui/screenshotWalk.ts [outDir]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../foundation/chromium';
import { createPeer, startWorld, uniqueName } from '../foundation/harness';

const OUT = process.argv[2] ?? '/tmp/wisp-ui';

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(OUT, `${name}.png`) });
}

async function walk(width: number, height: number, tag: string): Promise<void> {
  const world = await startWorld();
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const bobName = uniqueName('bob');
  const bob = await createPeer(world, bobName);
  try {
    const page = await browser.newPage({ viewport: { width, height } });
    await page.goto(world.harness.url);
    await page.getByRole('heading', { name: 'Create your Wisp account' }).waitFor();
    await shot(page, `${tag}-01-onboarding`);
    const alice = uniqueName('alice');
    await page.getByLabel('Username').fill(alice);
    await page.getByLabel('Passphrase', { exact: true }).fill('walk passphrase 1');
    await page.getByLabel('Passphrase again').fill('walk passphrase 2');
    await shot(page, `${tag}-02-onboarding-mismatch`);
    await page.getByLabel('Passphrase again').fill('walk passphrase 1');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await shot(page, `${tag}-03-empty-list`);

    await page.getByPlaceholder('Username to message').fill('nosuchuser42');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForTimeout(800);
    await shot(page, `${tag}-04-unknown-user`);

    await page.getByPlaceholder('Username to message').fill(bobName);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('heading', { name: bobName }).waitFor();
    await shot(page, `${tag}-05-draft`);
    await page.getByLabel('Message', { exact: true }).fill('hello bob, this one expires in an hour');
    await page.getByLabel('Expires').selectOption({ label: '1 hour' });
    await page.getByLabel('Burn after reading').selectOption({ label: '5 minutes' });
    await page.getByRole('button', { name: 'Send' }).click();
    for (let i = 0; i < 20; i++) if ((await bob.sync({ waitMs: 500 })).length > 0) break;
    await bob.sendText(alice, 'burns 10 s after you read it', { burnAfterMs: 10_000 });
    await bob.sendText(alice, 'expires in a day, burns a minute after reading', {
      expireAfterMs: 86_400_000,
      burnAfterMs: 60_000,
    });
    await bob.sendText(alice, 'no timers at all on this one');
    await bob.sendText(
      alice,
      'a long link https://example.org/' +
        'averyveryverylongpathsegmentwithoutanybreaks'.repeat(4) +
        ' and text',
    );
    await bob.sendText(alice, 'Supercalifragilisticexpialidocious'.repeat(5));
    await bob.sync({ waitMs: 300 });
    await page.getByText('no timers at all').waitFor();
    await shot(page, `${tag}-06-conversation`);
    await page.waitForTimeout(2500);
    await shot(page, `${tag}-07-conversation-later`);

    // The burn: catch the bubble while it plays its burn-away.
    await bob.sendText(alice, 'gone two seconds after you read it', { burnAfterMs: 2_000 });
    await bob.sync({ waitMs: 200 });
    await page.locator('.message.burning').waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(OUT, `${tag}-07b-burning.png`) });

    // The link confirmation, the message actions, search and the shortcuts overlay.
    await page.locator('.message .text button.link').first().click();
    await shot(page, `${tag}-07c-link-confirm`);
    await page.keyboard.press('Escape');
    await page.locator('.message.incoming').first().hover();
    await shot(page, `${tag}-07d-message-actions`);
    await page.getByRole('searchbox', { name: 'Search conversations and messages' }).fill('timers');
    await page.getByRole('list', { name: 'Matching messages' }).waitFor();
    await shot(page, `${tag}-07e-search`);
    await page.getByRole('searchbox', { name: 'Search conversations and messages' }).fill('');
    await page.keyboard.press('Control+/');
    await shot(page, `${tag}-07f-shortcuts`);
    await page.keyboard.press('Escape');

    await page.getByRole('button', { name: 'Safety number' }).click();
    await page.getByRole('img', { name: 'Safety number QR code' }).waitFor();
    await shot(page, `${tag}-08-safety`);
    await page.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('button', { name: 'Settings' }).click();
    await shot(page, `${tag}-09-settings`);
    // Light theme, and back to the conversation: it is still open where it was.
    await page.getByLabel('Theme').selectOption('light');
    await page.getByRole('button', { name: 'Chats' }).click();
    await page.getByRole('heading', { name: bobName }).waitFor();
    await shot(page, `${tag}-09b-light-conversation`);
    await page.getByRole('button', { name: 'Settings' }).click();
    await shot(page, `${tag}-09c-light-settings`);
    await page.getByLabel('Theme').selectOption('dark');
    await page.getByRole('button', { name: 'Lock Wisp now' }).click();
    await page.getByRole('heading', { name: 'Wisp is locked' }).waitFor();
    await shot(page, `${tag}-10-locked`);
    await page.getByLabel('Passphrase').fill('wrong passphrase');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('alert').waitFor();
    await shot(page, `${tag}-11-locked-wrong`);

    // Keyboard: tab through the unlocked messenger and capture a focused control.
    await page.getByLabel('Passphrase').fill('walk passphrase 1');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
    await shot(page, `${tag}-12-keyboard-focus`);
  } finally {
    await bob.close();
    await browser.close();
    await world.stop();
  }
}

mkdirSync(OUT, { recursive: true });
await walk(800, 600, 'narrow');
await walk(1366, 860, 'wide');
console.log(`screenshots in ${OUT}`);
