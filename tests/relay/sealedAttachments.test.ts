// Attachments created without identity (attachment.createSealed, relay/sealedAttachments.ts), on
// both storage backends: paid with exactly one anonymous token per started MiB, no owner stored, and
// every refusal (no tokens, a wrong count, an invalid or spent token, an account connection) stores
// nothing and spends nothing beyond what the relay says it spent.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type RunningRelay } from '../../relay';
import { ATTACHMENT_BYTES_PER_TOKEN } from '../../common/wire';
import { SignalUser } from '../helpers/relay/signalUser';
import { WireCallError, WireClient, wireError } from '../helpers/relay/wireClient';
import { issueTokens } from '../helpers/tokens/issueTokens';
import { testBackends, type TestBackend } from '../helpers/relay/relayDb';

const MIB = ATTACHMENT_BYTES_PER_TOKEN;
const b64 = (tokens: Uint8Array[]) => tokens.map((t) => Buffer.from(t).toString('base64'));
/** A well-formed token the relay cannot accept (no key of this relay signed it). */
const junkToken = () => randomBytes(2 + 32 + 32 + 32 + 256).toString('base64');

for (const { kind, make } of testBackends()) {
  describe(`attachments without identity (${kind})`, () => {
    let backend: TestBackend;
    let relay: RunningRelay;
    let issuer: SignalUser;
    beforeAll(async () => {
      backend = make();
      relay = await startRelay({ port: 0, logger: false, ...backend.options });
      issuer = await SignalUser.register(relay.url);
    });
    afterAll(async () => {
      await issuer?.client.close();
      await relay?.close();
      await backend?.cleanup();
    });

    const stored = async (): Promise<{ id: string; owner: unknown }[]> => {
      const db = await backend.db();
      try {
        const rows = await db.all('SELECT id, owner_hash FROM attachments ORDER BY id');
        return rows.map((r) => ({ id: String(r.id), owner: r.owner_hash }));
      } finally {
        await db.close();
      }
    };
    const tokens = async (n: number) => b64((await issueTokens(issuer.client, n)).tokens);

    it('costs one token per started MiB, stores no owner, and uploads and downloads as usual', async () => {
      const anonymous = await WireClient.connect(relay.url);
      const blob = randomBytes(MIB + 1);
      const before = await stored();
      const created = await anonymous.call('attachment.createSealed', {
        size: blob.length,
        tokens: await tokens(2),
      });
      const after = await stored();
      expect(after).toHaveLength(before.length + 1);
      // Nothing in the row names an account: the per-account quota has no key to count under.
      expect(after.find((r) => r.id === created.attachmentId)).toEqual({
        id: created.attachmentId,
        owner: null,
      });

      const put = await fetch(`${relay.httpUrl}${created.uploadPath}`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${created.uploadToken}`,
          'content-type': 'application/octet-stream',
        },
        body: blob,
      });
      expect(put.status).toBe(200);
      const got = await fetch(`${relay.httpUrl}${created.uploadPath}`);
      expect(got.status).toBe(200);
      expect(Buffer.from(await got.arrayBuffer()).equals(blob)).toBe(true);
      await anonymous.close();
    });

    it('refuses fewer or more tokens than the size costs, spending none of them', async () => {
      const anonymous = await WireClient.connect(relay.url);
      const before = await stored();
      const three = await tokens(3);
      for (const [size, presented] of [
        [2 * MIB + 1, three.slice(0, 2)], // three started MiB, two tokens
        [MIB, three], // one MiB, three tokens
        [1, three.slice(0, 2)],
      ] as const) {
        const refused = await wireError(
          anonymous.call('attachment.createSealed', { size, tokens: [...presented] }),
        );
        expect(refused.kind).toBe('InvalidInput');
        expect(refused.message).toMatch(/costs \d+ tokens/);
      }
      expect(await stored()).toEqual(before);
      // None of them was spent: the right count of the same tokens is accepted.
      await anonymous.call('attachment.createSealed', { size: 2 * MIB + 1, tokens: three });
      expect(await stored()).toHaveLength(before.length + 1);
      await anonymous.close();
    });

    it('refuses no tokens, an invalid token and a spent token, and stores nothing for them', async () => {
      const anonymous = await WireClient.connect(relay.url);
      const [spent, fresh] = [await tokens(1), await tokens(1)];
      await anonymous.call('attachment.createSealed', { size: 10, tokens: spent });
      const before = await stored();

      const none = await wireError(anonymous.call('attachment.createSealed', { size: 10, tokens: [] }));
      expect(none.kind).toBe('InvalidInput');
      const missing = await wireError(anonymous.call('attachment.createSealed', { size: 10 } as never));
      expect(missing.kind).toBe('InvalidInput');
      for (const bad of [[junkToken()], spent, [fresh[0]!, spent[0]!]]) {
        const refused = await wireError(
          anonymous.call('attachment.createSealed', { size: bad.length * MIB, tokens: bad }),
        );
        expect(refused.kind).toBe('Unauthorized');
        expect(refused.wire.reason).toBe('token');
      }
      expect(await stored()).toEqual(before);
      // The good token presented beside a spent one was not spent: all or none.
      await anonymous.call('attachment.createSealed', { size: 10, tokens: fresh });
      expect(await stored()).toHaveLength(before.length + 1);
      await anonymous.close();
    });

    it('spends a token once when two connections present it at the same time', async () => {
      const [one, two] = [await WireClient.connect(relay.url), await WireClient.connect(relay.url)];
      const before = await stored();
      const same = await tokens(1);
      const outcomes = await Promise.allSettled(
        [one, two].map((c) => c.call('attachment.createSealed', { size: 10, tokens: same })),
      );
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      const loser = outcomes.find((o) => o.status === 'rejected');
      expect(loser?.reason).toBeInstanceOf(WireCallError);
      expect((loser?.reason as WireCallError).wire).toMatchObject({ kind: 'Unauthorized', reason: 'token' });
      expect(await stored()).toHaveLength(before.length + 1);
      await one.close();
      await two.close();
    });

    it('is refused on an account connection, before any token is looked at', async () => {
      const before = await stored();
      const refused = await wireError(
        issuer.client.call('attachment.createSealed', { size: 10, tokens: [junkToken()] }),
      );
      expect(refused.kind).toBe('Unauthorized');
      expect(refused.message).toMatch(/never authenticated/);
      expect(await stored()).toEqual(before);
    });

    it('refuses a size over the relay cap before spending', async () => {
      const anonymous = await WireClient.connect(relay.url);
      const size = 100 * MIB + 1;
      const presented = await tokens(101);
      const refused = await wireError(anonymous.call('attachment.createSealed', { size, tokens: presented }));
      expect(refused.kind).toBe('PayloadTooLarge');
      // Unspent: the same tokens pay for an attachment within the cap.
      await anonymous.call('attachment.createSealed', { size: 100 * MIB, tokens: presented.slice(0, 100) });
      await anonymous.close();
    });
  });
}
