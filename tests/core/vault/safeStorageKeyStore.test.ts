// The Electron safeStorage adapter. Electron cannot run here (TOOLCHAIN.md), so these tests drive
// the adapter's own rules with a stand-in object: it must refuse basic_text and unavailable encryption.
import { describe, expect, it } from 'vitest';
import { isWispError } from '../../../common/errors';
import { SafeStorageKeyStore, type SafeStorageLike } from '../../../core/vault/safeStorageKeyStore';
import { newDatabaseKey } from '../../../core/vault/keyStore';
import { kindOf } from '../../helpers/errors';

/** Reversible but not identity, so a test can tell that the adapter stored the encrypted form. */
function standIn(backend: string | undefined, available = true): SafeStorageLike & { encrypted: Buffer[] } {
  const encrypted: Buffer[] = [];
  return {
    encrypted,
    isEncryptionAvailable: () => available,
    encryptString: (s) => {
      const out = Buffer.from(s, 'utf8').map((b) => b ^ 0x5a);
      encrypted.push(Buffer.from(out));
      return Buffer.from(out);
    },
    decryptString: (b) => Buffer.from(b.map((x) => x ^ 0x5a)).toString('utf8'),
    ...(backend === undefined ? {} : { getSelectedStorageBackend: () => backend }),
  };
}

describe('safeStorage key store', () => {
  it('seals through safeStorage on a real keyring backend and unseals the same key', async () => {
    const safe = standIn('gnome_libsecret');
    const store = new SafeStorageKeyStore(safe);
    const key = newDatabaseKey();
    const sealed = await store.seal('p', key);
    expect(sealed.kind).toBe('safeStorage');
    expect(JSON.stringify(sealed)).not.toContain(key.toString('base64'));
    expect((await store.unseal(sealed)).equals(key)).toBe(true);
  });

  it('refuses the basic_text backend with KeychainUnavailable naming the passphrase option', async () => {
    const store = new SafeStorageKeyStore(standIn('basic_text'));
    try {
      await store.seal('p', newDatabaseKey());
      expect.unreachable();
    } catch (error) {
      expect(isWispError(error, 'KeychainUnavailable')).toBe(true);
      expect((error as { recovery: string }).recovery).toMatch(/--keystore passphrase/);
    }
  });

  it('refuses when encryption is unavailable, and accepts platforms without a backend selector (macOS, Windows)', async () => {
    expect(await kindOf(new SafeStorageKeyStore(standIn(undefined, false)).seal('p', newDatabaseKey()))).toBe(
      'KeychainUnavailable',
    );
    const mac = new SafeStorageKeyStore(standIn(undefined));
    const key = newDatabaseKey();
    expect((await mac.unseal(await mac.seal('p', key))).equals(key)).toBe(true);
  });
});
