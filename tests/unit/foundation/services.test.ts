// core/services without an account: app info states capabilities honestly, preferences persist
// across restarts and drive content protection, and engine-backed calls say why they cannot run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWispError } from '../../../common/errors';
import { createServices } from '../../../core/services';
import { testPlatform } from './platform';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wisp-services-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('core/services', () => {
  it('reports content protection as unavailable with its reason, and the passphrase keystore as usable', async () => {
    const host = createServices({ dataDir: dir, platform: testPlatform(), keychain: false });
    const info = await host.services.app.info();
    expect(info.capabilities.contentProtection).toEqual({
      available: false,
      reason: 'Screen-capture protection is not available on Linux.',
    });
    expect(info.capabilities.keystores).toContainEqual({ kind: 'passphrase', available: true });
    expect(info.capabilities.keystores.find((k) => k.kind === 'safeStorage')).toMatchObject({
      available: false,
    });
    await host.close();
  });

  it('starts dark with content protection on, and keeps a changed setting across a restart', async () => {
    const platform = testPlatform();
    const first = createServices({ dataDir: dir, platform });
    expect(await first.start()).toMatchObject({ theme: 'dark', contentProtection: true });
    expect(platform.contentProtectionCalls).toEqual([true]);
    await first.services.settings.set({ theme: 'light', contentProtection: false });
    expect(platform.contentProtectionCalls).toEqual([true, false]);
    await first.close();

    const again = testPlatform();
    const second = createServices({ dataDir: dir, platform: again });
    await second.start();
    expect(again.contentProtectionCalls).toEqual([false]);
    expect(await second.services.settings.get()).toMatchObject({
      theme: 'light',
      contentProtection: false,
      receipts: null,
    });
    await second.close();
  });

  it('reads a preferences file written before auto-lock existed, with the 15-minute default', async () => {
    writeFileSync(
      join(dir, 'preferences.json'),
      JSON.stringify({
        theme: 'light',
        contentProtection: false,
        defaultTimers: { expireAfterMs: null, burnAfterMs: null },
      }),
    );
    const host = createServices({ dataDir: dir, platform: testPlatform() });
    expect(await host.start()).toMatchObject({
      theme: 'light',
      contentProtection: false,
      autoLockMinutes: 15,
    });
    await host.close();
  });

  it('falls back to the safe defaults when the preferences file is damaged', async () => {
    writeFileSync(join(dir, 'preferences.json'), '{"theme": 12');
    const host = createServices({ dataDir: dir, platform: testPlatform() });
    expect(await host.start()).toMatchObject({ theme: 'dark', contentProtection: true });
    await host.close();
  });

  it('says there is no account yet instead of pretending, for engine-backed calls', async () => {
    const host = createServices({ dataDir: dir, platform: testPlatform() });
    expect(await host.services.account.status()).toEqual({ state: 'none' });
    await expect(host.services.conversations.list()).rejects.toSatisfy((e) =>
      isWispError(e, 'ProfileNotFound'),
    );
    await expect(host.services.settings.set({ receipts: { readReceipts: false } })).rejects.toSatisfy((e) =>
      isWispError(e, 'ProfileNotFound'),
    );
    await host.close();
  });

  it('reports a recorded account as locked until unlocked, and refuses to create a second one', async () => {
    writeFileSync(join(dir, 'account.json'), JSON.stringify({ version: 1, keystore: 'passphrase' }));
    const host = createServices({ dataDir: dir, platform: testPlatform() });
    expect(await host.services.account.status()).toEqual({ state: 'locked', keystore: 'passphrase' });
    await expect(host.services.contacts.list()).rejects.toSatisfy((e) => isWispError(e, 'Locked'));
    await expect(
      host.services.account.create({
        username: 'alice',
        relayUrl: 'ws://127.0.0.1:9/v1/ws',
        keystore: 'passphrase',
        passphrase: 'long enough',
      }),
    ).rejects.toSatisfy((e) => isWispError(e, 'ProfileExists'));
    await expect(host.services.account.unlock({})).rejects.toSatisfy((e) => isWispError(e, 'InvalidInput'));
    expect(JSON.parse(readFileSync(join(dir, 'account.json'), 'utf8'))).toEqual({
      version: 1,
      keystore: 'passphrase',
    });
    await host.close();
  });

  it('opens only https links, through the platform', async () => {
    const platform = testPlatform();
    const host = createServices({ dataDir: dir, platform });
    expect(await host.services.app.openExternal({ url: 'https://example.org/' })).toEqual({ opened: true });
    await expect(host.services.app.openExternal({ url: 'http://example.org/' })).rejects.toSatisfy((e) =>
      isWispError(e, 'InvalidInput'),
    );
    expect(platform.opened).toEqual(['https://example.org/']);
    await host.close();
  });
});

describe('account creation against the real engine', () => {
  it('fails with a typed error when the relay is unreachable, records no account, and can be retried', async () => {
    const host = createServices({
      dataDir: dir,
      platform: testPlatform(),
      keyStore: { scrypt: { N: 2 ** 14, r: 8, p: 1 } },
    });
    const attempt = () =>
      host.services.account.create({
        username: 'alice',
        // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
        relayUrl: 'ws://127.0.0.1:9/v1/ws',
        keystore: 'passphrase',
        passphrase: 'long enough',
      });
    const first = await attempt().catch((e: unknown) => e);
    expect(isWispError(first)).toBe(true);
    expect((first as { kind: string }).kind).not.toBe('ProfileExists');
    expect(await host.services.account.status()).toEqual({ state: 'none' });
    const second = await attempt().catch((e: unknown) => e);
    expect((second as { kind: string }).kind).toBe((first as { kind: string }).kind);
    await host.close();
  });
});
