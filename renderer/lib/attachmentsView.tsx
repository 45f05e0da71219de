// Connects attachments to the messenger: sends a file (staged to main, then sent with its caption)
// while tracking how far it has come, and renders each message's files and previews. Used by
// MessengerContainer so its own wiring stays a few lines.
import { useCallback, useMemo, useState, type ReactNode } from 'react';
import type { MessageView } from '../../common/engine';
import type { SendAttachmentInput, WispClient } from '../../common/ipc';
import { AttachmentList } from '../components/AttachmentList';
import { stageFile, useAttachmentPreviews } from './attachments';

/** Staging (page → main) counts for this share of the bar; the upload to the relay for the rest. */
const STAGING_SHARE = 0.3;

export interface UploadState {
  name: string;
  size: number;
  progress: number;
}

export interface Attachments {
  renderAttachments: (message: MessageView) => ReactNode;
  uploading: UploadState | null;
  send(file: File, input: Omit<SendAttachmentInput, 'uploadId'>): Promise<MessageView>;
}

export function useAttachments(client: WispClient): Attachments {
  const previews = useAttachmentPreviews(client);
  const [upload, setUpload] = useState<{
    id: string | null;
    name: string;
    size: number;
    staged: number;
  } | null>(null);

  const send = useCallback(
    async (file: File, input: Omit<SendAttachmentInput, 'uploadId'>) => {
      setUpload({ id: null, name: file.name, size: file.size, staged: 0 });
      try {
        const uploadId = await stageFile(client, file, (staged) =>
          setUpload((u) => (u === null ? u : { ...u, staged })),
        );
        setUpload((u) => (u === null ? u : { ...u, id: uploadId, staged: file.size }));
        return await client.attachments.send({ ...input, uploadId });
      } finally {
        setUpload(null);
      }
    },
    [client],
  );

  const transfer = upload?.id == null ? undefined : previews.progress.get(upload.id);
  const uploading = useMemo<UploadState | null>(() => {
    if (upload === null) return null;
    const staged = upload.size === 0 ? 1 : upload.staged / upload.size;
    const sent = transfer?.total ? transfer.bytes / transfer.total : 0;
    return {
      name: upload.name,
      size: upload.size,
      progress: staged * STAGING_SHARE + sent * (1 - STAGING_SHARE),
    };
  }, [upload, transfer]);

  const { previews: states, progress, saves, fileDialogs, requestPreview, save } = previews;
  const renderAttachments = useCallback(
    (message: MessageView) => (
      <AttachmentList
        message={message}
        previews={states}
        progress={progress}
        saves={saves}
        fileDialogs={fileDialogs}
        onNeedPreview={requestPreview}
        onSave={save}
      />
    ),
    [states, progress, saves, fileDialogs, requestPreview, save],
  );

  return { renderAttachments, uploading, send };
}
