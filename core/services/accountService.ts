// The Account screen's half of the `account` service: who this profile is, the username, the
// app-lock passphrase, and deleting the account and wiping this device. Account lifecycle (create,
// unlock, lock) stays in wispServices.ts; this file gets what it needs from there.
import { rm } from 'node:fs/promises';
import { WispError } from '../../common/errors';
import {
  DELETE_CONFIRMATION_WORD,
  type AccountStatus,
  type KeystoreKind,
  type WispServices,
} from '../../common/ipc';
import type { EngineApi } from '../engine';
import type { KeyStore } from '../vault';

export interface OwnAccountDeps {
  requireEngine(): Promise<EngineApi>;
  readAccount(): Promise<{ version: 1; keystore: KeystoreKind } | null>;
  writeAccount(record: { version: 1; keystore: KeystoreKind }): Promise<void>;
  serially<T>(work: () => Promise<T>): Promise<T>;
  announce(): Promise<AccountStatus>;
  buildKeyStore(passphrase: string): KeyStore;
  /** Forgets the open engine (withdraws notifications, unsubscribes); closing twice is harmless. */
  detach(): Promise<void>;
  /** Everything "wipe this device" removes from the data folder once the profile is shredded. */
  dataFiles: readonly string[];
}

type AccountPart = Pick<WispServices['account'], 'info' | 'setUsername' | 'changePassphrase' | 'delete'>;

export function ownAccount(deps: OwnAccountDeps): AccountPart {
  async function keystoreKind(): Promise<KeystoreKind> {
    const record = await deps.readAccount();
    if (record === null) throw new WispError('ProfileNotFound', 'there is no account yet');
    return record.keystore;
  }

  return {
    async info() {
      const open = await deps.requireEngine();
      return { ...open.selfInfo(), keystore: await keystoreKind() };
    },

    setUsername: ({ username }) =>
      deps.serially(async () => {
        // UsernameTaken (another account holds it) reaches the form as it is, with its recovery.
        await (await deps.requireEngine()).setUsername(username);
        return deps.announce();
      }),

    changePassphrase: ({ current, next }) =>
      deps.serially(async () => {
        const open = await deps.requireEngine();
        const kind = await keystoreKind();
        if (kind === 'passphrase' && current === undefined) {
          throw new WispError('InvalidInput', 'the current passphrase is needed to set a new one', {
            recovery: 'Type the passphrase you unlock Wisp with now.',
          });
        }
        if (current !== undefined && current === next) {
          throw new WispError('InvalidInput', 'the new passphrase is the same as the current one', {
            recovery: 'Choose a different passphrase.',
          });
        }
        const currentStore = kind === 'passphrase' ? deps.buildKeyStore(current!) : undefined;
        await open.changeKeyStore(deps.buildKeyStore(next), currentStore);
        // The profile's own metadata already names the passphrase store; this record follows it.
        await deps.writeAccount({ version: 1, keystore: 'passphrase' });
        return deps.announce();
      }),

    delete: ({ confirm }) =>
      deps.serially(async () => {
        const open = await deps.requireEngine();
        const expected = open.username ?? DELETE_CONFIRMATION_WORD;
        if (confirm.trim() !== expected) {
          throw new WispError('InvalidInput', 'the confirmation does not match', {
            recovery: `Type ${open.username === null ? `“${DELETE_CONFIRMATION_WORD}”` : 'your username'} to confirm.`,
          });
        }
        try {
          await open.deleteAccount();
        } catch (error) {
          // Before the relay confirmed, nothing happened and the engine is still open; after it
          // (a failed shred), the engine closed itself and must not stay attached.
          if (isClosed(open)) await deps.detach();
          throw error;
        }
        await deps.detach();
        for (const path of deps.dataFiles) await rm(path, { recursive: true, force: true });
        return deps.announce();
      }),
  };
}

function isClosed(engine: EngineApi): boolean {
  try {
    engine.selfInfo();
    return false;
  } catch {
    return true;
  }
}
