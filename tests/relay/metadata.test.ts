// Metadata minimisation: after real traffic, the relay's database files and its logs contain no
// sender account id, no client IP address and no plaintext; the transparency endpoint lists the
// stored fields and they match the schema.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3-multiple-ciphers';
import { TransparencyResponse } from '../../common/wire';
import { SignalUser } from '../helpers/relay/signalUser';
import { spawnRelay, stopRelay } from '../helpers/relay/relayProcess';

function uuidForms(id: string): Buffer[] {
  const hex = id.replace(/-/g, '');
  return [Buffer.from(id), Buffer.from(id.toUpperCase()), Buffer.from(hex), Buffer.from(hex, 'hex')];
}

describe('metadata minimisation', () => {
  it('keeps sender ids, IP addresses and plaintext out of the database files and logs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-relay-meta-'));
    try {
      const relay = await spawnRelay(['--data', dir, '--log-level', 'trace']);
      const marker = `PLAINTEXT-MARKER-${randomBytes(8).toString('hex')}`;
      const bobName = `bob_${randomBytes(4).toString('hex')}`;
      const alice = await SignalUser.register(relay.url);
      const bob = await SignalUser.register(relay.url, { username: bobName });
      await alice.startSession(bob.accountId);
      // One envelope delivered and acknowledged (deleted), one left queued, one attachment stored.
      await alice.client.call('message.send', {
        to: bob.accountId,
        payload: await alice.seal(bob.accountId, `${marker} acked`),
      });
      const env = await bob.client.nextEnvelope();
      await bob.client.call('message.ack', { ids: [env.id] });
      await alice.client.call('message.send', {
        to: bob.accountId,
        payload: await alice.seal(bob.accountId, `${marker} queued`),
      });
      await alice.client.call('certificate.sender', {});
      await alice.client.call('username.lookup', { username: bobName });
      await alice.client
        .call('message.send', { to: '00000000-0000-4000-8000-000000000000', payload: 'AAAA' })
        .catch(() => undefined);
      alice.client.sendRaw('{"broken');
      await alice.client.close();
      await bob.client.close();
      expect(await stopRelay(relay)).toBe(0);

      const files = readdirSync(dir).map((f) => join(dir, f));
      const db = Buffer.concat(files.map((f) => readFileSync(f)));
      const logs = Buffer.from(relay.stderr());
      expect(logs.length).toBeGreaterThan(0);
      // Positive controls: the grep does see what is meant to be there.
      expect(db.includes(Buffer.from(bobName))).toBe(true);
      expect(logs.includes(Buffer.from('relay listening'))).toBe(true);

      for (const [name, haystack] of [
        ['database', db],
        ['logs', logs],
      ] as const) {
        for (const form of uuidForms(alice.accountId))
          expect(haystack.includes(form), `${name}: sender id`).toBe(false);
        expect(haystack.includes(Buffer.from('127.0.0.1')), `${name}: IP`).toBe(false);
        expect(haystack.includes(Buffer.from('PLAINTEXT-MARKER')), `${name}: plaintext`).toBe(false);
      }
      // Logs also carry no recipient id or username.
      for (const form of uuidForms(bob.accountId)) expect(logs.includes(form)).toBe(false);
      expect(logs.includes(Buffer.from(bobName))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists exactly the stored columns at the transparency endpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-relay-transp-'));
    try {
      const relay = await spawnRelay(['--data', dir]);
      const report = TransparencyResponse.parse(
        await (await fetch(`${relay.httpUrl}/v1/transparency`)).json(),
      );
      expect(report.disclosablePerAccount).toEqual(['created_on', 'messages_received']);
      await stopRelay(relay);
      const db = new Database(join(dir, 'relay.sqlite'), { readonly: true });
      const tables = (
        db
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'",
          )
          .pluck()
          .all() as string[]
      ).sort();
      expect(Object.keys(report.stored).sort()).toEqual(tables);
      for (const table of tables) {
        const columns = (
          db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]
        ).sort();
        const listed = report.stored[table]!.flatMap((f) => f.name.split(', ')).sort();
        expect(listed, table).toEqual(columns);
      }
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
