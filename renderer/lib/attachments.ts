// Attachments in the page: staging a File's bytes to main in bounded chunks, and the previews — Blob
// URLs made from decrypted bytes held only in memory, revoked (and the bytes dropped) the moment
// their message burns, expires or is deleted, or the messenger closes (lock).
import { useCallback, useEffect, useRef, useState } from 'react';
import type { MessageView } from '../../common/engine';
import {
  MAX_ATTACHMENT_BYTES,
  MAX_PREVIEW_BYTES,
  STAGE_CHUNK_BYTES,
  type TransferProgressView,
  type WispClient,
} from '../../common/ipc';
import { asUiError, type UiError } from './uiError';

/** Sizes as people read them: 912 B, 14 KB, 3.2 MB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  // In slices: String.fromCharCode with a quarter-million arguments overflows the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function base64ToBytes(data: string): Uint8Array<ArrayBuffer> {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** What the sender claims; only a hint to try a preview (main sniffs the bytes and decides). */
export function mayPreview(attachment: { contentType: string; size: number }): boolean {
  return (
    (attachment.contentType.startsWith('image/') || attachment.contentType.startsWith('video/')) &&
    attachment.contentType !== 'image/svg+xml' &&
    attachment.size <= MAX_PREVIEW_BYTES
  );
}

/** Why a file cannot be attached, or null. */
export function attachRefusal(file: { size: number }): string | null {
  if (file.size === 0) return 'This file is empty.';
  if (file.size > MAX_ATTACHMENT_BYTES) return `Files are limited to ${formatBytes(MAX_ATTACHMENT_BYTES)}.`;
  return null;
}

/** Hands a file's bytes to main in order; returns the upload id `attachments.send` takes. */
export async function stageFile(
  client: WispClient,
  file: Blob & { name: string },
  onStaged?: (bytes: number) => void,
): Promise<string> {
  const { uploadId } = await client.attachments.stage({ fileName: file.name || 'file', size: file.size });
  try {
    for (let offset = 0; offset < file.size; offset += STAGE_CHUNK_BYTES) {
      const chunk = new Uint8Array(await file.slice(offset, offset + STAGE_CHUNK_BYTES).arrayBuffer());
      await client.attachments.stageChunk({ uploadId, offset, data: bytesToBase64(chunk) });
      onStaged?.(offset + chunk.length);
    }
  } catch (error) {
    await client.attachments.discard({ uploadId }).catch(() => undefined);
    throw error;
  }
  return uploadId;
}

export type PreviewState =
  | { status: 'loading' }
  | { status: 'ready'; url: string; mime: string }
  | { status: 'failed'; error: UiError };

export interface SaveState {
  status: 'saving' | 'saved' | 'failed';
  path?: string;
  error?: UiError;
}

export interface AttachmentPreviews {
  previews: ReadonlyMap<string, PreviewState>;
  /** Transfers under way by upload or attachment id. */
  progress: ReadonlyMap<string, TransferProgressView>;
  saves: ReadonlyMap<string, SaveState>;
  /** True where main shows a save dialog; false where the page asks for a path (the harness). */
  fileDialogs: boolean;
  requestPreview: (message: MessageView, attachmentId: string) => void;
  save: (message: MessageView, attachmentId: string, path?: string) => void;
}

/**
 * Previews and saves for the open conversation. A preview's Blob holds the only copy of the
 * decrypted bytes in the page; revoking its URL on `message.destroyed` lets it be collected.
 */
export function useAttachmentPreviews(client: WispClient): AttachmentPreviews {
  const [previews, setPreviews] = useState<ReadonlyMap<string, PreviewState>>(new Map());
  const [progress, setProgress] = useState<ReadonlyMap<string, TransferProgressView>>(new Map());
  const [saves, setSaves] = useState<ReadonlyMap<string, SaveState>>(new Map());
  const [fileDialogs, setFileDialogs] = useState(true);
  /** Object URLs by message id, so a burn revokes exactly its own. */
  const urls = useRef(new Map<string, Map<string, string>>());
  /** Messages destroyed while their preview was loading: the late bytes are dropped, not shown. */
  const gone = useRef(new Set<string>());
  const requested = useRef(new Set<string>());

  const release = useCallback((messageId: string) => {
    gone.current.add(messageId);
    const owned = urls.current.get(messageId);
    urls.current.delete(messageId);
    if (owned === undefined) return;
    for (const url of owned.values()) URL.revokeObjectURL(url);
    setPreviews((map) => {
      const next = new Map(map);
      for (const attachmentId of owned.keys()) next.delete(attachmentId);
      return next;
    });
  }, []);

  useEffect(() => {
    let live = true;
    client.app.info().then(
      (info) => live && setFileDialogs(info.capabilities.fileDialogs),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client]);

  useEffect(
    () =>
      client.onEvent((event) => {
        if (event.type === 'message.destroyed') release(event.id);
        if (event.type === 'attachment.progress') {
          const p = event.progress;
          setProgress((map) => {
            const next = new Map(map);
            if (p.done) next.delete(p.id);
            else next.set(p.id, p);
            return next;
          });
        }
      }),
    [client, release],
  );

  // Locking (the messenger unmounts) drops every preview still shown.
  useEffect(() => {
    const owned = urls.current;
    return () => {
      for (const perMessage of owned.values())
        for (const url of perMessage.values()) URL.revokeObjectURL(url);
      owned.clear();
    };
  }, []);

  const requestPreview = useCallback(
    (message: MessageView, attachmentId: string) => {
      if (requested.current.has(attachmentId) || gone.current.has(message.id)) return;
      requested.current.add(attachmentId);
      setPreviews((map) => new Map(map).set(attachmentId, { status: 'loading' }));
      client.attachments.preview({ messageId: message.id, attachmentId }).then(
        ({ mime, data }) => {
          if (gone.current.has(message.id)) return;
          const url = URL.createObjectURL(new Blob([base64ToBytes(data)], { type: mime }));
          const perMessage = urls.current.get(message.id) ?? new Map<string, string>();
          perMessage.set(attachmentId, url);
          urls.current.set(message.id, perMessage);
          setPreviews((map) => new Map(map).set(attachmentId, { status: 'ready', url, mime }));
        },
        (e: unknown) => {
          if (gone.current.has(message.id)) return;
          setPreviews((map) => new Map(map).set(attachmentId, { status: 'failed', error: asUiError(e) }));
        },
      );
    },
    [client],
  );

  const save = useCallback(
    (message: MessageView, attachmentId: string, path?: string) => {
      setSaves((map) => new Map(map).set(attachmentId, { status: 'saving' }));
      client.attachments
        .save({ messageId: message.id, attachmentId, ...(path === undefined ? {} : { path }) })
        .then(
          (result) =>
            setSaves((map) => {
              const next = new Map(map);
              // Closing the dialog is not an error: back to the plain Save button.
              if (result.path === null) next.delete(attachmentId);
              else next.set(attachmentId, { status: 'saved', path: result.path });
              return next;
            }),
          (e: unknown) =>
            setSaves((map) => new Map(map).set(attachmentId, { status: 'failed', error: asUiError(e) })),
        );
    },
    [client],
  );

  return { previews, progress, saves, fileDialogs, requestPreview, save };
}
