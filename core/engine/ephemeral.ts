// Ephemeral messages: the destruction of messages whose expiry or burn deadline has passed, and the
// scheduling of the rest (BurnScheduler). Never inside the inbox/outbox transaction.
import type { EngineEvent, DestroyReason as ViewDestroyReason } from '../../common/engine';
import type { Store } from '../store';
import type { BurnScheduler } from './burnScheduler';

export interface EphemeralDeps {
  store: Store;
  clock: () => number;
  scheduler: BurnScheduler;
  /** True while the engine's inbox/outbox transaction is open. */
  inTransaction(): boolean;
  emit(event: EngineEvent): void;
}

/** At open: sweeps and destroys what fell due while closed, and schedules every deadline. */
export function startEphemeral(d: EphemeralDeps): void {
  d.store.inbox.sweep(d.clock());
  d.store.destroyDue(d.clock());
  for (const { id, destroyAt } of d.store.messages.deadlines()) d.scheduler.schedule(id, destroyAt);
}
export async function destroyOverdue(d: EphemeralDeps): Promise<void> {
  const due = d.store.messages.due(d.clock());
  if (due.length > 0) await destroyDue(d, due);
}

export async function destroyDue(d: EphemeralDeps, ids: string[]): Promise<void> {
  if (d.inTransaction()) {
    // Never inside the inbox/outbox transaction (a rollback there must not undo a destruction):
    // retry right after it.
    setTimeout(() => void destroyDue(d, ids).catch(() => undefined), 1).unref();
    return;
  }
  const now = d.clock();
  for (const id of ids) {
    const m = d.store.messages.get(id);
    if (!m) continue;
    if (m.destroyAt === null || m.destroyAt > now) {
      d.scheduler.schedule(id, m.destroyAt);
      continue;
    }
    const reason: ViewDestroyReason = m.burnAt !== null && m.burnAt <= now ? 'burned' : 'expired';
    if (d.store.destroyMessage(id, 'deadline')) {
      d.scheduler.cancel(id);
      d.emit({ type: 'message.destroyed', id, conversationId: m.conversationId, reason });
      if (!m.outgoing && m.seenAt === null) {
        d.emit({ type: 'expired-unread', conversationId: m.conversationId, count: 1 });
      }
    }
  }
}
