// Attachment transport: a file is streamed through per-file-key encryption (attachmentCrypto) to a
// private temporary ciphertext file, uploaded to the relay, and described by a pointer (key and
// digest) that travels only inside the E2E message. Download checks the digest before decrypting.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AttachmentPointer } from '../../common/content';
import { WispError } from '../../common/errors';
import { attachmentPath } from '../../common/wire';
import type { RelayClient } from '../relayClient/relayClient';
import { decryptAttachment, digestFile, encryptAttachmentFile, shred } from './attachmentCrypto';

const MIME: Record<string, string> = {
  '.txt': 'text/plain',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.pdf': 'application/pdf',
  '.mp4': 'video/mp4',
};

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
): (body?: NodeJS.ReadableStream) => Promise<IncomingMessage> {
  const fn = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return (body) =>
    new Promise((resolve, reject) => {
      const req = fn(url, { method, headers }, resolve);
      req.on('error', (cause) =>
        reject(new WispError('RelayUnavailable', 'the attachment transfer failed', { cause })),
      );
      if (body) body.pipe(req);
      else req.end();
    });
}

async function readBody(res: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of res) text += (chunk as Buffer).toString();
  return text;
}

function httpError(status: number, body: string): WispError {
  try {
    const parsed = JSON.parse(body) as { error?: { kind?: string; message?: string } };
    if (parsed.error?.kind === 'PayloadTooLarge')
      return new WispError('PayloadTooLarge', parsed.error.message ?? 'the file is too large');
    if (parsed.error?.kind === 'NotFound')
      return new WispError('NotFound', 'the attachment is no longer on the relay');
  } catch {
    // Not JSON: fall through.
  }
  return new WispError(
    status >= 500 ? 'RelayUnavailable' : 'Internal',
    `the relay answered the attachment transfer with ${status}`,
  );
}

export interface Uploaded {
  pointer: AttachmentPointer;
  /** The plaintext, kept for the sender's own (encrypted-at-rest) copy. */
  plaintext: Buffer;
}

export async function uploadAttachment(
  relay: RelayClient,
  httpBase: string,
  path: string,
  expiresAt: number | null,
): Promise<Uploaded> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (cause) {
    throw new WispError('NotFound', 'the file to attach does not exist', { cause });
  }
  const dir = await mkdtemp(join(tmpdir(), 'wisp-att-'));
  const cipherPath = join(dir, 'blob');
  try {
    const secrets = await encryptAttachmentFile(path, cipherPath);
    const created = await relay.request('attachment.create', {
      size: secrets.ciphertextSize,
      ...(expiresAt === null ? {} : { expiresAt }),
    });
    const res = await send(new URL(created.uploadPath, httpBase), 'PUT', {
      authorization: `Bearer ${created.uploadToken}`,
      'content-type': 'application/octet-stream',
      'content-length': String(secrets.ciphertextSize),
    })(createReadStream(cipherPath));
    const body = await readBody(res);
    if ((res.statusCode ?? 500) >= 300) throw httpError(res.statusCode ?? 500, body);
    const plaintext = await readFile(path);
    if (plaintext.length !== size)
      throw new WispError('InvalidInput', 'the file changed while it was being sent');
    return {
      pointer: {
        id: randomUUID(),
        blobId: created.attachmentId,
        fileName: basename(path).slice(0, 255),
        contentType: MIME[extname(path).toLowerCase()] ?? 'application/octet-stream',
        size: secrets.size,
        key: secrets.key.toString('base64'),
        digest: secrets.digest.toString('base64'),
      },
      plaintext,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Fetches the ciphertext, checks its digest, decrypts it in memory; returns the plaintext. */
export async function downloadAttachment(
  httpBase: string,
  blobId: string,
  key: Uint8Array,
  digest: Uint8Array,
  size: number,
): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'wisp-att-'));
  const cipherPath = join(dir, 'blob');
  try {
    const res = await send(new URL(attachmentPath(blobId), httpBase), 'GET', {})();
    if ((res.statusCode ?? 500) >= 300) throw httpError(res.statusCode ?? 500, await readBody(res));
    await pipeline(res, createWriteStream(cipherPath, { mode: 0o600 }));
    if (!Buffer.from(digest).equals(await digestFile(cipherPath))) {
      throw new WispError('DecryptionFailed', 'attachment rejected: digest mismatch');
    }
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        done();
      },
    });
    await decryptAttachment(createReadStream(cipherPath), sink, { key, digest, size });
    return Buffer.concat(chunks);
  } finally {
    await shred(cipherPath).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
