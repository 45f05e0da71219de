// People and account as a user meets them, through the real harness, engine and relay: the
// contact list, the quick switcher driven by keyboard only, changing the username, deleting the
// account and wiping the device (relay rows, profile folder), and axe on the new screens.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { createPeer, startWorld, uniqueName, type E2eWorld } from '../helpers/foundation/harness';
import { onboardWithPeer, startConversationInUi } from '../helpers/foundation/onboarding';
import { openSqlite } from '../helpers/relay/relayDb';
import { seriousViolations } from '../helpers/ui/axe';

let world: E2eWorld;
test.beforeEach(async () => {
  world = await startWorld();
});
test.afterEach(async () => {
  await world.stop();
});

const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

test('People lists a peer by confirmed name, verifies them, and opens their conversation', async ({
  page,
}) => {
  const { bob, bobName } = await onboardWithPeer(page, world);
  try {
    await nav(page).getByRole('button', { name: 'People' }).click();
    await expect(page.getByRole('heading', { name: 'People' })).toBeVisible();
    await expect(page.getByText('No contacts yet.')).toBeVisible();

    // Starting from People looks the name up and opens the conversation in Chats.
    await page.getByRole('textbox', { name: 'Username to message' }).fill(bobName);
    await page.getByRole('button', { name: 'Start' }).click();
    await expect(page.getByRole('region', { name: `Conversation with ${bobName}` })).toBeVisible();

    await nav(page).getByRole('button', { name: 'People' }).click();
    const contacts = page.getByRole('list', { name: 'Contacts' });
    const row = contacts.getByRole('listitem').filter({ hasText: bobName });
    await expect(row).toBeVisible();
    await expect(row.getByText('Verified')).toHaveCount(0);
    await row.getByRole('button', { name: `Safety number with ${bobName}` }).click();
    await expect(row.getByRole('img', { name: 'Safety number QR code' })).toBeVisible();
    await row.getByRole('checkbox', { name: /I compared this number/ }).check();
    await expect(row.locator('.verified-badge')).toHaveText('Verified');

    await row.getByRole('button', { name: `Message ${bobName}` }).click();
    const conversation = page.getByRole('region', { name: `Conversation with ${bobName}` });
    await expect(conversation.getByRole('heading', { name: bobName })).toBeVisible();
  } finally {
    await bob.close();
  }
});

test('the quick switcher opens a conversation by keyboard alone and Escape closes it; Ctrl+N from any tab', async ({
  page,
}) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  const carolName = uniqueName('carol');
  const carol = await createPeer(world, carolName, 'carol');
  try {
    await bob.sendText(alice, 'hello from bob');
    await carol.sendText(alice, 'hello from carol');
    await expect(page.getByRole('list', { name: 'Conversations' }).getByRole('button')).toHaveCount(2);

    await page.keyboard.press('Control+k');
    const dialog = page.getByRole('dialog', { name: 'Quick switcher' });
    const box = dialog.getByRole('combobox', { name: 'Find a conversation or contact' });
    await expect(box).toBeFocused();
    await expect(dialog.getByRole('option')).toHaveCount(2);
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();

    await page.keyboard.press('Control+k');
    await page.keyboard.type(bobName.slice(0, 6));
    // Only bob matches; the arrows wrap around a one-item list and keep it selected.
    await expect(dialog.getByRole('option')).toHaveCount(1);
    await page.keyboard.press('ArrowDown');
    const option = dialog.getByRole('option', { name: new RegExp(bobName) });
    await expect(option).toHaveAttribute('aria-selected', 'true');
    await expect(box).toHaveAttribute('aria-activedescendant', (await option.getAttribute('id'))!);
    await page.keyboard.press('Enter');
    await expect(dialog).toBeHidden();
    const conversation = page.getByRole('region', { name: `Conversation with ${bobName}` });
    await expect(conversation.getByText('hello from bob')).toBeVisible();

    // From another tab, with arrow keys over the whole list: carol's conversation opens in Chats.
    await nav(page).getByRole('button', { name: 'Account' }).click();
    await page.keyboard.press('Control+k');
    const options = dialog.getByRole('option');
    await expect(options).toHaveCount(2);
    const names = await options.allTextContents();
    const carolIndex = names.findIndex((n) => n.includes(carolName));
    for (let i = 0; i < carolIndex; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('region', { name: `Conversation with ${carolName}` })).toBeVisible();

    // Ctrl+N from another tab: back in Chats with the username field focused.
    await nav(page).getByRole('button', { name: 'People' }).click();
    await page.keyboard.press('Control+n');
    await expect(
      page
        .getByRole('complementary', { name: 'Chats' })
        .getByRole('textbox', { name: 'Username to message' }),
    ).toBeFocused();
  } finally {
    await bob.close();
    await carol.close();
  }
});

test('the username can be changed, a taken one is refused with the reason, and released', async ({
  page,
}) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    await nav(page).getByRole('button', { name: 'Account' }).click();
    const field = page.getByRole('textbox', { name: 'Your username', exact: true });
    await expect(field).toHaveValue(alice);

    await field.fill(bobName);
    await page.getByRole('button', { name: 'Change username' }).click();
    const section = page.getByRole('region', { name: 'Username' });
    await expect(section.getByRole('alert')).toContainText('taken');
    await expect(nav(page)).toContainText(alice);

    const renamed = uniqueName('alicia');
    await field.fill(renamed);
    await page.getByRole('button', { name: 'Change username' }).click();
    await expect(section.getByRole('status')).toHaveText(`You are now ${renamed}.`);
    await expect(nav(page)).toContainText(renamed);
    // The relay agrees: bob finds the new name, and the old one is free.
    expect((await bob.lookup(renamed)).username).toBe(renamed);
    await expect(bob.lookup(alice)).rejects.toMatchObject({ kind: 'NotFound' });

    await page.getByRole('button', { name: 'Release username' }).click();
    await expect(section.getByRole('status')).toHaveText('Username released.');
    await expect(nav(page)).toContainText('anonymous');
  } finally {
    await bob.close();
  }
});

test('the app-lock passphrase changes only with the current one; the next unlock needs the new one', async ({
  page,
}) => {
  const { bob } = await onboardWithPeer(page, world);
  try {
    await nav(page).getByRole('button', { name: 'Account' }).click();
    const section = page.getByRole('region', { name: 'App-lock passphrase' });
    await section.getByLabel('Current passphrase').fill('not the passphrase');
    await section.getByLabel('New passphrase', { exact: true }).fill('e2e new passphrase');
    await section.getByLabel('New passphrase again').fill('e2e new passphrase');
    await section.getByRole('button', { name: 'Change passphrase' }).click();
    await expect(section.getByRole('alert')).toContainText('passphrase does not unlock');

    await section.getByLabel('Current passphrase').fill('e2e passphrase 1');
    await section.getByLabel('New passphrase', { exact: true }).fill('e2e new passphrase');
    await section.getByLabel('New passphrase again').fill('e2e new passphrase');
    await section.getByRole('button', { name: 'Change passphrase' }).click();
    await expect(section.getByRole('status')).toContainText('Passphrase saved');

    await page.keyboard.press('Control+Shift+L');
    await expect(page.getByRole('heading', { name: 'Wisp is locked' })).toBeVisible();
    await page.getByLabel('Passphrase').fill('e2e passphrase 1');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(page.getByRole('alert')).toBeVisible();
    await page.getByLabel('Passphrase').fill('e2e new passphrase');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(nav(page)).toBeVisible();
  } finally {
    await bob.close();
  }
});

test('delete account and wipe this device unregisters at the relay, erases the profile and returns to onboarding', async ({
  page,
}) => {
  const { alice, bob } = await onboardWithPeer(page, world);
  try {
    const dataDir = join(world.tempDir, 'app');
    const db = openSqlite(join(world.tempDir, 'relay'));
    // The relay's hashes are keyed (the key stays with the relay): alice's username row names hers.
    const [named] = await db.all('SELECT id_hash FROM usernames WHERE username = ?', [alice]);
    const hash = named!.id_hash as Buffer;
    expect(existsSync(join(dataDir, 'profile', 'wisp.db'))).toBe(true);

    await nav(page).getByRole('button', { name: 'Account' }).click();
    const remove = page.getByRole('button', { name: 'Delete account and wipe this device' });
    await expect(remove).toBeDisabled();
    const confirm = page.getByRole('textbox', { name: /to confirm/ });
    await confirm.fill('not my name');
    await expect(remove).toBeDisabled();
    await confirm.fill(alice);
    await remove.click();

    await expect(page.getByRole('heading', { name: 'Create your Wisp account' })).toBeVisible();
    expect(existsSync(join(dataDir, 'profile'))).toBe(false);
    expect(existsSync(join(dataDir, 'account.json'))).toBe(false);
    try {
      for (const table of ['accounts', 'usernames', 'prekeys']) {
        const rows = await db.all(`SELECT COUNT(*) AS n FROM ${table} WHERE id_hash = ?`, [hash]);
        expect(Number(rows[0]!.n), table).toBe(0);
      }
    } finally {
      await db.close();
    }
    await expect(bob.lookup(alice)).rejects.toMatchObject({ kind: 'NotFound' });

    // The device is fresh: the same name can be taken again here.
    await page.getByLabel('Username').fill(alice);
    await page.getByLabel('Passphrase', { exact: true }).fill('e2e passphrase 2');
    await page.getByLabel('Passphrase again').fill('e2e passphrase 2');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(nav(page)).toContainText(alice);
    await expect(page.getByRole('list', { name: 'Conversations' })).toHaveCount(0);
  } finally {
    await bob.close();
  }
});

test('axe finds no serious or critical violation on People, Account and the quick switcher in both themes', async ({
  page,
}) => {
  const { bob, bobName } = await onboardWithPeer(page, world);
  try {
    await startConversationInUi(page, bobName);
    await expect(page.getByRole('region', { name: `Conversation with ${bobName}` })).toBeVisible();
    for (const theme of ['dark', 'light'] as const) {
      await world.harness.host.services.settings.set({ theme });
      await page.goto(world.harness.url);
      await nav(page).getByRole('button', { name: 'People' }).click();
      await page.getByRole('button', { name: `Safety number with ${bobName}` }).click();
      await expect(page.getByRole('img', { name: 'Safety number QR code' })).toBeVisible();
      expect(await seriousViolations(page), `${theme}: people`).toEqual([]);
      await nav(page).getByRole('button', { name: 'Account' }).click();
      await expect(page.getByRole('heading', { name: 'Relay' })).toBeVisible();
      expect(await seriousViolations(page), `${theme}: account`).toEqual([]);
      await page.keyboard.press('Control+k');
      await expect(page.getByRole('dialog', { name: 'Quick switcher' })).toBeVisible();
      expect(await seriousViolations(page), `${theme}: quick switcher`).toEqual([]);
      await page.keyboard.press('Escape');
    }
  } finally {
    await bob.close();
  }
});
