// The built renderer in Chromium, through the harness, against the real engine and a real relay:
// onboarding creates a real account, and a message typed in the UI reaches another real client.
import { expect, test } from '@playwright/test';
import {
  createPeer,
  startWorld,
  syncUntilText,
  uniqueName,
  type E2eWorld,
  type PageGlobals,
} from '../helpers/foundation/harness';
import { createAccountInUi, onboardWithPeer, startConversationInUi } from '../helpers/foundation/onboarding';

let world: E2eWorld;

test.beforeEach(async () => {
  world = await startWorld();
});
test.afterEach(async () => {
  await world.stop();
});

test('onboarding in the UI registers the account at the relay and account.status reports it over IPC', async ({
  page,
}) => {
  const alice = uniqueName('alice');
  await createAccountInUi(page, world, alice);

  const status = await page.evaluate(() => (globalThis as unknown as PageGlobals).wisp!.account.status());
  expect(status).toMatchObject({
    ok: true,
    value: { state: 'unlocked', username: alice, keystore: 'passphrase' },
  });

  // Another real client finds the new username at the same relay.
  const bob = await createPeer(world, uniqueName('bob'));
  try {
    const found = await bob.lookup(alice);
    expect(found.username).toBe(alice);
    expect(found.accountId).toMatch(/^[0-9a-f-]{36}$/);
  } finally {
    await bob.close();
  }
});

test('a message typed in the UI reaches another client with its burn timer, and shows as plain text', async ({
  page,
}) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    await startConversationInUi(page, bobName);
    await expect(page.getByRole('heading', { name: bobName })).toBeVisible();

    const text = 'hi bob <img src=x onerror="document.title=\'pwned\'">';
    await page.getByLabel('Message', { exact: true }).fill(text);
    await page.getByLabel('Burn after reading').selectOption({ label: '1 minute' });
    await page.getByRole('button', { name: 'Send' }).click();

    // Rendered as a text node: the markup is visible as characters and no element was created.
    const bubble = page.locator('.messages .message.outgoing').first();
    await expect(bubble.locator('.text')).toHaveText(text);
    await expect(page.locator('.messages img')).toHaveCount(0);
    expect(await page.title()).toBe('Wisp');

    const received = await syncUntilText(bob, text);
    expect(received).toBeDefined();
    expect(received!.from).toBe(alice);
    expect(received!.burnAfterMs).toBe(60_000);
    // Burn-on-read has not started: Bob has not seen it.
    expect(received!.burnAt).toBeNull();
  } finally {
    await bob.close();
  }
});

test('locking from settings closes the profile; a wrong passphrase is refused, the right one unlocks', async ({
  page,
}) => {
  const alice = uniqueName('alice');
  await createAccountInUi(page, world, alice);

  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByText('Screen-capture protection is not available on Linux.')).toBeVisible();
  await page.getByRole('button', { name: 'Lock Wisp now' }).click();
  await expect(page.getByRole('heading', { name: 'Wisp is locked' })).toBeVisible();
  expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).wisp!.account.status())).toEqual({
    ok: true,
    value: { state: 'locked', keystore: 'passphrase' },
  });

  await page.getByLabel('Passphrase').fill('not the passphrase');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('alert')).toContainText('the passphrase does not unlock this profile');
  await expect(page.getByRole('heading', { name: 'Wisp is locked' })).toBeVisible();

  await page.getByLabel('Passphrase').fill('e2e passphrase 1');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' })).toContainText(alice);
});

test('a reply arrives live in the open conversation, and seeing it starts its burn countdown', async ({
  page,
}) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    await startConversationInUi(page, bobName);
    await page.getByLabel('Message', { exact: true }).fill('ping');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect(page.locator('.messages .message.outgoing .text')).toHaveText('ping');

    const ping = await syncUntilText(bob, 'ping');
    expect(ping).toBeDefined();
    await bob.sendText(alice, 'pong, burn me', { burnAfterMs: 60_000 });
    await bob.sync({ waitMs: 200 });

    // Delivered by the engine's event over the harness socket: no reload, no polling in the page.
    const reply = page.locator('.messages .message.incoming').filter({ hasText: 'pong, burn me' });
    await expect(reply).toBeVisible();
    // The page has focus and the message is in view, so it is seen: the countdown replaces "on read".
    await expect(reply.getByLabel(/^burns in (60|59|58)s$/)).toBeVisible();
    // And the engine recorded it as seen: seenAt set, burn deadline running from it.
    const stored = await page.evaluate(async () => {
      const wisp = (globalThis as unknown as PageGlobals).wisp!;
      const list = await wisp.conversations.list();
      if (!list.ok || list.value.length !== 1) return undefined;
      const messages = await wisp.conversations.messages({ conversationId: list.value[0]!.id });
      return messages.ok ? messages.value.messages.find((m) => m.text === 'pong, burn me') : undefined;
    });
    expect(stored?.seenAt).not.toBeNull();
    expect(stored?.burnAt).toBeGreaterThan(stored!.seenAt!);
  } finally {
    await bob.close();
  }
});

test('the safety number shown in the UI is the one the other client computes, and verifying sticks', async ({
  page,
}) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    await startConversationInUi(page, bobName);
    await page.getByRole('button', { name: 'Safety number' }).click();

    const shown = (await page.getByLabel('Safety number digits').textContent()) ?? '';
    await bob.lookup(alice);
    expect(shown).toBe((await bob.safetyNumber(alice)).digits);
    await expect(page.getByRole('img', { name: 'Safety number QR code' })).toBeVisible();

    // A controlled switch: it shows checked once the engine has stored the verification.
    await page.getByRole('checkbox', { name: /compared this number/ }).click();
    await expect(page.getByRole('checkbox', { name: /compared this number/ })).toBeChecked();
    const contacts = await page.evaluate(() => (globalThis as unknown as PageGlobals).wisp!.contacts.list());
    expect(contacts).toMatchObject({ ok: true, value: [{ username: bobName, verified: true }] });
  } finally {
    await bob.close();
  }
});

test('a burn-on-read message leaves the screen after it was seen and its timer ran out', async ({ page }) => {
  const { alice, bob, bobName } = await onboardWithPeer(page, world);
  try {
    await startConversationInUi(page, bobName);
    await page.getByLabel('Message', { exact: true }).fill('hello');
    await page.getByRole('button', { name: 'Send' }).click();
    const hello = await syncUntilText(bob, 'hello');
    expect(hello).toBeDefined();

    await bob.sendText(alice, 'gone in two seconds', { burnAfterMs: 2_000 });
    await bob.sync({ waitMs: 200 });
    const burning = page.locator('.messages .message.incoming').filter({ hasText: 'gone in two seconds' });
    await expect(burning).toBeVisible();
    // Seen (focused, in view) → the engine destroys it at its deadline → the UI removes it.
    await expect(burning).toHaveCount(0, { timeout: 20_000 });
    const left = await page.evaluate(async () => {
      const wisp = (globalThis as unknown as PageGlobals).wisp!;
      const list = await wisp.conversations.list();
      if (!list.ok) return null;
      const page = await wisp.conversations.messages({ conversationId: list.value[0]!.id });
      return page.ok ? page.value.messages.map((m) => m.text) : null;
    });
    expect(left).toEqual(['hello']);
  } finally {
    await bob.close();
  }
});
