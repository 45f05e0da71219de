// Directory batches (directory.lookup, prekeys.bundles) on both storage backends: answers in order,
// each item charged against the batch allowance (the relay's DEFAULT limits), the per-target bundle
// budget still applied inside a batch, duplicates and oversize batches refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay, type StartRelayOptions } from '../../relay';
import { DEFAULT_LIMITS } from '../../relay/config';
import { PG_URL, dropSchema, freshSchema, skipPostgres } from '../helpers/relay/postgres';
import { SignalUser } from '../helpers/relay/signalUser';
import { wireError } from '../helpers/relay/wireClient';

const pgSkip = skipPostgres();
const backends: { name: string; skip: boolean; options: () => StartRelayOptions }[] = [
  { name: 'SQLite', skip: false, options: () => ({}) },
  {
    name: 'PostgreSQL',
    skip: pgSkip,
    options: () => ({ databaseUrl: PG_URL, databaseSchema: freshSchema() }),
  },
];

const ghosts = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`);

for (const backend of backends) {
  describe.skipIf(backend.skip)(`directory batches (${backend.name})`, () => {
    let relay: RunningRelay;
    let options: StartRelayOptions;
    beforeAll(async () => {
      options = backend.options();
      relay = await startRelay({
        port: 0,
        logger: false,
        ...options,
        // Default lookup and batch allowances; only one target's bundle budget is made small
        // enough to exhaust, and registrations per address lifted for the accounts made here.
        limits: {
          rates: {
            bundleFetchesPerTarget: { burst: 3, perSecond: 0.001 },
            registrations: { burst: 1000, perSecond: 1000 },
          },
        },
      });
    });
    afterAll(async () => {
      await relay?.close();
      if (options?.databaseSchema) await dropSchema(options.databaseSchema);
    });

    it('answers a batch of usernames in order, with null for names no account holds', async () => {
      const a = await SignalUser.register(relay.url, { username: `ann${backend.name}` });
      const b = await SignalUser.register(relay.url, { username: `bob${backend.name}` });
      const asker = await SignalUser.register(relay.url);
      const { results } = await asker.client.call('directory.lookup', {
        usernames: [`BOB${backend.name}`, 'nobody_here', `ann${backend.name}`],
      });
      expect(results.map((r) => r?.accountId ?? null)).toEqual([b.accountId, null, a.accountId]);
      expect(results[0]!.identityKey).toBe(Buffer.from(b.identity.publicKey.serialize()).toString('base64'));
      expect(results[0]!.registrationId).toBe(b.registrationId);
      for (const u of [a, b, asker]) await u.client.close();
    });

    it('charges every name against the batch allowance: 500 pass, the next is refused, single lookups are separate', async () => {
      expect(DEFAULT_LIMITS.rates.directoryBatchLookups.burst).toBe(500);
      const target = await SignalUser.register(relay.url, { username: `tgt${backend.name}` });
      const asker = await SignalUser.register(relay.url);
      await asker.client.call('directory.lookup', { usernames: ghosts(499, 'ghost') });
      await asker.client.call('directory.lookup', { usernames: ['ghostx'] });
      const refused = await wireError(
        asker.client.call('directory.lookup', { usernames: ['ghosty', 'ghostz'] }),
      );
      expect(refused.kind).toBe('RelayRateLimited');
      // The single-lookup allowance is its own: untouched by the batches.
      const single = await asker.client.call('username.lookup', { username: `tgt${backend.name}` });
      expect(single.accountId).toBe(target.accountId);
      // And a fresh account's batch allowance is its own too (per account, not global).
      const other = await SignalUser.register(relay.url);
      await other.client.call('directory.lookup', { usernames: ['ghosty', 'ghostz'] });
      for (const u of [target, asker, other]) await u.client.close();
    });

    it('refuses a batch that names one username twice (case-insensitively) or holds over 499 names', async () => {
      const asker = await SignalUser.register(relay.url);
      const twice = await wireError(
        asker.client.call('directory.lookup', { usernames: ['dup_name', 'DUP_NAME'] }),
      );
      expect(twice.kind).toBe('InvalidInput');
      const big = await wireError(asker.client.call('directory.lookup', { usernames: ghosts(500, 'big') }));
      expect(big.kind).toBe('InvalidInput');
      await asker.client.close();
    });

    it('returns many bundles in one request, consuming one one-time key each, null for unknown accounts', async () => {
      const a = await SignalUser.register(relay.url, { preKeys: 2 });
      const b = await SignalUser.register(relay.url, { preKeys: 1 });
      const asker = await SignalUser.register(relay.url);
      const unknown = '00000000-0000-4000-8000-000000000000';
      const { results } = await asker.client.call('prekeys.bundles', {
        accountIds: [b.accountId, unknown, a.accountId],
      });
      expect(results.map((r) => r?.accountId ?? null)).toEqual([b.accountId, null, a.accountId]);
      expect(results[0]!.registrationId).toBe(b.registrationId);
      expect(results[0]!.preKey).not.toBeNull();
      expect(results[0]!.kyberPreKeyIsLastResort).toBe(false);
      expect((await a.client.call('prekeys.count', {})).preKeys).toBe(1);
      expect((await b.client.call('prekeys.count', {})).preKeys).toBe(0);
      // The bundles really start sessions: the asker can seal to b and b can open it.
      await asker.startSession(a.accountId);
      for (const u of [a, b, asker]) await u.client.close();
    });

    it("keeps each target's own bundle budget inside a batch (no prekey exhaustion through batches)", async () => {
      const victim = await SignalUser.register(relay.url, { preKeys: 10 });
      const bystander = await SignalUser.register(relay.url, { preKeys: 1 });
      const asker = await SignalUser.register(relay.url);
      for (let i = 0; i < 3; i++) await asker.client.call('prekeys.bundle', { accountId: victim.accountId });
      const refused = await wireError(
        asker.client.call('prekeys.bundles', { accountIds: [bystander.accountId, victim.accountId] }),
      );
      expect(refused.kind).toBe('RelayRateLimited');
      expect((await victim.client.call('prekeys.count', {})).preKeys).toBe(7);
      for (const u of [victim, bystander, asker]) await u.client.close();
    });

    it('refuses a bundle batch naming one account twice, and changes nothing', async () => {
      const a = await SignalUser.register(relay.url, { preKeys: 2 });
      const asker = await SignalUser.register(relay.url);
      const err = await wireError(
        asker.client.call('prekeys.bundles', { accountIds: [a.accountId, a.accountId] }),
      );
      expect(err.kind).toBe('InvalidInput');
      expect((await a.client.call('prekeys.count', {})).preKeys).toBe(2);
      for (const u of [a, asker]) await u.client.close();
    });
  });
}
