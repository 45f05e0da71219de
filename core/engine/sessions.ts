// Pairwise sessions on demand: from one prekey bundle, or for many accounts at once (a new room)
// from prekeys.bundles batches. A bundle whose identity key replaces a saved one is reported.
import { WispError } from '../../common/errors';
import { DEFAULT_WIRE_LIMITS } from '../../common/wire';
import type { RelayClient } from '../relayClient/relayClient';
import { BufferedSignalStores } from './bufferedStores';
import { hasSession, startSession, type SignalStores } from './signalCrypto';

export interface SessionDeps {
  readonly signal: SignalStores;
  readonly accountId: string;
  clock(): number;
  relayClient(): RelayClient;
  /** A bundle's identity key replaced the one saved for this account. */
  flagIdentityChange(accountId: string): void;
  serial<T>(fn: () => Promise<T>): Promise<T>;
  inTransaction(fn: () => Promise<void>): Promise<void>;
}

export async function ensureSession(d: SessionDeps, accountId: string): Promise<void> {
  if (await hasSession(accountId, d.signal, d.clock())) return;
  const bundle = await d.relayClient().request('prekeys.bundle', { accountId });
  const buffered = new BufferedSignalStores(d.signal);
  await startSession(bundle, d.accountId, buffered, d.clock());
  await buffered.flush();
  if (buffered.replacedIdentities.has(accountId)) d.flagIdentityChange(accountId);
}

/**
 * Sessions with every account in `accountIds` that has none, from prekeys.bundles batches (a new
 * room of never-written members costs a request per 499 members, not one each). Each batch's
 * sessions and identities commit together, in the engine's serial order: never call this from
 * inside `serial` (room operations call it before they take it).
 */
export async function ensureSessions(d: SessionDeps, accountIds: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const id of new Set(accountIds)) if (!(await hasSession(id, d.signal, d.clock()))) missing.push(id);
  if (missing.length <= 1) {
    for (const id of missing) await ensureSession(d, id);
    return;
  }
  const batch = DEFAULT_WIRE_LIMITS.maxDirectoryBatch;
  for (let i = 0; i < missing.length; i += batch) {
    const ids = missing.slice(i, i + batch);
    const { results } = await d.relayClient().request('prekeys.bundles', { accountIds: ids });
    const buffered = new BufferedSignalStores(d.signal);
    for (const bundle of results) {
      if (bundle) await startSession(bundle, d.accountId, buffered, d.clock());
    }
    // One commit for the batch, not one per session and identity written.
    await d.serial(() => d.inTransaction(() => buffered.flush()));
    for (const id of buffered.replacedIdentities) d.flagIdentityChange(id);
    const absent = ids.filter((_, j) => results[j] === null);
    if (absent.length > 0)
      throw new WispError(
        'NotFound',
        `${absent.length} member(s) have no account or no prekeys at the relay`,
      );
  }
}
