// Issue 10 in the built renderer (Chromium, harness, real engine, relay and core/backup): a backup
// exported from Settings → Backups restores through onboarding on a second "device" with its
// conversation and contact, which moves the account there; a recovery key is shown once; a wrong
// passphrase is refused in app words and leaves the second device without a profile.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startHarness, type RunningHarness } from '../../harness/server';
import {
  TEST_SCRYPT,
  WEB_ROOT,
  startWorld,
  syncUntilText,
  uniqueName,
  type E2eWorld,
} from '../helpers/foundation/harness';
import { createAccountInUi, onboardWithPeer, startConversationInUi } from '../helpers/foundation/onboarding';

const BACKUP_PASSPHRASE = 'correct horse battery staple';
const DEVICE_PASSPHRASE = 'second device pass';

/** The page's clipboard, typed for `page.evaluate` (this tier is compiled without the DOM library). */
interface ClipboardGlobals {
  navigator: { clipboard: { readText(): Promise<string> } };
}

let world: E2eWorld;
let second: RunningHarness | undefined;

test.beforeEach(async () => {
  world = await startWorld();
});
test.afterEach(async () => {
  await second?.close();
  second = undefined;
  await world.stop();
});

/** A second "device": its own harness and empty data folder, at the same relay. */
async function secondDevice(): Promise<{ harness: RunningHarness; dataDir: string }> {
  const dataDir = join(world.tempDir, 'app2');
  second = await startHarness({
    webRoot: WEB_ROOT,
    dataDir,
    relayUrl: world.relay.url,
    keyStore: { scrypt: TEST_SCRYPT },
  });
  return { harness: second, dataDir };
}

async function openBackups(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Backups' })).toBeVisible();
}

async function exportWithPassphrase(page: Page, path: string): Promise<void> {
  await openBackups(page);
  await page.getByLabel('Backup passphrase', { exact: true }).fill(BACKUP_PASSPHRASE);
  await page.getByLabel('Backup passphrase again').fill(BACKUP_PASSPHRASE);
  await page.getByLabel('Save the backup to').fill(path);
  await page.getByRole('button', { name: 'Export backup' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Backup saved to' })).toContainText(path);
}

/** Fills the restore form on the onboarding screen of a fresh device and submits it. */
async function restoreInUi(page: Page, path: string, key: { passphrase: string } | { recoveryKey: string }) {
  await page.getByRole('button', { name: 'Restore from a backup' }).click();
  await expect(page.getByRole('heading', { name: 'Restore from a backup' })).toBeVisible();
  await page.getByLabel('Backup file').fill(path);
  if ('passphrase' in key) {
    await page.getByLabel('Backup passphrase').fill(key.passphrase);
  } else {
    await page.getByRole('radio', { name: 'Its recovery key' }).check();
    await page.getByRole('textbox', { name: 'Recovery key' }).fill(key.recoveryKey);
  }
  await page.getByLabel('Passphrase for this device', { exact: true }).fill(DEVICE_PASSPHRASE);
  await page.getByLabel('Passphrase for this device again').fill(DEVICE_PASSPHRASE);
  await page.getByRole('button', { name: 'Restore', exact: true }).click();
}

test('a passphrase backup from Settings restores through onboarding on a second device with its conversation and contact', async ({
  page,
}) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    await startConversationInUi(page, bobName);
    await page.getByLabel('Message', { exact: true }).fill('before the backup');
    await page.getByRole('button', { name: 'Send' }).click();
    expect(await syncUntilText(bob, 'before the backup')).toBeDefined();
    await bob.sendText(alice, 'bob was here');
    await expect(
      page.locator('.messages .message.incoming').filter({ hasText: 'bob was here' }),
    ).toBeVisible();

    // A relative path is refused by the service's schema and writes nothing.
    await openBackups(page);
    await page.getByLabel('Backup passphrase', { exact: true }).fill(BACKUP_PASSPHRASE);
    await page.getByLabel('Backup passphrase again').fill(BACKUP_PASSPHRASE);
    await page.getByLabel('Save the backup to').fill('alice.wisp-backup');
    await page.getByRole('button', { name: 'Export backup' }).click();
    await expect(page.getByRole('alert')).toContainText('the path must be absolute');

    const file = join(world.tempDir, 'alice.wisp-backup');
    await page.getByRole('button', { name: 'Chats' }).click();
    await exportWithPassphrase(page, file);
    expect(existsSync(file)).toBe(true);

    const device = await secondDevice();
    const page2 = await page.context().newPage();
    await page2.goto(device.harness.url);
    await restoreInUi(page2, file, { passphrase: BACKUP_PASSPHRASE });
    await expect(page2.getByRole('navigation', { name: 'Main' })).toContainText(alice, { timeout: 30_000 });

    // The contact and the conversation are back, both directions of it.
    await page2.getByRole('button', { name: new RegExp(bobName) }).click();
    await expect(
      page2.locator('.messages .message.outgoing').filter({ hasText: 'before the backup' }),
    ).toBeVisible();
    await expect(
      page2.locator('.messages .message.incoming').filter({ hasText: 'bob was here' }),
    ).toBeVisible();
    await page2.getByRole('button', { name: 'Safety number' }).click();
    await expect(page2.getByRole('img', { name: 'Safety number QR code' })).toBeVisible();
    await page2.getByRole('button', { name: 'Close' }).click();

    // The restored device connected, so the relay moved the account: the first one says so.
    await expect(
      page.getByRole('heading', { name: 'This account is now active on another device' }),
    ).toBeVisible();

    // And the restored device carries on the conversation.
    await bob.sendText(alice, 'welcome to your new device');
    await expect(
      page2.locator('.messages .message.incoming').filter({ hasText: 'welcome to your new device' }),
    ).toBeVisible({ timeout: 30_000 });
  } finally {
    await bob.close();
  }
});

test('a recovery-key backup shows the key once, copies it, and "I saved it" puts it away; the key restores', async ({
  page,
}) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    await startConversationInUi(page, bobName);
    await page.getByLabel('Message', { exact: true }).fill('kept by the key');
    await page.getByRole('button', { name: 'Send' }).click();
    expect(await syncUntilText(bob, 'kept by the key')).toBeDefined();

    await page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write'], { origin: world.harness.origin });
    await openBackups(page);
    await page.getByRole('radio', { name: 'A recovery key, shown once' }).check();
    await expect(page.getByLabel('Backup passphrase', { exact: true })).toHaveCount(0);
    const file = join(world.tempDir, 'alice-key.wisp-backup');
    await page.getByLabel('Save the backup to').fill(file);
    await page.getByRole('button', { name: 'Export backup' }).click();

    const shown = page.getByRole('status', { name: 'Recovery key' });
    await expect(shown).toHaveText(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    const recoveryKey = (await shown.textContent()) ?? '';
    await page.getByRole('button', { name: 'Copy' }).click();
    await expect(page.getByRole('button', { name: 'Copied' })).toBeVisible();
    const clipboard = await page.evaluate(() =>
      (globalThis as unknown as ClipboardGlobals).navigator.clipboard.readText(),
    );
    expect(clipboard).toBe(recoveryKey);

    await page.getByRole('button', { name: 'I saved it' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Backup saved to' })).toBeVisible();
    // Shown once: nothing on the page holds the key any more.
    expect(await page.content()).not.toContain(recoveryKey);

    const device = await secondDevice();
    const page2 = await page.context().newPage();
    await page2.goto(device.harness.url);
    await restoreInUi(page2, file, { recoveryKey });
    await expect(page2.getByRole('navigation', { name: 'Main' })).toContainText(alice, { timeout: 30_000 });
    await page2.getByRole('button', { name: new RegExp(bobName) }).click();
    await expect(
      page2.locator('.messages .message.outgoing').filter({ hasText: 'kept by the key' }),
    ).toBeVisible();
  } finally {
    await bob.close();
  }
});

test('a wrong passphrase on restore shows the refusal with its hint and leaves the device without a profile', async ({
  page,
}) => {
  const { alice, bob } = await onboardWithPeer(page, world);
  try {
    const file = join(world.tempDir, 'alice.wisp-backup');
    await exportWithPassphrase(page, file);

    const device = await secondDevice();
    const page2 = await page.context().newPage();
    await page2.goto(device.harness.url);
    await restoreInUi(page2, file, { passphrase: 'not the passphrase at all' });
    const refusal = page2.getByRole('alert');
    await expect(refusal).toContainText('That passphrase or recovery key does not open this backup.');
    await expect(refusal).toContainText('Nothing was changed.');
    // Nothing changed: no profile, no account record, no temporary folder; still on the restore form.
    const left = existsSync(device.dataDir) ? readdirSync(device.dataDir) : [];
    expect(left.filter((name) => name !== 'preferences.json')).toEqual([]);
    await expect(page2.getByRole('heading', { name: 'Restore from a backup' })).toBeVisible();
    // The first device was not moved: it still works.
    await expect(page.getByRole('navigation', { name: 'Main' })).toContainText(alice);

    // The right passphrase then works from the same form.
    await page2.getByLabel('Backup passphrase').fill(BACKUP_PASSPHRASE);
    await page2.getByRole('button', { name: 'Restore', exact: true }).click();
    await expect(page2.getByRole('navigation', { name: 'Main' })).toContainText(alice, { timeout: 30_000 });
  } finally {
    await bob.close();
  }
});

test('where the runtime has file dialogs, "Choose…" asks main for the path: a closed dialog changes nothing, a chosen one is used', async ({
  page,
}) => {
  // The harness's stand-in for dialog.showSaveDialog: the test answers each request.
  const answers: (string | null)[] = [null];
  const asked: { purpose: string; name: string }[] = [];
  const dialogs = await startHarness({
    webRoot: WEB_ROOT,
    dataDir: join(world.tempDir, 'app-dialogs'),
    relayUrl: world.relay.url,
    keyStore: { scrypt: TEST_SCRYPT },
    choosePath: async (purpose, name) => {
      asked.push({ purpose, name });
      const answer = answers.shift();
      return answer === undefined ? join(world.tempDir, name) : answer;
    },
  });
  second = dialogs;
  await createAccountInUi(page, { ...world, harness: dialogs }, uniqueName('alice'));
  await openBackups(page);
  const where = page.getByRole('group', { name: 'Save the backup to' });
  await expect(where).toContainText('No file chosen');
  await where.getByRole('button', { name: 'Choose…' }).click();
  await expect.poll(() => asked.length).toBe(1);
  await expect(where).toContainText('No file chosen');

  await where.getByRole('button', { name: 'Choose…' }).click();
  await expect(where).toContainText('.wisp-backup');
  expect(asked.map((a) => a.purpose)).toEqual(['export', 'export']);
  expect(asked[1]!.name).toMatch(/^wisp-\d{4}-\d{2}-\d{2}\.wisp-backup$/);
  await page.getByLabel('Backup passphrase', { exact: true }).fill(BACKUP_PASSPHRASE);
  await page.getByLabel('Backup passphrase again').fill(BACKUP_PASSPHRASE);
  await page.getByRole('button', { name: 'Export backup' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Backup saved to' })).toBeVisible();
  expect(existsSync(join(world.tempDir, asked[1]!.name))).toBe(true);
});
