// HTTP routes beside the WebSocket: /healthz, the transparency report, and streamed attachment
// upload/download. Uploads are written chunk by chunk; nothing buffers a whole blob, and each
// chunk is stored only while its attachment is still uploading and unexpired.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { AttachmentId, HTTP_PATHS, type WireError } from '../common/wire';
import type { RelayContext } from './context';
import { sha256 } from './identity';
import { transparencyReport } from './transparency';

const CHUNK_BYTES = 256 * 1024;
/** Bytes past the cap the relay reads and drops before it cuts the connection instead of answering. */
const DISCARD_LIMIT_BYTES = 8 * 1024 * 1024;

function fail(reply: FastifyReply, status: number, error: WireError): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').send({ error });
}

export function registerHttpRoutes(app: FastifyInstance, ctx: RelayContext): void {
  app.get(HTTP_PATHS.healthz, async () => ({ ok: true, storage: ctx.storage.kind }));

  app.get(HTTP_PATHS.transparency, async () => transparencyReport(await ctx.storage.totals()));

  app.get<{ Params: { id: string } }>(HTTP_PATHS.attachment, async (request, reply) => {
    const id = AttachmentId.safeParse(request.params.id);
    if (!id.success) return fail(reply, 400, { kind: 'InvalidInput', message: 'malformed attachment id' });
    const row = await ctx.storage.getAttachment(id.data, ctx.now());
    if (!row || row.state !== 'complete')
      return fail(reply, 404, { kind: 'NotFound', message: 'no such attachment' });
    const storage = ctx.storage;
    const attachmentId = id.data;
    const chunks = Math.ceil(row.size / CHUNK_BYTES);
    async function* read() {
      for (let i = 0; i < chunks; i++) {
        const chunk = await storage.getAttachmentChunk(attachmentId, i);
        if (!chunk) throw new Error('attachment chunk missing');
        yield Buffer.from(chunk);
      }
    }
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-length', String(row.size))
      .header('cache-control', 'no-store')
      .send(Readable.from(read()));
  });

  // Uploads get their own scope so the raw body reaches the handler as a stream, unparsed.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    scope.put<{ Params: { id: string } }>(HTTP_PATHS.attachment, async (request, reply) => {
      const id = AttachmentId.safeParse(request.params.id);
      if (!id.success) return fail(reply, 400, { kind: 'InvalidInput', message: 'malformed attachment id' });
      const auth = request.headers.authorization ?? '';
      const token = /^Bearer ([A-Za-z0-9_-]{43})$/.exec(auth)?.[1];
      if (!token)
        return fail(reply, 401, { kind: 'Unauthorized', message: 'missing or malformed upload token' });
      const attachmentId = id.data;
      const row = await ctx.storage.claimAttachmentUpload(attachmentId, sha256(token), ctx.now());
      if (!row)
        return fail(reply, 401, {
          kind: 'Unauthorized',
          message: 'unknown attachment or upload token already used',
        });
      const cap = Math.min(row.declaredSize, ctx.limits.maxAttachmentBytes);
      const declaredLength = Number(request.headers['content-length'] ?? NaN);
      const tooLarge = (): FastifyReply => {
        void ctx.storage.deleteAttachment(attachmentId);
        return fail(reply, 413, {
          kind: 'PayloadTooLarge',
          message: `attachment is larger than its declared size or the relay cap (${cap} bytes)`,
        });
      };
      if (Number.isFinite(declaredLength) && declaredLength > cap) {
        request.raw.resume();
        return tooLarge();
      }
      let size = 0;
      let index = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      /** False once the attachment has expired or been purged: its chunks are refused from then on. */
      const flush = async (all: boolean): Promise<boolean> => {
        while (pendingBytes >= CHUNK_BYTES || (all && pendingBytes > 0)) {
          const joined = Buffer.concat(pending);
          const chunk = joined.subarray(0, CHUNK_BYTES);
          const rest = joined.subarray(chunk.length);
          pending = rest.length > 0 ? [rest] : [];
          pendingBytes = rest.length;
          if (!(await ctx.storage.putAttachmentChunk(attachmentId, index++, chunk, ctx.now()))) return false;
        }
        return true;
      };
      const expired = (): FastifyReply => {
        void ctx.storage.deleteAttachment(attachmentId);
        return fail(reply, 410, {
          kind: 'NotFound',
          message: 'the attachment expired or was removed during the upload; nothing of it is kept',
        });
      };
      // Why the rest of the body is being discarded, if it is.
      let stopped: 'over' | 'expired' | null = null;
      try {
        for await (const part of request.raw as AsyncIterable<Buffer>) {
          size += part.length;
          if (!stopped && size > cap) {
            stopped = 'over';
            await ctx.storage.deleteAttachment(attachmentId);
          }
          if (stopped) {
            // Discard the rest so the client can read our answer, unless it keeps going.
            if (size > cap + DISCARD_LIMIT_BYTES) {
              request.raw.destroy();
              return reply;
            }
            continue;
          }
          pending.push(part);
          pendingBytes += part.length;
          if (!(await flush(false))) {
            stopped = 'expired';
            pending = [];
            pendingBytes = 0;
            await ctx.storage.deleteAttachment(attachmentId);
          }
        }
        if (stopped === 'over') return tooLarge();
        if (stopped === 'expired' || !(await flush(true))) return expired();
      } catch {
        void ctx.storage.deleteAttachment(attachmentId);
        return fail(reply, 400, { kind: 'InvalidInput', message: 'upload interrupted' });
      }
      if (size === 0) {
        void ctx.storage.deleteAttachment(attachmentId);
        return fail(reply, 400, { kind: 'InvalidInput', message: 'empty upload' });
      }
      if (!(await ctx.storage.completeAttachment(attachmentId, size, ctx.now()))) return expired();
      return { attachmentId, size, expiresAt: row.expiresAt };
    });
  });
}
