// Conversation notices: rows in a conversation that are not messages (a change of its default
// timers, a room's membership, roles or name), stored as 'system' messages (a JSON body of account
// ids, never names) so the UI and `wisp messages` show them in order; read back as a `Notice`
// (common/engine) that common/notices.ts words.
import { z } from 'zod';
import type { ConversationTimers, Notice, NoticeParty } from '../../common/engine';
import type { Message, NewMessage } from '../store';

interface TimerNoticeBody {
  notice: 'timers';
  expireAfterMs: number | null;
  burnAfterMs: number | null;
}

interface RoomNoticeBody {
  notice: 'room';
  action: string;
  subject: string | null;
  name: string;
}

/** A notice is a 'system' row that never expires and is seen at once (a notice is not unread). */
function noticeRow(
  args: { id: string; conversationId: string; senderId: string; outgoing: boolean; now: number },
  body: TimerNoticeBody | RoomNoticeBody,
): NewMessage {
  return {
    id: args.id,
    conversationId: args.conversationId,
    senderId: args.senderId,
    outgoing: args.outgoing,
    kind: 'system',
    body: JSON.stringify(body),
    sentAt: args.now,
    receivedAt: args.now,
    expireAfterMs: null,
    burnAfterMs: null,
    expiresAt: null,
    seenAt: args.now,
    state: args.outgoing ? 'sent' : 'received',
  };
}

/** The row that records a timer change by `senderId` (ourselves when outgoing). Never expires. */
export function timerNotice(args: {
  id: string;
  conversationId: string;
  senderId: string;
  outgoing: boolean;
  timers: ConversationTimers;
  now: number;
}): NewMessage {
  const body: TimerNoticeBody = {
    notice: 'timers',
    expireAfterMs: args.timers.expireAfterMs,
    burnAfterMs: args.timers.burnAfterMs,
  };
  return noticeRow(args, body);
}

/** The row that records a room change (member added, removed, left, promoted, demoted, renamed). */
export function roomNotice(args: {
  id: string;
  conversationId: string;
  senderId: string;
  outgoing: boolean;
  action: string;
  subject: string | null;
  name: string;
  now: number;
}): NewMessage {
  const body: RoomNoticeBody = {
    notice: 'room',
    action: args.action,
    subject: args.subject,
    name: args.name,
  };
  return noticeRow(args, body);
}

/** What a stored notice body may hold: every shape written since notices were first stored. */
const StoredNotice = z.discriminatedUnion('notice', [
  z.object({
    notice: z.literal('timers'),
    expireAfterMs: z.number().int().nullable().catch(null),
    burnAfterMs: z.number().int().nullable().catch(null),
  }),
  z.object({
    notice: z.literal('room'),
    action: z.string().catch('change'),
    subject: z.string().nullable().catch(null),
    name: z.string().catch(''),
  }),
]);

/** The stored room actions that name the member concerned, by the notice kind they become. */
const SUBJECT_KINDS = new Map<string, 'memberAdded' | 'memberRemoved' | 'promoted' | 'demoted'>([
  ['add', 'memberAdded'],
  ['remove', 'memberRemoved'],
  ['promote', 'promoted'],
  ['demote', 'demoted'],
]);

/**
 * The notice a stored row carries, as data, or null for an ordinary message. Rows keep account
 * ids, never names: `party(id)` names them as the engine knows them now (see views.ts).
 */
export function noticeOf(m: Message, party: (accountId: string) => NoticeParty): Notice | null {
  if (m.kind !== 'system' || m.body === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(m.body);
  } catch {
    return null;
  }
  const parsed = StoredNotice.safeParse(json);
  if (!parsed.success) return null;
  const body = parsed.data;
  const actor = party(m.senderId);
  if (body.notice === 'timers') {
    return {
      kind: 'timersChanged',
      actor,
      timers: { expireAfterMs: body.expireAfterMs, burnAfterMs: body.burnAfterMs },
    };
  }
  switch (body.action) {
    case 'create':
      return { kind: 'created', actor };
    case 'leave':
      return { kind: 'left', actor };
    case 'rename':
      return { kind: 'renamed', actor, name: body.name };
  }
  const kind = SUBJECT_KINDS.get(body.action);
  if (kind === undefined || body.subject === null) return { kind: 'roomChanged', actor };
  return { kind, actor, subject: party(body.subject) };
}
