// The OS keychain backend against a real Secret Service (gnome-keyring on a private D-Bus, see
// TOOLCHAIN.md). Without a reachable Secret Service these skip with the reason — except under CI=true,
// where that is a failure. The "keyring unavailable" case needs no keyring and always runs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { KeychainKeyStore, newDatabaseKey } from '../../../core/vault/index';
import { createProfile, openProfile, readMetadata } from '../../../core/profile/index';
import { kindOf, kindOfClosing } from '../../helpers/errors';
import { passphraseChoice, tempDir } from '../../helpers/store/tempProfile';

const SERVICE = `wisp-test-${randomUUID()}`;
const childScript = fileURLToPath(new URL('../../helpers/store/keychainChild.ts', import.meta.url));

async function probeSecretService(): Promise<string | null> {
  const store = new KeychainKeyStore({ service: SERVICE });
  try {
    const sealed = await store.seal('probe', newDatabaseKey());
    await store.discard(sealed);
    return null;
  } catch (error) {
    return error instanceof Error
      ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}`
      : String(error);
  }
}

const unavailable = await probeSecretService();
const inCi = process.env.CI === 'true';
const skipReason = unavailable === null ? '' : ` [skipped: no Secret Service reachable: ${unavailable}]`;

describe('OS keychain (Secret Service)', () => {
  const { dir, cleanup } = tempDir('wisp-keychain-');
  afterAll(() => cleanup());

  it.runIf(inCi && unavailable !== null)('has a reachable Secret Service in CI', () => {
    throw new Error(`CI=true but no Secret Service is reachable: ${unavailable}`);
  });

  describe.skipIf(unavailable !== null)(`with a real keyring${skipReason}`, () => {
    const store = new KeychainKeyStore({ service: SERVICE });

    it('stores a key and reads the same key back', async () => {
      const key = newDatabaseKey();
      const sealed = await store.seal('store-read', key);
      expect(sealed).toEqual({ kind: 'keychain', service: SERVICE, account: 'store-read' });
      expect((await store.unseal(sealed)).equals(key)).toBe(true);
      await store.discard(sealed);
    });

    it('deletes an entry, after which reading it is NotFound', async () => {
      const sealed = await store.seal('delete-me', newDatabaseKey());
      await store.discard(sealed);
      expect(await kindOf(store.unseal(sealed))).toBe('NotFound');
    });

    it('reports a missing entry as NotFound, not as a key', async () => {
      expect(
        await kindOf(store.unseal({ kind: 'keychain', service: SERVICE, account: `never-${randomUUID()}` })),
      ).toBe('NotFound');
    });

    it('overwrites an entry on a second seal under the same slot', async () => {
      const first = newDatabaseKey();
      const second = newDatabaseKey();
      await store.seal('twice', first);
      const sealed = await store.seal('twice', second);
      expect((await store.unseal(sealed)).equals(second)).toBe(true);
      await store.discard(sealed);
    });

    it('creates and reopens a keychain profile whose metadata names the entry but holds no key', async () => {
      const profileDir = join(dir, 'keychain-profile');
      const profile = await createProfile(profileDir, store);
      profile.store.settings.set('k', 'v');
      profile.close();
      const metadata = readMetadata(profileDir);
      expect(metadata.key).toEqual({ kind: 'keychain', service: SERVICE, account: profile.id });
      const reopened = await openProfile(profileDir, { kind: 'keychain', service: SERVICE });
      expect(reopened.store.settings.get('k')).toBe('v');
      await reopened.rekey();
      reopened.close();
      const afterRekey = readMetadata(profileDir).key;
      expect(afterRekey).not.toEqual(metadata.key);
      // The old entry is gone from the keychain; the new one opens the profile.
      expect(await kindOf(store.unseal(metadata.key))).toBe('NotFound');
      const again = await openProfile(profileDir, store);
      expect(again.store.settings.get('k')).toBe('v');
      again.close();
      await store.discard(afterRekey);
      expect(await kindOfClosing(openProfile(profileDir, store))).toBe('NotFound');
    });
  });

  it('refuses a wrong passphrase for a passphrase profile with WrongPassphrase', async () => {
    const profile = await createProfile(join(dir, 'passphrase-profile'), passphraseChoice('right one'));
    profile.close();
    expect(
      await kindOfClosing(openProfile(join(dir, 'passphrase-profile'), passphraseChoice('wrong one'))),
    ).toBe('WrongPassphrase');
  });

  it('fails with KeychainUnavailable naming --keystore passphrase and WISP_PASSPHRASE when no keyring is reachable, and writes no database', () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/wisp-test-bus',
    };
    delete env.DISPLAY;
    const result = spawnSync(process.execPath, ['--import', 'tsx', childScript, join(dir, 'no-keyring')], {
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout.trim()) as { kind: string; recovery: string; files: string[] };
    expect(outcome.kind).toBe('KeychainUnavailable');
    expect(outcome.recovery).toContain('--keystore passphrase');
    expect(outcome.recovery).toContain('WISP_PASSPHRASE');
    expect(outcome.files).toEqual([]);
  });

  const hasDbusRunSession = spawnSync('dbus-run-session', ['--version'], { encoding: 'utf8' }).status === 0;
  it.runIf(inCi && !hasDbusRunSession)('has dbus-run-session in CI', () => {
    throw new Error('CI=true but dbus-run-session is not installed');
  });

  it.skipIf(!hasDbusRunSession)(
    `fails with KeychainUnavailable when the keyring exists but is locked and cannot prompt${hasDbusRunSession ? '' : ' [skipped: no dbus-run-session]'}`,
    () => {
      // A private bus where D-Bus activation starts gnome-keyring with no unlocked collection and
      // no display for its password prompt: the state of a headless session that never logged in.
      const home = mkdtempSync(join(tmpdir(), 'wisp-locked-keyring-'));
      try {
        mkdirSync(join(home, 'run'), { mode: 0o700 });
        const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_RUNTIME_DIR: join(home, 'run') };
        delete env.DISPLAY;
        delete env.DBUS_SESSION_BUS_ADDRESS;
        delete env.GNOME_KEYRING_CONTROL;
        const result = spawnSync(
          'dbus-run-session',
          ['--', process.execPath, '--import', 'tsx', childScript, join(home, 'profile')],
          { env, encoding: 'utf8', timeout: 60_000 },
        );
        expect(result.status, result.stderr).toBe(0);
        const outcome = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
          kind: string;
          recovery: string;
          files: string[];
        };
        expect(outcome.kind).toBe('KeychainUnavailable');
        expect(outcome.recovery).toContain('--keystore passphrase');
        expect(outcome.files).toEqual([]);
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    },
  );
});
