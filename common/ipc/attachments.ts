// The `attachments` service: sending a file, previewing a received image or short video from bytes
// held in memory, saving any attachment. The sandboxed renderer cannot name files on disk, so it
// hands over bytes: staged in bounded chunks (below the harness's 1 MiB frame) and kept only in
// main's memory until the send encrypts them (docs/SECURITY.md, "Attachments").
import { z } from 'zod';
import { method, type ServiceInterface } from './contract';
import { AbsolutePath } from './backup';
import { MAX_TEXT_LENGTH } from './conversations';
import { BurnAfterMs, ExpireAfterMs, Id, MessageViewSchema, Username } from './views';

/**
 * The largest file the app sends: the relay's default attachment limit (100 MiB of ciphertext,
 * relay/config.ts) less the encryption's overhead (a 56-byte header and 16 bytes per 64 KiB chunk,
 * under 32 KiB at this size), so a file the app accepts is never refused by the relay for its size.
 */
export const MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024 - 32 * 1024;
/** Bytes per staged chunk: base64 of it (~342 KiB) stays well inside one harness frame (1 MiB). */
export const STAGE_CHUNK_BYTES = 256 * 1024;
/** The largest attachment shown as a preview; bigger images and videos are saved instead. */
export const MAX_PREVIEW_BYTES = 32 * 1024 * 1024;

/** What a preview may be: types sniffed from the bytes, never the sender's claim. No SVG (script). */
export const PREVIEW_MIME_TYPES = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'video/mp4',
  'video/webm',
] as const;
export const PreviewMime = z.enum(PREVIEW_MIME_TYPES);
export type PreviewMime = z.infer<typeof PreviewMime>;

/**
 * Base64 (standard alphabet, padded), as bytes cross both Electron IPC and the harness's JSON. One
 * flat character class, not a repeated group: V8 recurses per repetition of a group, and a 43 MB
 * preview overflowed its stack.
 */
const base64Of = (maxBytes: number) =>
  z
    .string()
    .max(Math.ceil(maxBytes / 3) * 4)
    .refine((s) => s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s), 'not base64');

/** A file name as the sender typed it: a label only, never used as a path (no separators, no NUL). */
export const AttachmentFileName = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine((n) => !/[\\/\0]/.test(n) && n !== '.' && n !== '..', 'a file name, not a path');

export const StageInput = z.object({
  fileName: AttachmentFileName,
  size: z.number().int().min(1).max(MAX_ATTACHMENT_BYTES),
});

export const StageChunkInput = z.object({
  uploadId: Id,
  /** Where this chunk starts: chunks arrive in order, so this must equal the bytes staged so far. */
  offset: z.number().int().nonnegative().max(MAX_ATTACHMENT_BYTES),
  data: base64Of(STAGE_CHUNK_BYTES).min(4),
});

export const SendAttachmentInput = z
  .object({
    /** A conversation id, or a username to start a direct conversation. */
    to: z.union([Id, Username]),
    /** A caption; may be empty (the file is the message). */
    text: z.string().max(MAX_TEXT_LENGTH),
    /** A fully staged upload (attachments.stage and stageChunk). */
    uploadId: Id,
    acceptIdentityChange: z.boolean().optional(),
    expireAfterMs: ExpireAfterMs.optional(),
    burnAfterMs: BurnAfterMs.optional(),
  })
  .refine((i) => i.burnAfterMs == null || i.expireAfterMs == null || i.burnAfterMs <= i.expireAfterMs, {
    message: 'burn-on-read can never be longer than expiration',
    path: ['burnAfterMs'],
  });
export type SendAttachmentInput = z.infer<typeof SendAttachmentInput>;

export const AttachmentRef = z.object({ messageId: Id, attachmentId: Id });

export const PreviewOutput = z.object({
  /** Sniffed from the decrypted bytes. */
  mime: PreviewMime,
  data: base64Of(MAX_PREVIEW_BYTES),
});
export type PreviewOutput = z.infer<typeof PreviewOutput>;

export const SaveInput = AttachmentRef.extend({
  /**
   * Where to write the file: only where the runtime has no save dialog (the harness's path field).
   * In the app main asks with its own dialog and a path from the page is refused.
   */
  path: AbsolutePath.optional(),
});

/** `path: null` when the person closed the save dialog. */
export const SaveOutput = z.object({ path: z.string().nullable() });

export const attachmentsSpec = {
  /** Starts an upload of `size` bytes; returns the id its chunks and the send refer to. */
  stage: method(StageInput, z.object({ uploadId: Id })),
  stageChunk: method(StageChunkInput, z.object({ received: z.number().int().nonnegative() })),
  /** Drops a staged upload (the person removed the file before sending). */
  discard: method(z.object({ uploadId: Id }), z.object({ discarded: z.boolean() })),
  /** Encrypts, uploads and sends the staged file with its caption; progress comes as events. */
  send: method(SendAttachmentInput, MessageViewSchema),
  /** The decrypted bytes of an image or short video, for an in-memory Blob URL. */
  preview: method(AttachmentRef, PreviewOutput),
  save: method(SaveInput, SaveOutput),
};

export type AttachmentsService = ServiceInterface<typeof attachmentsSpec>;

/** How far an upload or a download has come (ciphertext bytes), sent on the event channel. */
export const TransferProgressSchema = z.object({
  /** The upload id while sending; the attachment id while fetching. */
  id: z.string(),
  direction: z.enum(['upload', 'download']),
  bytes: z.number().int().nonnegative(),
  total: z.number().int().nonnegative().nullable(),
  done: z.boolean(),
});
export type TransferProgressView = z.infer<typeof TransferProgressSchema>;
