// OS keychain backend through keytar (macOS Keychain, Windows Credential Vault, Secret Service).
// keytar is an optional native dependency, so it is imported lazily and its absence is a typed error.
import { WispError } from '../../common/errors';
import { asDatabaseKey, expectKind, type DatabaseKey, type KeyStore, type SealedKey } from './keyStore';

export const KEYCHAIN_SERVICE = 'wisp';
/** Secret Service can block on D-Bus activation of a daemon that then waits for a prompt; never hang a CLI on it. */
const KEYCHAIN_TIMEOUT_MS = 15_000;

type Keytar = typeof import('keytar');

const RECOVERY =
  'No usable OS keychain. Use --keystore passphrase with the passphrase in WISP_PASSPHRASE, ' +
  'or unlock/start your keyring (Secret Service on Linux).';

export function keychainUnavailable(detail: string, cause?: unknown): WispError {
  return new WispError('KeychainUnavailable', `the OS keychain is unavailable: ${detail}`, {
    recovery: RECOVERY,
    cause,
  });
}

let keytarPromise: Promise<Keytar> | undefined;

/** Loads keytar once; a missing module or a failed native load becomes KeychainUnavailable. */
export function loadKeytar(): Promise<Keytar> {
  keytarPromise ??= import('keytar')
    .then((mod) => (mod as { default?: Keytar }).default ?? mod)
    .catch((cause: unknown) => {
      keytarPromise = undefined;
      throw keychainUnavailable('the keytar module could not be loaded', cause);
    });
  return keytarPromise;
}

export interface KeychainKeyStoreOptions {
  /** Keychain service name; tests use their own so they never touch a real user's entries. */
  readonly service?: string;
}

export class KeychainKeyStore implements KeyStore {
  readonly kind = 'keychain' as const;
  readonly #service: string;

  constructor(options: KeychainKeyStoreOptions = {}) {
    this.#service = options.service ?? KEYCHAIN_SERVICE;
  }

  async seal(slot: string, key: DatabaseKey): Promise<SealedKey> {
    const keytar = await loadKeytar();
    await guarded(keytar.setPassword(this.#service, slot, key.toString('base64')));
    return { kind: 'keychain', service: this.#service, account: slot };
  }

  async unseal(sealed: SealedKey): Promise<DatabaseKey> {
    const record = expectKind(sealed, 'keychain');
    const keytar = await loadKeytar();
    const stored = await guarded(keytar.getPassword(record.service, record.account));
    if (stored === null) {
      throw new WispError('NotFound', 'the database key for this profile is not in the OS keychain', {
        recovery: 'The keychain entry was removed; restore the profile from an encrypted backup.',
      });
    }
    const bytes = Buffer.from(stored, 'base64');
    if (bytes.length !== 32) {
      throw new WispError('DatabaseCorrupt', 'the keychain entry for this profile is not a database key');
    }
    return asDatabaseKey(bytes);
  }

  async discard(sealed: SealedKey): Promise<void> {
    const record = expectKind(sealed, 'keychain');
    const keytar = await loadKeytar();
    await guarded(keytar.deletePassword(record.service, record.account));
  }
}

async function guarded<T>(operation: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(keychainUnavailable('the keychain did not answer in time')),
      KEYCHAIN_TIMEOUT_MS,
    );
    timer.unref();
  });
  try {
    return await Promise.race([operation, timeout]);
  } catch (cause) {
    if (cause instanceof WispError) throw cause;
    // keytar's messages come from libsecret/D-Bus and hold no secrets; keep them as the cause only.
    throw keychainUnavailable('the keychain refused the request', cause);
  } finally {
    clearTimeout(timer);
  }
}
