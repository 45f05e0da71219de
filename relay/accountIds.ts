// From an account id a request names to the key its rows are stored under (a keyed hash,
// identity.ts AccountHasher). While a database upgraded from schema version 2 still holds
// accounts under the old unkeyed hash, naming one moves its rows to the keyed hash first.
import type { RelayContext } from './context';
import { legacyAccountHash } from './identity';

/** The stored hashes of `ids`, in order; `recipient` uses the hasher's cache of recent recipients. */
export async function storedHashes(
  ctx: RelayContext,
  ids: string[],
  recipient = false,
): Promise<Uint8Array[]> {
  const hashes = ids.map((id) => (recipient ? ctx.accounts.recipient(id) : ctx.accounts.hash(id)));
  if (ctx.storage.legacyAccountsRemain)
    await ctx.storage.upgradeLegacyAccounts(
      ids.map((id, i) => ({ legacy: legacyAccountHash(id), keyed: hashes[i]! })),
    );
  return hashes;
}

export async function storedHash(ctx: RelayContext, id: string, recipient = false): Promise<Uint8Array> {
  return (await storedHashes(ctx, [id], recipient))[0]!;
}
