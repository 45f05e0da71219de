// Attachment storage under attack (issue 9, finding 5), on both backends: an upload that keeps
// writing after its expiry, chunks left without their attachment, and one account filling the
// relay's disk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { request, type ClientRequest } from 'node:http';
import { startRelay, type RunningRelay } from '../../relay';
import { SignalUser } from '../helpers/relay/signalUser';
import { wireError } from '../helpers/relay/wireClient';
import {
  createLegacyDatabase,
  sqliteBackend,
  testBackends,
  type TestBackend,
} from '../helpers/relay/relayDb';

/** A PUT whose body the test writes piece by piece; `response` settles when the relay answers. */
function openUpload(
  relay: RunningRelay,
  path: string,
  token: string,
): { req: ClientRequest; response: Promise<{ status: number; body: unknown }> } {
  const req = request(`${relay.httpUrl}${path}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
  });
  const response = new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
  });
  return { req, response };
}

async function upload(relay: RunningRelay, path: string, token: string, blob: Buffer): Promise<number> {
  const { req, response } = openUpload(relay, path, token);
  req.end(blob);
  return (await response).status;
}

const ORPHAN_ID = 'o'.repeat(43);

for (const { kind: backendName, make: makeBackend } of testBackends()) {
  describe(`attachment storage (${backendName})`, () => {
    let backend: TestBackend;
    let relay: RunningRelay;
    let now = Date.now();
    beforeAll(async () => {
      backend = makeBackend();
      relay = await startRelay({
        port: 0,
        logger: false,
        now: () => now,
        ...backend.options,
        limits: { maxAttachmentBytes: 4 * 1024 * 1024, maxAccountAttachmentBytes: 1_000_000 },
      });
    });
    afterAll(async () => {
      await relay?.close();
      await backend?.cleanup();
    });

    const chunksOf = async (id: string): Promise<number> => {
      const db = await backend.db();
      try {
        const [row] = await db.all('SELECT COUNT(*) AS n FROM attachment_chunks WHERE attachment_id = ?', [
          id,
        ]);
        return Number(row!.n);
      } finally {
        await db.close();
      }
    };

    it('refuses an upload that continues past its expiry, and no chunk of it survives the purge', async () => {
      const a = await SignalUser.register(relay.url);
      const created = await a.client.call('attachment.create', { size: 900_000, expiresAt: now + 60_000 });
      const { req, response } = openUpload(relay, created.uploadPath, created.uploadToken);
      req.write(randomBytes(300_000));
      // The first 256 KiB chunk is stored while the upload is still valid.
      while ((await chunksOf(created.attachmentId)) === 0) await new Promise((r) => setTimeout(r, 20));
      now += 3_700_000; // past the deadline, which the relay rounded up to the next hour
      await relay.purgeExpired();
      req.write(randomBytes(300_000));
      req.end(randomBytes(300_000));
      const answer = await response;
      expect(answer.status).not.toBe(200);
      expect(answer.body).toMatchObject({ error: { kind: 'NotFound' } });
      await relay.purgeExpired();
      expect(await chunksOf(created.attachmentId)).toBe(0);
      expect((await fetch(`${relay.httpUrl}${created.uploadPath}`)).status).toBe(404);
      await a.client.close();
    });

    it("refuses an attachment over the account's storage quota and still accepts a smaller one", async () => {
      const a = await SignalUser.register(relay.url);
      const b = await SignalUser.register(relay.url);
      const first = await a.client.call('attachment.create', { size: 600_000, expiresAt: now + 60_000 });
      expect(await upload(relay, first.uploadPath, first.uploadToken, randomBytes(600_000))).toBe(200);
      const refused = await wireError(a.client.call('attachment.create', { size: 500_000 }));
      expect(refused.kind).toBe('PayloadTooLarge');
      expect(refused.message).toMatch(/quota/);
      const smaller = await a.client.call('attachment.create', { size: 300_000 });
      expect(await upload(relay, smaller.uploadPath, smaller.uploadToken, randomBytes(300_000))).toBe(200);
      // The quota is per account: another account is not affected by a's usage.
      await b.client.call('attachment.create', { size: 900_000 });
      // Expired uploads stop counting once past their deadline.
      now += 3_700_000; // past the deadline, which the relay rounded up to the next hour
      await a.client.call('attachment.create', { size: 500_000 });
      for (const u of [a, b]) await u.client.close();
    });
  });

  describe(`orphan attachment chunks (${backendName})`, () => {
    it('removes chunks whose attachment row is gone, from a database written before the foreign key', async () => {
      const backend = makeBackend();
      const live = 'l'.repeat(43);
      await createLegacyDatabase(backend, async (db) => {
        await db.run(
          "INSERT INTO attachments (id, token_hash, declared_size, size, state, expires_at) VALUES (?, ?, 3, 3, 'complete', ?)",
          [live, Buffer.alloc(32), Date.now() + 3_600_000],
        );
        await db.run('INSERT INTO attachment_chunks (attachment_id, idx, data) VALUES (?, 0, ?)', [
          live,
          Buffer.from('abc'),
        ]);
        for (let i = 0; i < 3; i++)
          await db.run('INSERT INTO attachment_chunks (attachment_id, idx, data) VALUES (?, ?, ?)', [
            ORPHAN_ID,
            i,
            randomBytes(1000),
          ]);
      });
      const relay = await startRelay({
        port: 0,
        logger: false,
        ...backend.options,
        serverKeyFile: join(backend.keyDir, 'server-key.json'),
      });
      try {
        await relay.purgeExpired();
        const db = await backend.db();
        const rows = await db.all(
          'SELECT attachment_id AS id, COUNT(*) AS n FROM attachment_chunks GROUP BY attachment_id',
        );
        await db.close();
        expect(rows.map((r) => [r.id, Number(r.n)])).toEqual([[live, 1]]);
        const res = await fetch(`${relay.httpUrl}/v1/attachments/${live}`);
        expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('abc');
      } finally {
        await relay.close();
        await backend.cleanup();
      }
    });
  });
}

describe('orphan attachment chunks (sqlite, written by another connection)', () => {
  it('the expiry purge removes chunks that have no attachment row', async () => {
    const backend = sqliteBackend();
    const relay = await startRelay({ port: 0, logger: false, ...backend.options });
    try {
      // A connection without foreign-key enforcement (the sqlite3 shell's default) can still
      // leave orphans behind.
      const db = await backend.db();
      await db.run('PRAGMA foreign_keys = OFF');
      await db.run('INSERT INTO attachment_chunks (attachment_id, idx, data) VALUES (?, 0, ?)', [
        ORPHAN_ID,
        randomBytes(100),
      ]);
      await relay.purgeExpired();
      const [row] = await db.all('SELECT COUNT(*) AS n FROM attachment_chunks');
      await db.close();
      expect(Number(row!.n)).toBe(0);
    } finally {
      await relay.close();
      await backend.cleanup();
    }
  });
});
