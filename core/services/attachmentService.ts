// The `attachments` IPC service in plain Node: stages a file's bytes from the page in memory (never
// in a plaintext temporary file), sends it through the engine, hands out previews only for images
// and videos sniffed from the decrypted bytes, and saves to a path the save dialog (or, in the
// harness, the path field) supplied. Upload and download progress go out as events.
import { randomUUID } from 'node:crypto';
import { WispError } from '../../common/errors';
import {
  MAX_PREVIEW_BYTES,
  type SendAttachmentInput,
  type WispEvent,
  type WispServices,
} from '../../common/ipc';
import type { MessageView } from '../../common/engine';
import type { AttachmentSource, EngineApi, TransferProgress } from '../engine';
import { sniffPreviewMime } from './mimeSniff';
import type { PlatformAdapter } from './platform';

/** Uploads staged at once: a page cannot pile up gigabytes in main by starting many. */
export const MAX_STAGED_UPLOADS = 4;
/** A staged upload nobody sent or touched for this long is dropped (the page went away). */
export const STAGED_TTL_MS = 10 * 60 * 1000;

export interface AttachmentServiceContext {
  readonly platform: Pick<PlatformAdapter, 'chooseSavePath'>;
  emit: (event: WispEvent) => void;
  requireEngine(): Promise<EngineApi>;
  /** The services' own send (conversation lookup and default timers), with a file. */
  send(
    input: Omit<SendAttachmentInput, 'uploadId'>,
    file: AttachmentSource,
    onProgress: TransferProgress,
  ): Promise<MessageView>;
  /** One message by id (to name the save dialog after the attachment). */
  findMessage(id: string): Promise<MessageView>;
  now?: () => number;
}

interface Staged {
  readonly fileName: string;
  readonly size: number;
  readonly bytes: Buffer;
  received: number;
  touchedAt: number;
}

/** Reports progress as events: on each whole percent (or 256 KiB when the total is unknown) and at the end. */
function progressReporter(
  emit: (event: WispEvent) => void,
  id: string,
  direction: 'upload' | 'download',
): { onProgress: TransferProgress; done: (bytes?: number) => void } {
  let last = -1;
  let latest = { bytes: 0, total: null as number | null };
  return {
    onProgress(bytes, total) {
      latest = { bytes, total };
      const step =
        total === null || total === 0 ? Math.floor(bytes / (256 * 1024)) : Math.floor((bytes * 100) / total);
      if (step === last) return;
      last = step;
      emit({ type: 'attachment.progress', progress: { id, direction, bytes, total, done: false } });
    },
    done() {
      emit({
        type: 'attachment.progress',
        progress: { id, direction, bytes: latest.bytes, total: latest.total, done: true },
      });
    },
  };
}

/** A sender-chosen name made safe as a dialog's suggestion: its last segment, no control characters. */
export function suggestedFileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const last = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return last === '' || last === '.' || last === '..' ? 'attachment' : last.slice(0, 255);
}

export function createAttachmentService(context: AttachmentServiceContext): {
  service: WispServices['attachments'];
  /** Drops every staged upload (the profile locked or closed). */
  clear(): void;
} {
  const now = context.now ?? Date.now;
  const staged = new Map<string, Staged>();

  function drop(id: string): boolean {
    const entry = staged.get(id);
    if (entry === undefined) return false;
    entry.bytes.fill(0);
    staged.delete(id);
    return true;
  }

  function sweep(): void {
    for (const [id, entry] of staged) if (now() - entry.touchedAt > STAGED_TTL_MS) drop(id);
  }

  function requireStaged(id: string): Staged {
    const entry = staged.get(id);
    if (entry === undefined) {
      throw new WispError('NotFound', 'that upload is not staged (it was sent, removed or timed out)', {
        recovery: 'Attach the file again.',
      });
    }
    return entry;
  }

  const service: WispServices['attachments'] = {
    async stage({ fileName, size }) {
      await context.requireEngine();
      sweep();
      if (staged.size >= MAX_STAGED_UPLOADS) {
        throw new WispError('RelayQueueFull', 'too many files are waiting to be sent', {
          recovery: 'Send or remove an attached file first.',
        });
      }
      const uploadId = randomUUID();
      staged.set(uploadId, { fileName, size, bytes: Buffer.alloc(size), received: 0, touchedAt: now() });
      return { uploadId };
    },

    async stageChunk({ uploadId, offset, data }) {
      const entry = requireStaged(uploadId);
      if (offset !== entry.received) {
        throw new WispError('InvalidInput', `chunk out of order: expected offset ${entry.received}`);
      }
      const chunk = Buffer.from(data, 'base64');
      if (entry.received + chunk.length > entry.size) {
        // More bytes than announced: the whole upload is void, not just this chunk.
        drop(uploadId);
        throw new WispError('InvalidInput', 'the file is larger than announced', {
          recovery: 'Attach the file again.',
        });
      }
      chunk.copy(entry.bytes, entry.received);
      chunk.fill(0);
      entry.received += chunk.length;
      entry.touchedAt = now();
      return { received: entry.received };
    },

    async discard({ uploadId }) {
      return { discarded: drop(uploadId) };
    },

    async send({ uploadId, ...input }) {
      const entry = requireStaged(uploadId);
      if (entry.received !== entry.size) {
        throw new WispError(
          'InvalidInput',
          `the file is incomplete: ${entry.received} of ${entry.size} bytes`,
          {
            recovery: 'Attach the file again.',
          },
        );
      }
      // Taken out before the send: a second send of the same upload cannot start meanwhile.
      staged.delete(uploadId);
      const progress = progressReporter(context.emit, uploadId, 'upload');
      try {
        return await context.send(
          input,
          { fileName: entry.fileName, bytes: entry.bytes },
          progress.onProgress,
        );
      } finally {
        progress.done();
        entry.bytes.fill(0);
      }
    },

    async preview({ messageId, attachmentId }) {
      const engine = await context.requireEngine();
      const progress = progressReporter(context.emit, attachmentId, 'download');
      let bytes: Buffer;
      try {
        bytes = await engine.readAttachment(messageId, attachmentId, MAX_PREVIEW_BYTES, progress.onProgress);
      } finally {
        progress.done();
      }
      try {
        const mime = sniffPreviewMime(bytes);
        if (mime === null) {
          throw new WispError(
            'InvalidInput',
            'this attachment is not an image or video that can be previewed',
            {
              recovery: 'Save the file instead.',
            },
          );
        }
        return { mime, data: bytes.toString('base64') };
      } finally {
        bytes.fill(0);
      }
    },

    async save({ messageId, attachmentId, path }) {
      const engine = await context.requireEngine();
      let target: string;
      const chooseSavePath = context.platform.chooseSavePath;
      if (chooseSavePath !== undefined) {
        // Only a path the person picked in main's own dialog: a compromised page must not be able to
        // write a file of its choosing (as with backups).
        if (path !== undefined) {
          throw new WispError('InvalidInput', 'the save location comes from the save dialog', {
            recovery: 'Use the Save button and pick a place in the dialog.',
          });
        }
        const message = await context.findMessage(messageId);
        const attachment = message.attachments.find((a) => a.id === attachmentId);
        if (attachment === undefined) throw new WispError('NotFound', 'no such attachment');
        const chosen = await chooseSavePath(suggestedFileName(attachment.fileName));
        if (chosen === null) return { path: null };
        target = chosen;
      } else {
        if (path === undefined) {
          throw new WispError('InvalidInput', 'a path to save to is required here', {
            recovery: 'Type the full path of the file to write.',
          });
        }
        target = path;
      }
      const progress = progressReporter(context.emit, attachmentId, 'download');
      try {
        await engine.saveAttachment(messageId, attachmentId, target, progress.onProgress);
      } finally {
        progress.done();
      }
      return { path: target };
    },
  };

  return {
    service,
    clear() {
      for (const id of [...staged.keys()]) drop(id);
    },
  };
}
