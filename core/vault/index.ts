// The vault: where a profile's database key is kept. Backends in the documented order of preference
// (docs/STORAGE.md): OS keychain via keytar, Electron safeStorage (inside the app), a passphrase.
import type { KeyStore } from './keyStore';
import { KeychainKeyStore } from './keychainKeyStore';
import { PassphraseKeyStore, type PassphraseKeyStoreOptions } from './passphraseKeyStore';
import { WispError } from '../../common/errors';

export * from './keyStore';
export { KeychainKeyStore, KEYCHAIN_SERVICE, keychainUnavailable, loadKeytar } from './keychainKeyStore';
export { PassphraseKeyStore, DEFAULT_SCRYPT } from './passphraseKeyStore';
export { SafeStorageKeyStore, type SafeStorageLike } from './safeStorageKeyStore';

/** What the CLI's --keystore option (and WISP_PASSPHRASE) select. */
export type KeyStoreChoice =
  | { readonly kind: 'keychain'; readonly service?: string }
  | ({ readonly kind: 'passphrase'; readonly passphrase?: string } & PassphraseKeyStoreOptions);

/**
 * Builds the backend for a choice. There is deliberately no automatic fallback from the keychain
 * to anything weaker: the caller gets KeychainUnavailable and the user picks the passphrase.
 */
export function keyStoreFor(choice: KeyStoreChoice | KeyStore): KeyStore {
  if ('seal' in choice) return choice;
  if (choice.kind === 'keychain')
    return new KeychainKeyStore({ ...(choice.service ? { service: choice.service } : {}) });
  if (choice.passphrase === undefined || choice.passphrase.length === 0) {
    throw new WispError('InvalidInput', 'the passphrase key store needs a passphrase', {
      recovery: 'Set WISP_PASSPHRASE (used with --keystore passphrase).',
    });
  }
  return new PassphraseKeyStore(choice.passphrase, choice.scrypt ? { scrypt: choice.scrypt } : {});
}
