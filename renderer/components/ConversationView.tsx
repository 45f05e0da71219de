// One conversation: its messages oldest first with timer badges, and the composer. Pure: the
// container decides what "seen" means and passes `messageRef` to watch each message's visibility.
// The list is virtualized and pages older messages in (MessageList).
import { useState, type ReactNode, type Ref } from 'react';
import type { MessageView } from '../../common/engine';
import { AttachmentChip } from './AttachmentChip';
import { Composer, type ComposerTimers } from './Composer';
import { ErrorNote } from './ErrorNote';
import { MessageList } from './MessageList';

export interface ConversationViewProps {
  title: string;
  messages: MessageView[];
  /** Ids of messages playing their burn-away. */
  burning: ReadonlySet<string>;
  expiredUnread: number;
  now: number;
  defaultTimers: ComposerTimers;
  sending: boolean;
  error: { message: string; recovery?: string | undefined } | null;
  onSend: (text: string, timers: ComposerTimers, file?: File) => void;
  messageRef?: (message: MessageView) => Ref<HTMLLIElement> | undefined;
  /** Rooms: name the sender on each incoming message (default true). */
  showSenders?: boolean;
  /** Direct conversations: the user marked the contact's safety number as compared. */
  verified?: boolean;
  /** Direct conversations: opens the safety number. */
  onShowSafetyNumber?: () => void;
  /** The contact's identity key changed since it was verified or first seen. */
  identityChanged?: boolean;
  /** Rooms: shown in the header after the title (member count, room details button). */
  headerExtra?: ReactNode;
  /** Shown between the header and the messages (the safety number panel). */
  children?: ReactNode;
  /** Older messages exist beyond the loaded ones; `onLoadOlder` asks for the previous page. */
  hasMore?: boolean;
  onLoadOlder?: () => void;
  /** Per-message controls (copy, delete for me, retry). */
  renderActions?: (message: MessageView) => ReactNode;
  /** Opens an https link of a message (the container confirms first). */
  onOpenLink?: (url: string) => void;
  /** A message's files and previews; with it the composer offers attaching (button, drop, paste). */
  renderAttachments?: (message: MessageView) => ReactNode;
  /** The file being sent and how far (0–1), shown until its message appears. */
  uploading?: { name: string; size: number; progress: number } | null;
  /** In place of the composer: why nothing can be sent here (a room the user is no longer in). */
  composerClosed?: ReactNode;
}

export function ConversationView(props: ConversationViewProps) {
  const { title, messages, burning, expiredUnread, now, defaultTimers, sending, error, onSend, messageRef } =
    props;
  const { onShowSafetyNumber, identityChanged = false, showSenders = true, verified, children } = props;
  const {
    hasMore = false,
    onLoadOlder,
    renderActions,
    onOpenLink,
    renderAttachments,
    uploading = null,
    headerExtra,
    composerClosed,
  } = props;
  const [attachment, setAttachment] = useState<File | null>(null);
  const [dragging, setDragging] = useState(false);
  const attaching = renderAttachments !== undefined && composerClosed === undefined;
  return (
    <section
      className={dragging ? 'conversation dropping' : 'conversation'}
      aria-label={`Conversation with ${title}`}
      // A file dropped anywhere on the conversation becomes the composer's attachment.
      onDragOver={(e) => {
        if (!attaching || !e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(e) => {
        if (!attaching) return;
        e.preventDefault();
        setDragging(false);
        const file = e.dataTransfer.files[0];
        if (file !== undefined) setAttachment(file);
      }}
    >
      <header>
        <h2>{title}</h2>
        {headerExtra}
        {verified !== undefined && (
          <span className={verified ? 'trust verified' : 'trust'}>
            {verified ? 'Verified' : 'Not verified'}
          </span>
        )}
        {onShowSafetyNumber && (
          <button type="button" className="secondary" onClick={onShowSafetyNumber}>
            Safety number
          </button>
        )}
      </header>
      {identityChanged && (
        <p className="warning" role="alert">
          {title}&apos;s identity key changed. This can mean a new device, or someone in the middle: check the
          safety number.
        </p>
      )}
      {children}
      {expiredUnread > 0 && (
        <p className="notice">
          {expiredUnread === 1 ? 'One message' : `${expiredUnread} messages`} expired before you could read
          {expiredUnread === 1 ? ' it' : ' them'}.
        </p>
      )}
      {/* Only arrivals are announced: the ticking countdowns would otherwise be read every second. */}
      <MessageList
        messages={messages}
        burning={burning}
        now={now}
        showSenders={showSenders}
        messageRef={messageRef}
        hasMore={hasMore}
        onLoadOlder={onLoadOlder}
        renderActions={renderActions}
        renderAttachments={renderAttachments}
        onOpenLink={onOpenLink}
      />
      {messages.length === 0 && (
        <p className="empty">
          No messages yet. Choose how long each message lives below: it can expire for everyone, or burn soon
          after it is read.
        </p>
      )}
      <ErrorNote error={error} />
      {uploading !== null && (
        <AttachmentChip
          name={uploading.name}
          size={uploading.size}
          progress={uploading.progress}
          onRemove={() => {}}
        />
      )}
      {dragging && (
        <p className="drop-hint" aria-hidden="true">
          Drop the file to attach it
        </p>
      )}
      {composerClosed ?? (
        <Composer
          key={title}
          initialTimers={defaultTimers}
          busy={sending}
          onSend={onSend}
          {...(attaching ? { attachment, onAttach: setAttachment } : {})}
        />
      )}
    </section>
  );
}
