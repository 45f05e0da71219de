// The attachments of one message: an image or video preview where main recognised one (from a Blob
// URL the container made), and for every file a row with its name, size and a Save button — in the
// harness, which has no save dialog, a path field beside it. Pure apart from which preview is open.
import { Download, FileIcon, Maximize2 } from 'lucide-react';
import { useEffect, useState } from 'react';
import type { MessageView } from '../../common/engine';
import type { TransferProgressView } from '../../common/ipc';
import { formatBytes, mayPreview, type PreviewState, type SaveState } from '../lib/attachments';
import { AttachmentLightbox } from './AttachmentLightbox';
import { ErrorNote } from './ErrorNote';

export interface AttachmentListProps {
  message: MessageView;
  previews: ReadonlyMap<string, PreviewState>;
  progress: ReadonlyMap<string, TransferProgressView>;
  saves: ReadonlyMap<string, SaveState>;
  /** False where the page must ask for a path (the browser harness). */
  fileDialogs: boolean;
  onNeedPreview: (message: MessageView, attachmentId: string) => void;
  onSave: (message: MessageView, attachmentId: string, path?: string) => void;
}

type Attachment = MessageView['attachments'][number];

function Progress({ name, transfer }: { name: string; transfer: TransferProgressView | undefined }) {
  if (transfer === undefined) return null;
  return transfer.total === null ? (
    <progress className="attachment-progress" aria-label={`Downloading ${name}`} />
  ) : (
    <progress
      className="attachment-progress"
      aria-label={`Downloading ${name}`}
      max={transfer.total}
      value={transfer.bytes}
    />
  );
}

function Preview(props: { attachment: Attachment; state: PreviewState | undefined; onOpen: () => void }) {
  const { attachment, state, onOpen } = props;
  if (state === undefined || state.status === 'failed') return null;
  if (state.status === 'loading') {
    return (
      <div className="attachment-preview loading" aria-label={`Loading ${attachment.fileName}`} role="img" />
    );
  }
  if (state.mime.startsWith('video/')) {
    return (
      <div className="attachment-preview">
        <video src={state.url} controls preload="metadata" aria-label={attachment.fileName} />
        <button
          type="button"
          className="icon"
          aria-label={`Open ${attachment.fileName} larger`}
          onClick={onOpen}
        >
          <Maximize2 size={14} aria-hidden="true" />
        </button>
      </div>
    );
  }
  return (
    <button
      type="button"
      className="attachment-preview"
      aria-label={`Open ${attachment.fileName} larger`}
      onClick={onOpen}
    >
      <img src={state.url} alt={attachment.fileName} />
    </button>
  );
}

function SaveControl(props: {
  attachment: Attachment;
  save: SaveState | undefined;
  fileDialogs: boolean;
  onSave: (path?: string) => void;
}) {
  const { attachment, save, fileDialogs, onSave } = props;
  const [path, setPath] = useState('');
  const saving = save?.status === 'saving';
  if (fileDialogs) {
    return (
      <button type="button" className="secondary" disabled={saving} onClick={() => onSave()}>
        <Download size={14} aria-hidden="true" /> Save
      </button>
    );
  }
  return (
    <form
      className="attachment-save"
      onSubmit={(e) => {
        e.preventDefault();
        if (path.trim() !== '') onSave(path.trim());
      }}
    >
      <label>
        <span className="visually-hidden">Save {attachment.fileName} to</span>
        <input
          value={path}
          placeholder="/home/you/file"
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => setPath(e.target.value)}
        />
      </label>
      <button type="submit" className="secondary" disabled={saving || path.trim() === ''}>
        <Download size={14} aria-hidden="true" /> Save
      </button>
    </form>
  );
}

export function AttachmentList(props: AttachmentListProps) {
  const { message, previews, progress, saves, fileDialogs, onNeedPreview, onSave } = props;
  const [open, setOpen] = useState<string | null>(null);
  const previewable = message.attachments.filter(mayPreview).map((a) => a.id);
  const wanted = previewable.join(',');
  useEffect(() => {
    for (const id of wanted === '' ? [] : wanted.split(',')) onNeedPreview(message, id);
    // `wanted` stands for the ids: a new message object with the same attachments asks nothing new.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [wanted, onNeedPreview]);
  if (message.attachments.length === 0) return null;
  return (
    <ul className="attachments" aria-label="Attachments">
      {message.attachments.map((a) => {
        const state = previews.get(a.id);
        const save = saves.get(a.id);
        return (
          <li key={a.id} className="attachment" data-attachment-id={a.id}>
            <Preview attachment={a} state={state} onOpen={() => setOpen(a.id)} />
            <div className="attachment-file">
              {/* A shown preview is the file; its name stays in the image's alt and the Save label. */}
              {state?.status !== 'ready' && (
                <>
                  <FileIcon size={16} aria-hidden="true" />
                  <span className="attachment-name" title={a.fileName}>
                    {a.fileName}
                  </span>
                </>
              )}
              <span className="attachment-size">{formatBytes(a.size)}</span>
              <SaveControl
                attachment={a}
                save={save}
                fileDialogs={fileDialogs}
                onSave={(path) => onSave(message, a.id, path)}
              />
            </div>
            <Progress name={a.fileName} transfer={progress.get(a.id)} />
            {save?.status === 'saved' && (
              <p className="attachment-saved" role="status">
                Saved to {save.path}
              </p>
            )}
            {save?.status === 'failed' && save.error !== undefined && <ErrorNote error={save.error} />}
            {open === a.id && state?.status === 'ready' && (
              <AttachmentLightbox
                url={state.url}
                mime={state.mime}
                name={a.fileName}
                onClose={() => setOpen(null)}
              />
            )}
          </li>
        );
      })}
    </ul>
  );
}
