// Onboarding through the UI, as a user does it: the shared first step of the e2e specs.
import { expect, type Page } from '@playwright/test';
import type { Engine } from '../../../core/engine';
import { createPeer, uniqueName, type E2eWorld } from './harness';

/** Opens the harness page (with its token) and waits for the onboarding form of a fresh profile. */
export async function openOnboarding(page: Page, world: E2eWorld): Promise<void> {
  await page.goto(world.harness.url);
  await expect(page.getByRole('heading', { name: 'Create your Wisp account' })).toBeVisible();
}

/** Creates an account in the harness page with the passphrase key store and waits for the app. */
export async function createAccountInUi(
  page: Page,
  world: E2eWorld,
  username: string,
  options: { proxyUrl?: string } = {},
): Promise<void> {
  await openOnboarding(page, world);
  await page.getByLabel('Username').fill(username);
  if (options.proxyUrl !== undefined) {
    await page.getByText('Hide your IP address from the relay (proxy)').click();
    await page.getByLabel('SOCKS5 proxy').fill(options.proxyUrl);
  }
  await expect(page.getByLabel('Relay')).toHaveValue(world.relay.url);
  await expect(page.getByRole('radio', { name: /A passphrase I type/ })).toBeChecked();
  await page.getByLabel('Passphrase', { exact: true }).fill('e2e passphrase 1');
  await page.getByLabel('Passphrase again').fill('e2e passphrase 1');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' })).toContainText(username);
}

/**
 * A peer client "bob…" at the world's relay, then an account "alice…" created in the UI. The caller
 * closes `bob`; if onboarding fails, the peer is closed here before the error propagates.
 */
export async function onboardWithPeer(
  page: Page,
  world: E2eWorld,
): Promise<{ alice: string; bob: Engine; bobName: string }> {
  const bobName = uniqueName('bob');
  const bob = await createPeer(world, bobName);
  try {
    const alice = uniqueName('alice');
    await createAccountInUi(page, world, alice);
    return { alice, bob, bobName };
  } catch (error) {
    await bob.close();
    throw error;
  }
}

/** Starts (or opens) the conversation with `username` from the chat list's field. */
export async function startConversationInUi(page: Page, username: string): Promise<void> {
  await page.getByPlaceholder('Username to message').fill(username);
  await page.getByRole('button', { name: 'Start' }).click();
}
