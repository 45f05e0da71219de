// Onboarding through the UI, as a user does it: the shared first step of the e2e specs.
import { expect, type Page } from '@playwright/test';
import type { E2eWorld } from './harness';

/** Creates an account in the harness page with the passphrase key store and waits for the app. */
export async function createAccountInUi(page: Page, world: E2eWorld, username: string): Promise<void> {
  await page.goto(world.harness.url);
  await expect(page.getByRole('heading', { name: 'Create your Wisp account' })).toBeVisible();
  await page.getByLabel('Username').fill(username);
  await expect(page.getByLabel('Relay')).toHaveValue(world.relay.url);
  await expect(page.getByRole('radio', { name: /A passphrase I type/ })).toBeChecked();
  await page.getByLabel('Passphrase', { exact: true }).fill('e2e passphrase 1');
  await page.getByLabel('Passphrase again').fill('e2e passphrase 1');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' })).toContainText(username);
}
