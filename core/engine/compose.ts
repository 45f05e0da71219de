// Composing: a message the user wrote (text, maybe a file) becomes the sender's stored copy and an
// outbox item in one group commit shared with every send waiting at that moment, then is flushed.
import type { EngineEvent, MessageView } from '../../common/engine';
import type { OpBody, OpResult } from '../../common/wire';
import type { AttachmentPointer, Content } from '../../common/content';
import { expiresAtFor, validateTimers } from '../../common/timers';
import type { Store } from '../store';
import type { EncryptedFile } from '../store/attachmentFiles';
import type { RelayRoute } from '../relayClient/relayRoute';
import type { BurnScheduler } from './burnScheduler';
import { attachmentRow, uploadAttachment } from './attachments';
import { newContentId } from './ids';
import { messageState, messageView, type NameBook } from './views';
import type { SendOptions } from './index';

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
}

export class Compose {
  private readonly commitQueue: {
    run: () => unknown;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  }[] = [];

  constructor(private readonly d: ComposeDeps) {}

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
          payload: this.d.encode(content),
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
