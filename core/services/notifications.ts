// Notifications of new messages, decided here so main/ stays glue: what a notification may say
// (the user's mode: nothing, "New message", the sender, or the sender and the text), and that every
// notification of a message is withdrawn when that message is read, expires, burns or is deleted,
// and all of them at lock. Never one for a message already past its deadline, or already seen.
import type { MessageView } from '../../common/engine';
import type { NotificationMode, NotificationView, WispEvent } from '../../common/ipc';
import type { NotificationSink } from './platform';

export interface NotifierOptions {
  /** The unread total over every conversation, read after messages change. */
  unreadTotal(): Promise<number>;
  emit(event: WispEvent): void;
  sink?: NotificationSink | undefined;
  now?: () => number;
}

/** A burst of arrivals (a sync of 500) recounts the badge once. */
const BADGE_DELAY_MS = 100;

export function notificationFor(message: MessageView, mode: NotificationMode): NotificationView | null {
  if (mode === 'off') return null;
  // An unread burn-on-read text never shows outside its conversation (as in the list's preview).
  const text = message.burnAfterMs !== null ? 'Burn-on-read message' : message.text || 'Attachment';
  return {
    id: message.id,
    conversationId: message.conversationId,
    title: mode === 'new-message' ? 'Wisp' : message.from,
    body: mode === 'sender-and-text' ? text : 'New message',
  };
}

function isPastDeadline(message: MessageView, now: number): boolean {
  return [message.expiresAt, message.burnAt].some((d) => d !== null && d <= now);
}

export class Notifier {
  private readonly shown = new Map<string, NotificationView>();
  private badgeTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private mode: NotificationMode = 'new-message';

  constructor(private readonly options: NotifierOptions) {}

  /** The user's choice (preferences); applies to the next arrival. */
  setMode(mode: NotificationMode): void {
    this.mode = mode;
    if (mode === 'off') for (const id of [...this.shown.keys()]) this.withdraw(id);
  }

  /** Follows the engine's events; call with every one of them. */
  handle(event: WispEvent): void {
    switch (event.type) {
      case 'message.added':
        if (!event.message.outgoing && event.message.seenAt === null) this.arrived(event.message);
        this.recountLater();
        break;
      case 'message.updated':
        if (event.message.seenAt !== null) this.withdraw(event.message.id);
        this.recountLater();
        break;
      case 'message.destroyed':
        this.withdraw(event.id);
        this.recountLater();
        break;
      case 'conversation.changed':
      case 'expired-unread':
        this.recountLater();
        break;
      default:
        break;
    }
  }

  /** Lock or close: nothing of this profile stays on screen. */
  withdrawAll(): void {
    for (const id of [...this.shown.keys()]) this.withdraw(id);
    if (this.badgeTimer !== null) clearTimeout(this.badgeTimer);
    this.badgeTimer = null;
    this.options.sink?.setBadge(0);
    this.options.emit({ type: 'badge.changed', count: 0 });
  }

  private arrived(message: MessageView): void {
    if (this.closed || isPastDeadline(message, (this.options.now ?? Date.now)())) return;
    const notification = notificationFor(message, this.mode);
    if (notification === null) return;
    this.shown.set(message.id, notification);
    this.options.sink?.show(notification);
    this.options.emit({ type: 'notification.shown', notification });
  }

  private withdraw(id: string): void {
    if (!this.shown.delete(id)) return;
    this.options.sink?.withdraw(id);
    this.options.emit({ type: 'notification.withdrawn', id });
  }

  private recountLater(): void {
    if (this.badgeTimer !== null || this.closed) return;
    this.badgeTimer = setTimeout(() => {
      this.badgeTimer = null;
      this.options.unreadTotal().then(
        (count) => {
          if (this.closed) return;
          this.options.sink?.setBadge(count);
          this.options.emit({ type: 'badge.changed', count });
        },
        () => undefined, // locked meanwhile: withdrawAll already cleared the badge
      );
    }, BADGE_DELAY_MS);
  }
}
