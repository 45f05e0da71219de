// Issue 9 in the built renderer (Chromium, harness, real engine and relay): a username taken over by
// someone else stops the send behind the "safety number changed" dialog until "Send anyway", and a
// room from a stranger waits in the invitations banner until accepted.
import { expect, test } from '@playwright/test';
import {
  createPeer,
  startWorld,
  syncUntilText,
  uniqueName,
  type E2eWorld,
} from '../helpers/foundation/harness';
import { onboardWithPeer, startConversationInUi } from '../helpers/foundation/onboarding';

let world: E2eWorld;

test.beforeEach(async () => {
  world = await startWorld();
});
test.afterEach(async () => {
  await world.stop();
});

test('a username taken over by someone else: the send waits behind the safety-number dialog until "Send anyway"', async ({
  page,
}) => {
  const { bob, bobName } = await onboardWithPeer(page, world);
  let mallory: Awaited<ReturnType<typeof createPeer>> | undefined;
  try {
    await startConversationInUi(page, bobName);
    await page.getByLabel('Message', { exact: true }).fill('ping');
    await page.getByRole('button', { name: 'Send' }).click();
    expect(await syncUntilText(bob, 'ping')).toBeDefined();

    // Bob lets his name go; mallory registers it.
    await bob.setUsername(null);
    mallory = await createPeer(world, bobName, 'mallory');

    await startConversationInUi(page, bobName);
    await page.getByLabel('Message', { exact: true }).fill('our secret');
    await page.getByRole('button', { name: 'Send' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Safety number changed' });
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText('has not been sent');
    expect((await mallory.sync({ waitMs: 300 })).map((m) => m.text)).not.toContain('our secret');

    await dialog.getByRole('button', { name: 'Send anyway' }).click();
    await expect(dialog).toBeHidden();
    expect(await syncUntilText(mallory, 'our secret')).toBeDefined();
  } finally {
    await mallory?.close();
    await bob.close();
  }
});

test('a room from someone who is not a contact waits in the invitations banner until accepted', async ({
  page,
}) => {
  const { alice, bob } = await onboardWithPeer(page, world);
  try {
    await bob.lookup(alice);
    const room = await bob.createRoom(uniqueName('party'), [alice]);
    await bob.sendToRoom(room.id, 'welcome');

    const invitation = page.getByRole('group', { name: `Invitation to ${room.title}` });
    await expect(invitation).toBeVisible();
    await expect(page.getByRole('button', { name: new RegExp(room.title) })).toHaveCount(0);
    await invitation.getByRole('button', { name: 'Accept' }).click();
    await expect(invitation).toBeHidden();
    await page.getByRole('button', { name: new RegExp(room.title) }).click();
    await expect(page.locator('.messages .message.incoming').filter({ hasText: 'welcome' })).toBeVisible();
  } finally {
    await bob.close();
  }
});
