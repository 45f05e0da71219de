// The `account` service: whether this profile has an account, creating one (username + relay URL,
// nothing personal), locking/unlocking the local database, and the Account screen (username,
// safety digits, relay, app-lock passphrase, deleting the account and wiping the device).
import { z } from 'zod';
import { KeystoreKind } from './app';
import { method, noInput, type ServiceInterface } from './contract';
import { Username } from './views';

export const RelayUrl = z
  .string()
  .trim()
  .max(2048)
  .refine((raw) => {
    try {
      const url = new URL(raw);
      return url.protocol === 'ws:' || url.protocol === 'wss:';
    } catch {
      return false;
    }
  }, 'the relay URL must start with ws:// or wss://')
  // The same rule as the engine's (core/relayClient checkRelayUrl), said at the form: plain ws:// only
  // to this machine (URL normalises IPv4, so 127.1 arrives as 127.0.0.1).
  .refine((raw) => {
    try {
      const url = new URL(raw);
      if (url.protocol !== 'ws:') return true;
      const host = url.hostname.toLowerCase();
      return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
    } catch {
      return true; // reported by the check above
    }
  }, 'plain ws:// is only for a relay on this machine: use wss:// for a remote relay');

/** Passphrases are bounded only to stop abuse; they are never logged or echoed back. */
export const Passphrase = z.string().min(8, 'at least 8 characters').max(1024);

export const AccountStatus = z.discriminatedUnion('state', [
  z.object({ state: z.literal('none') }),
  z.object({ state: z.literal('locked'), keystore: KeystoreKind }),
  z.object({
    state: z.literal('unlocked'),
    keystore: KeystoreKind,
    accountId: z.string(),
    username: z.string().nullable(),
  }),
  /** The relay moved the account to a newer device (a restored backup); the profile was closed. */
  z.object({ state: z.literal('moved'), keystore: KeystoreKind }),
]);
export type AccountStatus = z.infer<typeof AccountStatus>;

export const CreateAccountInput = z
  .object({
    username: Username,
    relayUrl: RelayUrl,
    keystore: KeystoreKind,
    /** Required for the passphrase keystore, refused otherwise (it would be silently ignored). */
    passphrase: Passphrase.optional(),
  })
  .refine((i) => (i.keystore === 'passphrase') === (i.passphrase !== undefined), {
    message: 'a passphrase is required with, and only with, the passphrase keystore',
    path: ['passphrase'],
  });
export type CreateAccountInput = z.infer<typeof CreateAccountInput>;

export const UnlockInput = z.object({ passphrase: Passphrase.optional() });

/** Who this profile is, for the Account screen. Nothing secret: the safety digits are public by design. */
export const AccountInfo = z.object({
  accountId: z.string(),
  username: z.string().nullable(),
  relayUrl: z.string(),
  /** Our half of every safety number (30 digits): what a contact sees next to theirs. */
  safetyDigits: z.string().regex(/^\d{30}$/),
  keystore: KeystoreKind,
});
export type AccountInfo = z.infer<typeof AccountInfo>;

export const SetUsernameInput = z.object({
  /** null releases the name (nobody can find this account by name until a new one is set). */
  username: Username.nullable(),
});

export const ChangePassphraseInput = z.object({
  /** Required when the profile is already under a passphrase; proves it before anything changes. */
  current: z.string().min(1).max(1024).optional(),
  next: Passphrase,
});

/** The word typed to confirm a deletion when the account has no username. */
export const DELETE_CONFIRMATION_WORD = 'delete';

export const DeleteAccountInput = z.object({
  /** The account's username (or DELETE_CONFIRMATION_WORD without one), typed by the person. */
  confirm: z.string().max(64),
});

export const accountSpec = {
  status: method(noInput, AccountStatus),
  create: method(CreateAccountInput, AccountStatus),
  unlock: method(UnlockInput, AccountStatus),
  lock: method(noInput, AccountStatus),
  info: method(noInput, AccountInfo),
  setUsername: method(SetUsernameInput, AccountStatus),
  /** Sets an app-lock passphrase: a new one for a passphrase profile, or moves one off the keychain. */
  changePassphrase: method(ChangePassphraseInput, AccountStatus),
  /** Unregisters at the relay, then shreds the profile and this data folder: back to onboarding. */
  delete: method(DeleteAccountInput, AccountStatus),
};

export type AccountService = ServiceInterface<typeof accountSpec>;
