// account.delete on both backends: the account's row, username, prekeys, queued envelopes and the
// attachments it uploaded leave the database; other accounts keep theirs; the name is free again;
// the connection closes and the identity can no longer authenticate; a frame naming another
// account than the signed-in one deletes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startRelay, type RunningRelay } from '../../relay';
import { SignalUser } from '../helpers/relay/signalUser';
import { WireClient, wireError } from '../helpers/relay/wireClient';
import { testBackends, type TestBackend } from '../helpers/relay/relayDb';

async function upload(relay: RunningRelay, path: string, token: string, blob: Buffer): Promise<number> {
  const res = await fetch(`${relay.httpUrl}${path}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body: blob,
  });
  return res.status;
}

for (const { kind: backendName, make: makeBackend } of testBackends()) {
  describe(`account.delete (${backendName})`, () => {
    let backend: TestBackend;
    let relay: RunningRelay;
    beforeAll(async () => {
      backend = makeBackend();
      relay = await startRelay({ port: 0, logger: false, ...backend.options });
    });
    afterAll(async () => {
      await relay?.close();
      await backend?.cleanup();
    });

    async function hashOfName(username: string): Promise<Uint8Array> {
      const db = await backend.db();
      try {
        const [row] = await db.all('SELECT id_hash FROM usernames WHERE username = ?', [username]);
        return row!.id_hash as Uint8Array;
      } finally {
        await db.close();
      }
    }

    /** Rows per table that belong to `hash` (accounts, usernames, prekeys, envelopes, attachments, delivery keys, chunks). */
    async function rowsOf(hash: Uint8Array, attachmentId: string): Promise<Record<string, number>> {
      const db = await backend.db();
      const h = Buffer.from(hash);
      const count = async (sql: string, param: unknown) => Number((await db.all(sql, [param]))[0]!.n);
      try {
        return {
          accounts: await count('SELECT COUNT(*) AS n FROM accounts WHERE id_hash = ?', h),
          usernames: await count('SELECT COUNT(*) AS n FROM usernames WHERE id_hash = ?', h),
          prekeys: await count('SELECT COUNT(*) AS n FROM prekeys WHERE id_hash = ?', h),
          envelopes: await count('SELECT COUNT(*) AS n FROM envelopes WHERE recipient_hash = ?', h),
          attachments: await count('SELECT COUNT(*) AS n FROM attachments WHERE owner_hash = ?', h),
          deliveryKeys: await count('SELECT COUNT(*) AS n FROM delivery_keys WHERE id_hash = ?', h),
          chunks: await count(
            'SELECT COUNT(*) AS n FROM attachment_chunks WHERE attachment_id = ?',
            attachmentId,
          ),
        };
      } finally {
        await db.close();
      }
    }

    it("removes the account's row, username, prekeys, queue and attachments, and frees the name", async () => {
      const name = `gone${randomBytes(4).toString('hex')}`;
      const bob = await SignalUser.register(relay.url, { username: name });
      const aliceName = `stay${randomBytes(4).toString('hex')}`;
      const alice = await SignalUser.register(relay.url, {
        username: aliceName,
      });
      // Queued for bob (not acked), and an attachment bob uploaded; alice has one of her own.
      await alice.client.call('message.send', {
        to: bob.accountId,
        payload: randomBytes(200).toString('base64'), // opaque to the relay
      });
      const bobFile = await bob.client.call('attachment.create', { size: 1000 });
      await bob.client.call('deliveryKey.set', { keyHash: randomBytes(32).toString('base64') });
      expect(await upload(relay, bobFile.uploadPath, bobFile.uploadToken, randomBytes(1000))).toBe(200);
      const aliceFile = await alice.client.call('attachment.create', { size: 500 });
      expect(await upload(relay, aliceFile.uploadPath, aliceFile.uploadToken, randomBytes(500))).toBe(200);

      // The relay keys its hashes (a secret with the server key): the username rows name them.
      const bobHash = await hashOfName(name);
      const aliceHash = await hashOfName(aliceName);
      const before = await rowsOf(bobHash, bobFile.attachmentId);
      expect(before).toMatchObject({
        accounts: 1,
        usernames: 1,
        envelopes: 1,
        attachments: 1,
        deliveryKeys: 1,
        chunks: 1,
      });
      expect(before.prekeys).toBeGreaterThan(0);
      const aliceBefore = await rowsOf(aliceHash, aliceFile.attachmentId);

      // Naming another account (here alice's) is refused and deletes nothing.
      const wrong = await wireError(bob.client.call('account.delete', { accountId: alice.accountId }));
      expect(wrong.kind).toBe('InvalidInput');
      expect(await rowsOf(aliceHash, aliceFile.attachmentId)).toEqual(aliceBefore);
      expect(await rowsOf(bobHash, bobFile.attachmentId)).toEqual(before);

      expect(await bob.client.call('account.delete', { accountId: bob.accountId })).toEqual({});
      expect((await bob.client.closed).code).toBe(4011);

      expect(await rowsOf(bobHash, bobFile.attachmentId)).toEqual({
        accounts: 0,
        usernames: 0,
        prekeys: 0,
        envelopes: 0,
        attachments: 0,
        deliveryKeys: 0,
        chunks: 0,
      });
      // Nobody else's data went with it.
      expect(await rowsOf(aliceHash, aliceFile.attachmentId)).toEqual(aliceBefore);
      expect((await fetch(`${relay.httpUrl}${bobFile.uploadPath}`)).status).toBe(404);

      // The name is free: a lookup finds nobody, and a new account can take it.
      expect((await wireError(alice.client.call('username.lookup', { username: name }))).kind).toBe(
        'NotFound',
      );
      const carol = await SignalUser.register(relay.url, { username: name });
      expect((await alice.client.call('username.lookup', { username: name })).accountId).toBe(
        carol.accountId,
      );

      // The deleted identity cannot sign in again.
      const again = await wireError(bob.reconnect(relay.url));
      expect(again.kind).toBe('Unauthorized');
      await alice.client.close();
      await carol.client.close();
    });

    it('needs an authenticated connection', async () => {
      const c = await WireClient.connect(relay.url);
      const someone = '00000000-0000-4000-8000-000000000000';
      expect((await wireError(c.call('account.delete', { accountId: someone }))).kind).toBe('Unauthorized');
      await c.close();
    });
  });
}
