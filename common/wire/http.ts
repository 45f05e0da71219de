// HTTP endpoints beside the WebSocket: health, transparency and attachment blobs.
// Paths are relative to the relay's HTTP base URL (startRelay().httpUrl).
import { z } from 'zod';
import { AttachmentId, EpochMs } from './primitives';

export const HTTP_PATHS = {
  websocket: '/v1/ws',
  healthz: '/healthz',
  transparency: '/v1/transparency',
  /** PUT (with the upload token) and GET; `:id` is an AttachmentId. */
  attachment: '/v1/attachments/:id',
} as const;

export function attachmentPath(id: string): string {
  return `/v1/attachments/${encodeURIComponent(id)}`;
}

export const HealthzResponse = z.object({ ok: z.literal(true), storage: z.enum(['sqlite', 'postgres']) });

/** Response to a completed attachment PUT. */
export const AttachmentUploadResponse = z.object({
  attachmentId: AttachmentId,
  size: z.number().int(),
  expiresAt: EpochMs,
});

/** One stored field, as listed by the transparency endpoint. */
export const TransparencyField = z.object({ name: z.string(), description: z.string() });

/**
 * What the relay stores, table by table, field by field, plus what it can disclose per account
 * (creation date and message counters) and aggregate counts.
 */
export const TransparencyResponse = z.object({
  protocolVersion: z.number().int(),
  disclosablePerAccount: z.array(z.string()),
  stored: z.record(z.string(), z.array(TransparencyField)),
  neverStored: z.array(z.string()),
  totals: z.object({
    accounts: z.number().int(),
    queuedEnvelopes: z.number().int(),
    attachments: z.number().int(),
  }),
});
export type TransparencyResponse = z.infer<typeof TransparencyResponse>;

/** HTTP errors use the same object as WebSocket errors, under `error`. */
export { WireError as HttpError } from './errors';
