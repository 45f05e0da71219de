// Composing: a message the user wrote (text, maybe a file) becomes the sender's stored copy and an
// outbox item in one group commit shared with every send waiting at that moment, then is flushed.
import type { EngineEvent, MessageView } from '../../common/engine';
import type { OpBody, OpResult } from '../../common/wire';
import { encodeContent, type AttachmentPointer, type Content } from '../../common/content';
import { expiresAtFor, validateTimers } from '../../common/timers';
import type { Store } from '../store';
import type { EncryptedFile } from '../store/attachmentFiles';
import type { RelayRoute } from '../relayClient/relayRoute';
import type { BurnScheduler } from './burnScheduler';
import { attachmentRow, uploadAttachment } from './attachments';
import { newContentId } from './ids';
import { messageState, messageView, type NameBook } from './views';
import type { SendOptions } from './index';
import { WispError } from '../../common/errors';
import type { IdentityGuard } from './identityGuard';
import type { Rooms } from './rooms';
import { directConversation } from './roomIntake';

export interface ComposeDeps {
  readonly store: Store;
  readonly book: NameBook;
  readonly accountId: string;
  readonly relayRoute: RelayRoute;
  readonly scheduler: BurnScheduler;
  clock(): number;
  serial<T>(fn: () => Promise<T>): Promise<T>;
  /** Creates the relay attachment for a message in `conversationId` (attachmentRoute.ts). */
  createAttachment(
    conversationId: string,
    body: OpBody<'attachment.create'>,
  ): Promise<OpResult<'attachment.create'>>;
  encode(content: Content): Uint8Array;
  emit(event: EngineEvent): void;
  tryFlush(): Promise<void>;
  readonly guard: IdentityGuard;
  readonly rooms: Rooms;
  readonly usernameValue: string | null;
  peersOf(conversationId: string): string[];
}

/** Matches the content schema's text limit (common/content). */
const MAX_TEXT_CHARS = 64 * 1024;

export class Compose {
  private readonly commitQueue: {
    run: () => unknown;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  }[] = [];

  constructor(private readonly d: ComposeDeps) {}

  /** Encodes outgoing content, stamped with our username so the recipient can name us. */
  encode(content: Content): Uint8Array {
    return encodeContent({ ...content, senderName: this.d.usernameValue });
  }

  /** Queues `content` for one contact, pairwise (receipts, room updates, sender keys). */
  enqueueDirect(to: string, content: Content, messageId: string | null): void {
    this.d.store.outbox.enqueue(
      { messageId, recipientId: to, kind: 'direct', payload: this.encode(content), expiresAt: null },
      this.d.clock(),
    );
  }

  /**
   * A direct message to a contact: `to` is a username or an account id, never a room. Names are
   * re-resolved at the relay on each send; a name now held by another account, a key that differs
   * from the pinned one or an unacknowledged identity change stops the send (IdentityChanged) unless
   * options.acceptIdentityChange.
   */
  async sendText(to: string, text: string, options: SendOptions): Promise<MessageView> {
    checkTextLength(text);
    const contact = await this.d.guard.forSend(to, options.acceptIdentityChange === true);
    const conversationId = directConversation(this.d.store, contact.accountId, this.d.clock()).id;
    return this.sendInto(conversationId, text, options);
  }

  /** A message to a room, by its id only. Stopped like sendText if a member's identity changed. */
  async sendToRoom(roomId: string, text: string, options: SendOptions): Promise<MessageView> {
    checkTextLength(text);
    const id = this.d.rooms.requireRoom(roomId);
    // Inside this memo scope the gate's one read of every contact (a large room) also answers the
    // seal's lookups of each member.
    return this.d.store.contacts.memoized(async () => {
      this.d.guard.gateMembers(this.d.peersOf(id), options.acceptIdentityChange === true);
      return this.sendInto(id, text, options);
    });
  }

  /** Stores and queues a text (with an optional file) in `conversationId`, then flushes the outbox. */
  async sendInto(conversationId: string, text: string, options: SendOptions): Promise<MessageView> {
    const conversation = this.d.store.conversations.require(conversationId);
    const isRoom = conversation.kind === 'room';
    const timers = validateTimers({
      expireAfterMs: options.expireAfterMs === undefined ? conversation.expireAfterMs : options.expireAfterMs,
      burnAfterMs: options.burnAfterMs === undefined ? conversation.burnAfterMs : options.burnAfterMs,
    });
    const id = newContentId();
    const sentAt = this.d.clock();
    const expiresAt = expiresAtFor({ sentAt, receivedAt: null, expireAfterMs: timers.expireAfterMs });
    const attachments: AttachmentPointer[] = [];
    let localCopy: EncryptedFile | null = null;
    if (options.file !== undefined) {
      const uploaded = await uploadAttachment(
        (body) => this.d.createAttachment(conversationId, body),
        this.d.relayRoute,
        options.file,
        expiresAt,
        this.d.store.attachments.folder,
        options.onProgress,
      );
      attachments.push(uploaded.pointer);
      localCopy = uploaded.local;
    }
    const content: Content = {
      v: 1,
      type: 'text',
      id,
      sentAt,
      roomId: isRoom ? conversationId : null,
      text,
      ...timers,
      attachments,
    };
    const commit = this.groupCommit(() => {
      const message = this.d.store.messages.insert(
        {
          id,
          conversationId,
          senderId: this.d.accountId,
          outgoing: true,
          kind: attachments.length > 0 ? 'attachment' : 'text',
          body: text,
          sentAt,
          receivedAt: sentAt,
          expireAfterMs: timers.expireAfterMs,
          burnAfterMs: timers.burnAfterMs,
          expiresAt,
          seenAt: sentAt,
          // Sender-side burn starts at sending (PRODUCT.md).
          burnAt: timers.burnAfterMs === null ? null : sentAt + timers.burnAfterMs,
          state: 'sending',
        },
        sentAt,
      );
      for (const a of attachments) {
        this.d.store.attachments.add(attachmentRow(a, a.id, id), sentAt);
        if (localCopy) this.d.store.attachments.adoptFile(a.id, localCopy);
      }
      this.d.store.outbox.enqueue(
        {
          messageId: id,
          recipientId: conversationId,
          kind: isRoom ? 'room' : 'direct',
          payload: this.encode(content),
          expiresAt,
        },
        sentAt,
      );
      return message;
    });
    const stored = await commit.catch((error: unknown) => {
      // Not stored: the sender's copy written during the upload goes too.
      if (localCopy) this.d.store.attachments.discardFile(localCopy);
      throw error;
    });
    this.d.scheduler.schedule(id, stored.destroyAt);
    const view = messageView(this.d.book, stored);
    this.d.emit({ type: 'message.added', message: view });
    await this.d.tryFlush();
    // Sending changes only the state (pending → sent, delivered, read, or failed): reuse the view.
    const after = this.d.store.messages.get(id);
    return after ? { ...view, state: messageState(after) } : view;
  }

  /**
   * Runs `fn` in a transaction shared with every other groupCommit call waiting at that moment:
   * a burst of sends costs one durable commit, not one each. Each call gets its own savepoint,
   * so one failing insert does not undo the others.
   */
  private groupCommit<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.commitQueue.push({ run: fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.commitQueue.length > 1) return;
      void this.d.serial(async () => {
        const jobs = this.commitQueue.splice(0);
        const results: { ok: boolean; value: unknown }[] = [];
        try {
          this.d.store.transaction(() => {
            for (const job of jobs) {
              try {
                results.push({ ok: true, value: this.d.store.transaction(job.run) });
              } catch (error) {
                results.push({ ok: false, value: error });
              }
            }
          });
        } catch (error) {
          for (const job of jobs) job.reject(error);
          return;
        }
        jobs.forEach((job, i) => {
          const r = results[i]!;
          if (r.ok) job.resolve(r.value);
          else job.reject(r.value);
        });
      });
    });
  }
}

function checkTextLength(text: string): void {
  if (text.length > MAX_TEXT_CHARS) {
    throw new WispError('InvalidInput', `a message holds at most ${MAX_TEXT_CHARS} characters`, {
      recovery: 'Send a long text as a file (--file).',
    });
  }
}
