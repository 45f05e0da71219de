// `wisp account delete --yes` end to end on both relay backends: the real CLI unregisters the
// account (its relay rows go), erases the profile folder, and the username is free for anyone.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useCliRelay, wisp } from '../../helpers/engine/cli';
import { testBackends } from '../../helpers/relay/relayDb';

for (const { kind, make } of testBackends()) {
  describe(`wisp account delete (${kind} relay)`, () => {
    const { profile, init, backend } = useCliRelay(make, 'wisp-cli-delete-');
    /** The relay's keyed hash of an account, read from its username row (the key stays with the relay). */
    async function hashOfName(username: string): Promise<Buffer> {
      const db = await backend().db();
      try {
        const [row] = await db.all('SELECT id_hash FROM usernames WHERE username = ?', [username]);
        return Buffer.from(row!.id_hash as Uint8Array);
      } finally {
        await db.close();
      }
    }

    async function relayRows(h: Buffer): Promise<{ accounts: number; usernames: number; prekeys: number }> {
      const db = await backend().db();
      const n = async (table: string) =>
        Number((await db.all(`SELECT COUNT(*) AS n FROM ${table} WHERE id_hash = ?`, [h]))[0]!.n);
      try {
        return {
          accounts: await n('accounts'),
          usernames: await n('usernames'),
          prekeys: await n('prekeys'),
        };
      } finally {
        await db.close();
      }
    }

    it('refuses without --yes and changes nothing; with --yes unregisters, erases the profile and frees the name', async () => {
      const created = await init('dana', 'dana');
      expect(created.code, created.stderr).toBe(0);
      const accountId = created.lines[0]!.accountId as string;
      expect(await init('erin', 'erin').then((r) => r.code)).toBe(0);
      // Something queued for dana, so the relay holds an envelope of hers too.
      expect((await wisp(profile('erin'), ['send'], ['--to', 'dana', '--text', 'bye'])).code).toBe(0);
      const hash = await hashOfName('dana');

      const refused = await wisp(profile('dana'), ['account', 'delete']);
      expect(refused.code).toBe(1);
      expect(JSON.parse(refused.stderr.trim().split('\n').pop()!)).toMatchObject({
        error: { kind: 'InvalidInput' },
      });
      expect(existsSync(profile('dana'))).toBe(true);
      expect(await relayRows(hash)).toMatchObject({ accounts: 1, usernames: 1 });

      const deleted = await wisp(profile('dana'), ['account', 'delete'], ['--yes']);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.lines[0]).toMatchObject({ deleted: accountId });
      expect(existsSync(profile('dana'))).toBe(false);
      expect(await relayRows(hash)).toEqual({ accounts: 0, usernames: 0, prekeys: 0 });
      const db = await backend().db();
      try {
        const queued = await db.all('SELECT COUNT(*) AS n FROM envelopes WHERE recipient_hash = ?', [hash]);
        expect(Number(queued[0]!.n)).toBe(0);
      } finally {
        await db.close();
      }

      // The name is free: erin no longer finds it, and a new account takes it.
      const lookup = await wisp(profile('erin'), ['lookup'], ['--name', 'dana']);
      expect(lookup.code).toBe(1);
      expect(lookup.stderr).toMatch(/NotFound/);
      const again = await init('dana2', 'dana');
      expect(again.code, again.stderr).toBe(0);
      expect(again.lines[0]!.accountId).not.toBe(accountId);
    });
  });
}
