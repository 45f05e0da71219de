// Attachments: streamed upload with a single-use token and a size cap, download by unguessable id,
// deletion at expiry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { startRelay, type RunningRelay } from '../../relay';
import { SignalUser } from '../helpers/relay/signalUser';

let now = Date.now();
let relay: RunningRelay;
beforeAll(async () => {
  relay = await startRelay({
    port: 0,
    logger: false,
    now: () => now,
    limits: { maxAttachmentBytes: 4 * 1024 * 1024 },
  });
});
afterAll(async () => {
  await relay.close();
});

/** PUT streamed in many small writes (no content-length: chunked), as a client streaming a file would. */
function put(
  path: string,
  token: string,
  body: Buffer,
  pieces = 37,
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${relay.httpUrl}${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : null }));
    });
    req.on('error', reject);
    const step = Math.ceil(body.length / pieces);
    for (let i = 0; i < body.length; i += step) req.write(body.subarray(i, i + step));
    req.end();
  });
}

describe('attachments', () => {
  it('uploads a blob in a stream and downloads the same bytes by id', async () => {
    const a = await SignalUser.register(relay.url);
    const blob = randomBytes(1_300_000);
    const created = await a.client.call('attachment.create', { size: blob.length });
    expect(created.attachmentId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const up = await put(created.uploadPath, created.uploadToken, blob);
    expect(up.status).toBe(200);
    expect(up.json).toMatchObject({ attachmentId: created.attachmentId, size: blob.length });
    const res = await fetch(`${relay.httpUrl}${created.uploadPath}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(blob)).toBe(true);
    await a.client.close();
  });

  it('accepts the upload token once only', async () => {
    const a = await SignalUser.register(relay.url);
    const created = await a.client.call('attachment.create', { size: 10 });
    expect((await put(created.uploadPath, created.uploadToken, randomBytes(10))).status).toBe(200);
    const again = await put(created.uploadPath, created.uploadToken, randomBytes(10));
    expect(again.status).toBe(401);
    expect(again.json).toMatchObject({ error: { kind: 'Unauthorized' } });
    await a.client.close();
  });

  it('refuses a wrong token and an unknown id', async () => {
    const a = await SignalUser.register(relay.url);
    const created = await a.client.call('attachment.create', { size: 10 });
    expect(
      (await put(created.uploadPath, randomBytes(32).toString('base64url'), randomBytes(10))).status,
    ).toBe(401);
    expect(
      (await fetch(`${relay.httpUrl}/v1/attachments/${randomBytes(32).toString('base64url')}`)).status,
    ).toBe(404);
    expect((await fetch(`${relay.httpUrl}/v1/attachments/not-an-id`)).status).toBe(400);
    await a.client.close();
  });

  it('stops an upload that streams past its declared size and keeps nothing', async () => {
    const a = await SignalUser.register(relay.url);
    const created = await a.client.call('attachment.create', { size: 100_000 });
    const res = await put(created.uploadPath, created.uploadToken, randomBytes(600_000));
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ error: { kind: 'PayloadTooLarge' } });
    expect((await fetch(`${relay.httpUrl}${created.uploadPath}`)).status).toBe(404);
    await a.client.close();
  });

  it('refuses to reserve more than the relay cap', async () => {
    const a = await SignalUser.register(relay.url);
    await expect(a.client.call('attachment.create', { size: 5 * 1024 * 1024 })).rejects.toMatchObject({
      kind: 'PayloadTooLarge',
    });
    await a.client.close();
  });

  it('deletes a blob at its expiry', async () => {
    const a = await SignalUser.register(relay.url);
    const created = await a.client.call('attachment.create', { size: 1000, expiresAt: now + 60_000 });
    expect((await put(created.uploadPath, created.uploadToken, randomBytes(1000))).status).toBe(200);
    expect((await fetch(`${relay.httpUrl}${created.uploadPath}`)).status).toBe(200);
    // The deadline is stored rounded up to the next whole hour (issue 14): still there before it.
    expect(created.expiresAt % 3_600_000).toBe(0);
    now = created.expiresAt - 1;
    expect((await fetch(`${relay.httpUrl}${created.uploadPath}`)).status).toBe(200);
    now = created.expiresAt;
    expect((await fetch(`${relay.httpUrl}${created.uploadPath}`)).status).toBe(404);
    const purged = await relay.purgeExpired();
    expect(purged.attachments).toBeGreaterThanOrEqual(1);
    await a.client.close();
  });
});
