// Issue 14 in the built renderer (Chromium, harness, real engine and relay): Settings → Network takes
// a SOCKS5 proxy (a real microsocks on loopback), refuses a bad address in words, and on save moves
// the running app onto it — the direct connection closes, and every connection the relay sees from
// then on, while a message typed in the UI reaches another client, comes from the proxy; after a
// lock and unlock the saved proxy carries the app's connections from the first one. A proxy given at
// onboarding carries the very first connection: the relay never sees the address of the account's
// creation.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startHarness, type RunningHarness } from '../../harness/server';
import { Engine } from '../../core/engine';
import { PassphraseKeyStore } from '../../core/vault';
import { startRelay, type RunningRelay } from '../../relay';
import {
  TEST_SCRYPT,
  WEB_ROOT,
  syncUntilText,
  uniqueName,
  type E2eWorld,
} from '../helpers/foundation/harness';
import { createAccountInUi, openOnboarding, startConversationInUi } from '../helpers/foundation/onboarding';
import {
  PROXY_EGRESS,
  haveMicrosocks,
  startMicrosocks,
  startRelayWitness,
  type RelayWitness,
  type SocksProxy,
} from '../helpers/relay/socks';

let relay: RunningRelay;
let witness: RelayWitness;
let socks: SocksProxy;
let harness: RunningHarness;
let tempDir: string;

test.beforeEach(async () => {
  // microsocks is a prerequisite of the e2e suite (.ci/run installs it): missing, this fails.
  if (!haveMicrosocks()) throw new Error('microsocks is not installed (apt-get install -y microsocks)');
  tempDir = mkdtempSync(join(tmpdir(), 'wisp-e2e-proxy-'));
  relay = await startRelay({ dataDir: join(tempDir, 'relay'), logger: false });
  witness = await startRelayWitness(relay.port);
  socks = await startMicrosocks();
  harness = await startHarness({
    webRoot: WEB_ROOT,
    dataDir: join(tempDir, 'app'),
    relayUrl: witness.url,
    keyStore: { scrypt: TEST_SCRYPT },
  });
});
test.afterEach(async () => {
  await harness?.close();
  await socks?.stop();
  await witness?.close();
  await relay?.close();
  rmSync(tempDir, { recursive: true, force: true });
});

test('Settings → Network: a SOCKS5 proxy saved in the app carries every relay connection from then on', async ({
  page,
}) => {
  // The onboarding helper checks the relay field against the world's relay: here, the witness.
  const world = { relay: { url: witness.url }, harness } as unknown as E2eWorld;
  const { bob, bobName } = await proxiedPeer();
  try {
    await createAccountInUi(page, world, uniqueName('alice'));
    const directOnes = witness.connections.filter((c) => c.from === '127.0.0.1');
    expect(directOnes.length).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(page.getByRole('heading', { name: 'Network' })).toBeVisible();
    await expect(page.getByText('Wisp connects to the relay directly')).toBeVisible();
    const field = page.getByLabel('SOCKS5 proxy');

    // A bad address is refused in words and cannot be saved.
    await field.fill('http://127.0.0.1:8080');
    await field.blur();
    await expect(page.getByRole('alert')).toContainText('must start with socks5h:// or socks5://');
    await expect(page.getByRole('button', { name: 'Save proxy' })).toBeDisabled();

    const start = witness.connections.length;
    await field.fill(socks.url);
    await page.getByRole('button', { name: 'Save proxy' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'goes through the proxy' })).toContainText(
      `socks5h://127.0.0.1:${socks.port}`,
    );

    await page.getByRole('button', { name: 'Chats' }).click();
    await startConversationInUi(page, bobName);
    await page.getByLabel('Message', { exact: true }).fill('sent through the proxy');
    await page.getByRole('button', { name: 'Send' }).click();
    expect(await syncUntilText(bob, 'sent through the proxy')).toBeDefined();

    // The app's direct connection was closed by the save; everything since came from the proxy.
    expect(directOnes.every((c) => c.closed)).toBe(true);
    const since = witness.connections.slice(start);
    expect(since.some((c) => c.request.startsWith('GET /v1/ws '))).toBe(true);
    expect(since.map((c) => c.from)).toEqual(since.map(() => PROXY_EGRESS));

    // The setting is kept: after lock and unlock the app connects through the proxy from the start.
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Lock Wisp now' }).click();
    await expect(page.getByRole('heading', { name: 'Wisp is locked' })).toBeVisible();
    const beforeUnlock = witness.connections.length;
    await page.getByLabel('Passphrase', { exact: true }).fill('e2e passphrase 1');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
    await page.getByRole('button', { name: 'Chats' }).click();
    await startConversationInUi(page, bobName);
    await page.getByLabel('Message', { exact: true }).fill('after unlock');
    await page.getByRole('button', { name: 'Send' }).click();
    expect(await syncUntilText(bob, 'after unlock')).toBeDefined();
    const afterUnlock = witness.connections.slice(beforeUnlock);
    expect(afterUnlock.some((c) => c.request.startsWith('GET /v1/ws '))).toBe(true);
    expect(afterUnlock.map((c) => c.from)).toEqual(afterUnlock.map(() => PROXY_EGRESS));
  } finally {
    await bob.close();
  }
});

test('onboarding: a proxy given with the new account carries every connection from the first (registration too)', async ({
  page,
}) => {
  const world = { relay: { url: witness.url }, harness } as unknown as E2eWorld;
  const { bob, bobName } = await proxiedPeer();
  try {
    // Bob's own connections (also proxied) are not the app's: count from here.
    const start = witness.connections.length;
    // A bad address holds the form back with its reason, before anything connects.
    await openOnboardingWithBadProxy(page, world);
    await expect(page.getByRole('alert')).toContainText('must start with socks5h:// or socks5://');
    await expect(page.getByRole('button', { name: 'Create account' })).toBeDisabled();
    expect(witness.connections.length).toBe(start);

    await createAccountInUi(page, world, uniqueName('alice'), { proxyUrl: socks.url });
    await startConversationInUi(page, bobName);
    await page.getByLabel('Message', { exact: true }).fill('first words through the proxy');
    await page.getByRole('button', { name: 'Send' }).click();
    expect(await syncUntilText(bob, 'first words through the proxy')).toBeDefined();

    const all = witness.connections.slice(start);
    expect(all.some((c) => c.request.startsWith('GET /v1/ws '))).toBe(true);
    expect(all.map((c) => c.from)).toEqual(all.map(() => PROXY_EGRESS));
    await page.getByRole('button', { name: 'Settings' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'goes through the proxy' })).toContainText(
      `socks5h://127.0.0.1:${socks.port}`,
    );
  } finally {
    await bob.close();
  }
});

async function openOnboardingWithBadProxy(page: Page, world: E2eWorld): Promise<void> {
  await openOnboarding(page, world);
  await page.getByLabel('Username').fill(uniqueName('alice'));
  await page.getByText('Hide your IP address from the relay (proxy)').click();
  const field = page.getByLabel('SOCKS5 proxy');
  await field.fill('http://127.0.0.1:8080');
  await field.blur();
}

/** Bob, another client, also going through the proxy (his connections are not the app's). */
async function proxiedPeer(): Promise<{ bob: Engine; bobName: string }> {
  const bobName = uniqueName('bob');
  const bob = await Engine.create({
    profileDir: join(tempDir, 'bob'),
    keystore: new PassphraseKeyStore('bob passphrase', { scrypt: TEST_SCRYPT }),
    relayUrl: witness.url,
    username: bobName,
    proxy: socks.url,
  });
  return { bob, bobName };
}
