// The envelope of every WebSocket frame (JSON text frames): client requests, relay responses and
// relay pushes. Bodies are validated against the op table in ops.ts after the frame shape.
import { z } from 'zod';
import { WireError } from './errors';
import { EnvelopeId, EpochMs, base64Bytes, DEFAULT_WIRE_LIMITS } from './primitives';
import { OP_NAMES, type OpBody, type OpName, type OpResult } from './ops';

/** Request ids are chosen by the client and echoed in the response; unique per connection in flight. */
export const RequestId = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);

/** Client → relay. `body` is checked against OPS[op].body. */
export const RequestFrame = z
  .object({
    id: RequestId,
    op: z.enum(OP_NAMES as [OpName, ...OpName[]]),
    body: z.unknown().optional(),
  })
  .strict();
export type RequestFrame = z.infer<typeof RequestFrame>;

/** Relay → client, answering one request. `id` is null only when the frame was too broken to read one. */
export const OkResponseFrame = z.object({ id: RequestId, ok: z.literal(true), body: z.unknown() });
export const ErrorResponseFrame = z.object({
  id: RequestId.nullable(),
  ok: z.literal(false),
  error: WireError,
});
export const ResponseFrame = z.union([OkResponseFrame, ErrorResponseFrame]);
export type ResponseFrame = z.infer<typeof ResponseFrame>;

/** One queued sealed envelope, pushed to its recipient. No sender, no send time. */
export const DeliveredEnvelope = z.object({
  id: EnvelopeId,
  /** Sealed sender ciphertext (v1 message, or the v2 ReceivedMessage split from a multi-recipient send). */
  payload: base64Bytes(DEFAULT_WIRE_LIMITS.maxMultiRecipientBytes),
  /** The relay drops it at this time if still unacknowledged. */
  expiresAt: EpochMs,
});
export type DeliveredEnvelope = z.infer<typeof DeliveredEnvelope>;

/** Relay → client, unsolicited (only on authenticated connections). */
export const PushFrame = z.discriminatedUnion('push', [
  /** An envelope for this account; acknowledge with `message.ack` after the local durable commit. */
  z.object({ push: z.literal('envelope'), body: DeliveredEnvelope }),
  /** Everything queued at authentication time has been pushed (later envelopes arrive live). */
  z.object({ push: z.literal('queueEmpty'), body: z.object({}) }),
  /** The relay is shutting down; reconnect (to it or another node) after a short delay. */
  z.object({ push: z.literal('goingAway'), body: z.object({ reason: z.string() }) }),
]);
export type PushFrame = z.infer<typeof PushFrame>;

/**
 * WebSocket close for a connection whose account authenticated on a newer connection (a profile
 * restored from a backup on another machine): one active device per account. Not a reconnect cue.
 */
export const ACCOUNT_MOVED_CLOSE = { code: 4009, reason: 'account moved' } as const;

/** Any relay → client frame. */
export const ServerFrame = z.union([ResponseFrame, PushFrame]);
export type ServerFrame = z.infer<typeof ServerFrame>;

/** Typed request builder for clients. */
export function requestFrame<K extends OpName>(
  id: number,
  op: K,
  body: OpBody<K>,
): { id: number; op: K; body: OpBody<K> } {
  return { id, op, body };
}

export type { OpBody, OpName, OpResult };
