// Attachment transport: a file is streamed through per-file-key encryption (attachmentCrypto) to a
// private temporary ciphertext file, uploaded to the relay, and described by a pointer (key and
// digest) that travels only inside the E2E message. Download checks the digest before decrypting.
// Both directions stream the plaintext straight into the local encrypted-at-rest copy
// (EncryptedFileBuilder), so no attachment is ever held whole in memory. Transfers take the
// relay's route: through the user's SOCKS5 proxy when one is set, like the WebSocket.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AttachmentPointer } from '../../common/content';
import { WispError } from '../../common/errors';
import { attachmentPath, type OpBody, type OpResult } from '../../common/wire';
import { httpBaseUrl } from '../relayClient/relayClient';
import { proxyFailure, type RelayRoute } from '../relayClient/relayRoute';
import { EncryptedFileBuilder, type EncryptedFile } from '../store/attachmentFiles';
import type { NewAttachment } from '../store/types';
import { decryptAttachment, digestFile, encryptAttachment, shred } from './attachmentCrypto';
import { fromB64 } from './signalCrypto';
import { coarseDeadline } from '../../common/coarseTime';

const MIME: Record<string, string> = {
  '.txt': 'text/plain',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.pdf': 'application/pdf',
  '.mp4': 'video/mp4',
};

/** One HTTP request to the relay along `route` (the proxy's agent, or a direct socket without one). */
function send(
  route: RelayRoute,
  path: string,
  method: string,
  headers: Record<string, string>,
): (body?: NodeJS.ReadableStream) => Promise<IncomingMessage> {
  const url = new URL(path, httpBaseUrl(route));
  const fn = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return (body) =>
    new Promise((resolve, reject) => {
      // Read once: a proxy changed mid-transfer applies to the next request, not half of this one.
      const agent = route.agent();
      const req = fn(url, { method, headers, ...(agent === undefined ? {} : { agent }) }, resolve);
      req.on('error', (cause) => {
        const detail = route.proxy === null ? 'the attachment transfer failed' : proxyFailure(cause);
        reject(route.unavailable(detail, cause));
      });
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

/** The attachment row for a pointer carried by a message: where to fetch it and how to open it. */
export function attachmentRow(pointer: AttachmentPointer, id: string, messageId: string): NewAttachment {
  return {
    id,
    messageId,
    fileName: pointer.fileName,
    mime: pointer.contentType,
    size: pointer.size,
    blobId: pointer.blobId,
    remoteKey: fromB64(pointer.key),
    digest: fromB64(pointer.digest),
  };
}

/**
 * What to attach: a file path (the CLI), or bytes already in memory with their name (the app: a
 * sandboxed renderer cannot hand over paths, docs/SECURITY.md). Bytes never touch the disk in plain.
 */
export type AttachmentSource = string | { readonly fileName: string; readonly bytes: Uint8Array };

/** Bytes moved so far and the total (null when the relay did not say); called as they move. */
export type TransferProgress = (bytes: number, total: number | null) => void;

/** Counts bytes flowing through, for progress; the bytes themselves pass unchanged. */
function counting(total: number | null, onProgress: TransferProgress | undefined): PassThrough {
  let bytes = 0;
  return new PassThrough({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      onProgress?.(bytes, total);
      done(null, chunk);
    },
  });
}

export interface Uploaded {
  pointer: AttachmentPointer;
  /**
   * The sender's own copy, encrypted at rest in `localDir` under the pointer's id, made from the
   * very bytes that were encrypted for the relay; the caller adopts it (or discards it).
   */
  local: EncryptedFile;
}

/**
 * Creates the attachment on the relay: over the connection without identity or the account's
 * (attachmentRoute.ts); the upload that follows is the same either way.
 */
export type CreateAttachment = (body: OpBody<'attachment.create'>) => Promise<OpResult<'attachment.create'>>;

export async function uploadAttachment(
  create: CreateAttachment,
  route: RelayRoute,
  source: AttachmentSource,
  expiresAt: number | null,
  localDir: string,
  onProgress?: TransferProgress,
): Promise<Uploaded> {
  if (typeof source === 'string') {
    try {
      await stat(source);
    } catch (cause) {
      throw new WispError('NotFound', 'the file to attach does not exist', { cause });
    }
  }
  const fileName = typeof source === 'string' ? basename(source) : source.fileName;
  const pointerId = randomUUID();
  const dir = await mkdtemp(join(tmpdir(), 'wisp-att-'));
  const cipherPath = join(dir, 'blob');
  const local = new EncryptedFileBuilder(localDir, pointerId);
  try {
    async function* teed(): AsyncGenerator<Buffer> {
      const plain =
        typeof source === 'string' ? createReadStream(source) : Readable.from([Buffer.from(source.bytes)]);
      for await (const chunk of plain) {
        local.update(chunk as Buffer);
        yield chunk as Buffer;
      }
    }
    const secrets = await encryptAttachment(
      Readable.from(teed()),
      createWriteStream(cipherPath, { mode: 0o600 }),
    );
    const created = await create({
      size: secrets.ciphertextSize,
      // Whole hours only, like message deadlines (common/coarseTime.ts).
      ...(expiresAt === null ? {} : { expiresAt: coarseDeadline(expiresAt) }),
    });
    const res = await send(route, created.uploadPath, 'PUT', {
      authorization: `Bearer ${created.uploadToken}`,
      'content-type': 'application/octet-stream',
      'content-length': String(secrets.ciphertextSize),
    })(createReadStream(cipherPath).pipe(counting(secrets.ciphertextSize, onProgress)));
    const body = await readBody(res);
    if ((res.statusCode ?? 500) >= 300) throw httpError(res.statusCode ?? 500, body);
    return {
      pointer: {
        id: pointerId,
        blobId: created.attachmentId,
        fileName: fileName.slice(0, 255),
        contentType: MIME[extname(fileName).toLowerCase()] ?? 'application/octet-stream',
        size: secrets.size,
        key: secrets.key.toString('base64'),
        digest: secrets.digest.toString('base64'),
      },
      local: local.finish(),
    };
  } catch (error) {
    local.abort();
    throw error;
  } finally {
    await shred(cipherPath).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Fetches the ciphertext, checks its digest, and decrypts it straight into an encrypted-at-rest
 * file for attachment `attachmentId` in `localDir` (streamed); the caller adopts it.
 */
export async function downloadAttachment(
  route: RelayRoute,
  blobId: string,
  key: Uint8Array,
  digest: Uint8Array,
  size: number,
  localDir: string,
  attachmentId: string,
  onProgress?: TransferProgress,
): Promise<EncryptedFile> {
  const dir = await mkdtemp(join(tmpdir(), 'wisp-att-'));
  const cipherPath = join(dir, 'blob');
  try {
    const res = await send(route, attachmentPath(blobId), 'GET', {})();
    if ((res.statusCode ?? 500) >= 300) throw httpError(res.statusCode ?? 500, await readBody(res));
    const length = Number(res.headers['content-length']);
    const total = Number.isSafeInteger(length) && length >= 0 ? length : null;
    await pipeline(res, counting(total, onProgress), createWriteStream(cipherPath, { mode: 0o600 }));
    if (!Buffer.from(digest).equals(await digestFile(cipherPath))) {
      throw new WispError('DecryptionFailed', 'attachment rejected: digest mismatch');
    }
    const local = new EncryptedFileBuilder(localDir, attachmentId);
    try {
      await decryptAttachment(createReadStream(cipherPath), local.writable(), { key, digest, size });
      return local.finish();
    } catch (error) {
      local.abort();
      throw error;
    }
  } finally {
    await shred(cipherPath).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
