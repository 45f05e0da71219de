// Walks the built renderer as a user would (onboarding → list → a 1:1 conversation with both
// timers → link confirmation, message actions, search, shortcuts, the quick switcher, People,
// Account → attachments → safety number → settings (and the dialogs in the light theme) → locked →
// rooms (a room left) → backups → restore on a second device → the first one moved) and saves PNGs
// for a human to look at.
// Run: npm run build:renderer && npx tsx tests/helpers/ui/screenshotWalk.ts [outDir]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../foundation/chromium';
import { startHarness } from '../../../harness/server';
import type { Engine } from '../../../core/engine';
import {
  TEST_SCRYPT,
  WEB_ROOT,
  createPeer,
  startWorld,
  uniqueName,
  type E2eWorld,
} from '../foundation/harness';
import { gradientPng } from './imageFixture';

const OUT = process.argv[2] ?? '/tmp/wisp-ui';

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(OUT, `${name}.png`) });
}

/** Attachments: a received image and a file to save, a pending file in the composer, the lightbox. */
async function attachmentScreens(
  page: Page,
  world: E2eWorld,
  bob: Engine,
  alice: string,
  tag: string,
): Promise<void> {
  const photo = join(world.tempDir, 'harbour.png');
  writeFileSync(photo, gradientPng(480, 320, 3));
  const pdf = join(world.tempDir, 'meeting-minutes.pdf');
  writeFileSync(pdf, '%PDF-1.4\n% stand-in for a document\n'.repeat(400));
  await bob.sendText(alice, 'the harbour this morning', { file: photo });
  await bob.sendText(alice, 'and the minutes', { file: pdf });
  await page.getByRole('img', { name: 'harbour.png', exact: true }).waitFor();
  await page.getByLabel('Save meeting-minutes.pdf to').waitFor();
  await shot(page, `${tag}-07g-attachments`);
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Attach a file' }).click();
  await (await chooser).setFiles(photo);
  await page.getByLabel('Message', { exact: true }).fill('same view, from my side');
  await shot(page, `${tag}-07h-attachment-pending`);
  await page.getByRole('button', { name: 'Send' }).click();
  await page.locator('.message.outgoing img').waitFor();
  await shot(page, `${tag}-07i-attachment-sent`);
  await page.getByRole('button', { name: 'Open harbour.png larger' }).first().click();
  await shot(page, `${tag}-07j-lightbox`);
  await page.keyboard.press('Escape');
  await page.getByLabel('Save meeting-minutes.pdf to').fill(join(world.tempDir, 'minutes.pdf'));
  await page.getByLabel('Save meeting-minutes.pdf to').press('Enter');
  await page.getByRole('status').filter({ hasText: 'Saved to' }).waitFor();
  await shot(page, `${tag}-07k-attachment-saved`);
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
    await page.getByText('Hide your IP address from the relay (proxy)').click();
    await page.getByLabel('SOCKS5 proxy').fill('http://127.0.0.1:9050');
    await page.getByLabel('SOCKS5 proxy').blur();
    await shot(page, `${tag}-02b-onboarding-proxy`);
    await page.getByLabel('SOCKS5 proxy').fill('');
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
    await peopleScreens(page, tag, bobName, 'dark');
    await attachmentScreens(page, world, bob, alice, tag);

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
    // The dialogs (one frame, components/Dialog.tsx) in the light theme too.
    await page.getByRole('button', { name: 'Chats' }).click();
    await page.locator('.message .text button.link').first().click();
    await shot(page, `${tag}-09d-light-link-confirm`);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+/');
    await shot(page, `${tag}-09e-light-shortcuts`);
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Open harbour.png larger' }).first().click();
    await shot(page, `${tag}-09f-light-lightbox`);
    await page.keyboard.press('Escape');
    await peopleScreens(page, tag, bobName, 'light');
    await page.getByRole('button', { name: 'Settings' }).click();
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

    await roomScreens(page, world, tag, { alice, bob, bobName });
    await backupScreens(page, world, tag, alice);
  } finally {
    await bob.close();
    await browser.close();
    await world.stop();
  }
}

/**
 * Rooms: the New room dialog (a contact ticked, a username typed), the room with both peers'
 * messages in their colours and its notices, the details panel as admin, the remove confirmation,
 * the light theme, and a room where the user is a plain member (no admin controls).
 */
async function roomScreens(
  page: Page,
  world: E2eWorld,
  tag: string,
  people: { alice: string; bob: Engine; bobName: string },
): Promise<void> {
  const { alice, bob, bobName } = people;
  const carolName = uniqueName('carol');
  const carol = await createPeer(world, carolName, 'carol');
  try {
    await carol.lookup(alice);
    await page.getByRole('button', { name: 'New room' }).click();
    const dialog = page.getByRole('dialog', { name: 'New room' });
    await dialog.getByLabel('Room name').fill('Weekend plans');
    await dialog.getByLabel(bobName).check();
    await dialog.getByLabel('Add by username').fill(carolName);
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await shot(page, `${tag}-12a-new-room`);
    await dialog.getByRole('button', { name: 'Create room' }).click();
    await page.getByRole('heading', { name: 'Weekend plans' }).waitFor();
    const room = (await world.harness.host.services.conversations.list()).find((c) => c.kind === 'room')!;
    await page.getByLabel('Message', { exact: true }).fill('hello both, where do we go?');
    await page.getByRole('button', { name: 'Send' }).click();
    await bob.sync({ waitMs: 300 });
    await carol.sync({ waitMs: 300 });
    await bob.sendToRoom(room.id, 'the coast, if the weather holds');
    await carol.sendToRoom(room.id, 'I can drive on Saturday');
    await bob.sendToRoom(room.id, 'great, I bring the food');
    // A second message in a row from one sender: named once (a run, as in Signal).
    await bob.sendToRoom(room.id, 'and something to drink');
    await page.locator('.messages').getByText('something to drink').waitFor();
    await shot(page, `${tag}-12b-room`);
    await page.getByRole('button', { name: 'Room details' }).click();
    await page.getByRole('region', { name: 'Room details' }).waitFor();
    await shot(page, `${tag}-12c-room-details`);
    await page.getByRole('button', { name: `Remove ${carolName} from the room` }).click();
    await shot(page, `${tag}-12d-remove-confirm`);
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByRole('list', { name: 'Members' }).getByRole('listitem').nth(1).waitFor();
    await page.getByRole('button', { name: 'Close room details' }).click();
    await page.locator('.messages').getByText(`You removed ${carolName}`).waitFor();
    await shot(page, `${tag}-12e-room-after-remove`);

    await world.harness.host.services.settings.set({ theme: 'light' });
    await shot(page, `${tag}-12f-light-room`);
    await page.getByRole('button', { name: 'Room details' }).click();
    await shot(page, `${tag}-12g-light-room-details`);
    await page.getByRole('button', { name: 'New room' }).click();
    await shot(page, `${tag}-12g2-light-new-room`);
    await page.keyboard.press('Escape');
    await world.harness.host.services.settings.set({ theme: 'dark' });

    // Bob's room: the user is a plain member and sees the list and Leave only.
    const bobs = await bob.createRoom('Bob’s room', [alice, carolName]);
    await bob.sendToRoom(bobs.id, 'welcome, both of you');
    await page
      .getByRole('list', { name: 'Conversations' })
      .getByRole('button', { name: /Bob’s room/ })
      .click();
    await page.locator('.messages').getByText('welcome, both of you').waitFor();
    await page.getByRole('button', { name: 'Room details' }).click();
    await shot(page, `${tag}-12h-room-member-view`);
    await page.getByRole('button', { name: 'Leave room' }).click();
    await shot(page, `${tag}-12i-leave-confirm`);
    await page.getByRole('button', { name: 'Cancel' }).click();
    // Left for real: no composer, why in its place (as Signal shows for a group you left).
    await page.getByRole('button', { name: 'Leave room' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Leave room' }).click();
    await page.locator('.room-count').filter({ hasText: 'You left this room' }).waitFor();
    await page.getByRole('button', { name: 'Close room details' }).click();
    await page.locator('.composer-closed').waitFor();
    await shot(page, `${tag}-12j-room-left`);
    await world.harness.host.services.settings.set({ theme: 'light' });
    await shot(page, `${tag}-12k-light-room-left`);
    await world.harness.host.services.settings.set({ theme: 'dark' });
  } finally {
    await carol.close();
  }
}

/** The quick switcher (all, filtered), People with a safety number open, Account and its danger zone. */
async function peopleScreens(page: Page, tag: string, bobName: string, theme: string): Promise<void> {
  await page.getByRole('button', { name: 'Chats' }).click();
  await page.keyboard.press('Control+k');
  await page.getByRole('dialog', { name: 'Quick switcher' }).waitFor();
  await shot(page, `${tag}-07m-switcher-${theme}`);
  await page.keyboard.type(bobName.slice(0, 4));
  await shot(page, `${tag}-07n-switcher-filtered-${theme}`);
  await page.keyboard.type('zzz');
  await shot(page, `${tag}-07o-switcher-nothing-${theme}`);
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'People' }).click();
  await page.getByRole('heading', { name: 'People' }).waitFor();
  await shot(page, `${tag}-08b-people-${theme}`);
  await page.getByRole('button', { name: `Safety number with ${bobName}` }).click();
  await shot(page, `${tag}-08c-people-safety-${theme}`);
  await page.getByRole('button', { name: 'Account' }).click();
  await page.getByRole('heading', { name: 'Relay' }).waitFor();
  await shot(page, `${tag}-08d-account-${theme}`);
  await page.getByRole('heading', { name: 'Delete account and wipe this device' }).scrollIntoViewIfNeeded();
  await shot(page, `${tag}-08e-account-delete-${theme}`);
  await page.getByRole('button', { name: 'Chats' }).click();
}

/** Settings → Backups (passphrase, progress, recovery key), restore on a second device, "moved". */
async function backupScreens(page: Page, world: E2eWorld, tag: string, alice: string): Promise<void> {
  const passphrase = 'walk backup passphrase';
  await page.getByRole('button', { name: 'Settings' }).click();
  const backups = page.getByRole('heading', { name: 'Backups' });
  await backups.scrollIntoViewIfNeeded();
  await page.getByLabel('Backup passphrase', { exact: true }).fill(passphrase);
  await page.getByLabel('Backup passphrase again').fill('walk backup passphrasX');
  await page.getByLabel('Save the backup to').fill(join(world.tempDir, 'walk.wisp-backup'));
  await shot(page, `${tag}-13-backups-mismatch`);
  await page.getByLabel('Backup passphrase again').fill(passphrase);
  await page.getByRole('button', { name: 'Export backup' }).click();
  await page.getByRole('status').filter({ hasText: 'Backup saved to' }).waitFor();
  await shot(page, `${tag}-14-backup-saved`);
  await page.getByRole('button', { name: 'Make another backup' }).click();
  await page.getByRole('radio', { name: 'A recovery key, shown once' }).check();
  await page.getByLabel('Save the backup to').fill(join(world.tempDir, 'walk-key.wisp-backup'));
  await page.getByRole('button', { name: 'Export backup' }).click();
  await page.getByRole('button', { name: 'I saved it' }).waitFor();
  await page.getByRole('button', { name: 'I saved it' }).scrollIntoViewIfNeeded();
  await shot(page, `${tag}-15-recovery-key`);
  await page.getByRole('button', { name: 'I saved it' }).click();

  const second = await startHarness({
    webRoot: WEB_ROOT,
    dataDir: join(world.tempDir, 'app2'),
    relayUrl: world.relay.url,
    keyStore: { scrypt: TEST_SCRYPT },
  });
  try {
    const page2 = await page.context().browser()!.newPage({ viewport: page.viewportSize() });
    await page2.goto(second.url);
    await page2.getByRole('button', { name: 'Restore from a backup' }).click();
    await page2.getByRole('heading', { name: 'Restore from a backup' }).waitFor();
    await shot(page2, `${tag}-16-restore`);
    await page2.getByLabel('Backup file').fill(join(world.tempDir, 'walk.wisp-backup'));
    await page2.getByLabel('Backup passphrase').fill('not the right one');
    await page2.getByLabel('Passphrase for this device', { exact: true }).fill('walk device pass');
    await page2.getByLabel('Passphrase for this device again').fill('walk device pass');
    await page2.getByRole('button', { name: 'Restore', exact: true }).click();
    await page2.getByRole('alert').waitFor();
    await shot(page2, `${tag}-17-restore-wrong-passphrase`);
    await page2.getByLabel('Backup passphrase').fill(passphrase);
    await page2.getByRole('button', { name: 'Restore', exact: true }).click();
    await page2.getByRole('navigation', { name: 'Main' }).filter({ hasText: alice }).waitFor();
    await shot(page2, `${tag}-18-restored`);
    await page.getByRole('heading', { name: 'This account is now active on another device' }).waitFor();
    await shot(page, `${tag}-19-account-moved`);
    await page2.close();
  } finally {
    await second.close();
  }
}

mkdirSync(OUT, { recursive: true });
await walk(800, 600, 'narrow');
await walk(1366, 860, 'wide');
console.log(`screenshots in ${OUT}`);
