// The account-hash key check both backends run at start-up (schema migration 3, issue 14): the
// database keeps an HMAC of a constant under the key its accounts are hashed with, and a relay
// given another key stops before it would treat every account as unknown.
import { timingSafeEqual } from 'node:crypto';
import { WispError } from '../../common/errors';
import type { AccountKeying } from './types';

export const READ_KEY_CHECK = 'SELECT check_value FROM account_hash_key';
export const WRITE_KEY_CHECK = 'INSERT INTO account_hash_key (check_value) VALUES (?)';

/** `store` when the database has no check value yet (write `keying.keyCheck()`); throws on a mismatch. */
export function verifyKeyCheck(stored: Uint8Array | undefined, keying: AccountKeying): 'ok' | 'store' {
  if (stored === undefined) return 'store';
  const expected = keying.keyCheck();
  if (stored.byteLength === expected.byteLength && timingSafeEqual(stored, expected)) return 'ok';
  throw new WispError(
    'InvalidInput',
    'the server key file carries another account-hash key than the one this database was made with',
    {
      recovery:
        'start the relay with its previous server key file, or make the new one with `wisp-relay keygen --hash-key-from PREVIOUS_SERVER_KEY_FILE`',
    },
  );
}
