// Conversation notices: rows in a conversation that are not messages (a change of its default
// timers, a room's membership, roles or name), stored as 'system' messages so the UI and
// `wisp messages` show them in order.
import type { ConversationTimers } from '../../common/engine';
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

function duration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms % size === 0 && ms >= size) return `${ms / size} ${unit}`;
  return `${ms} ms`;
}

/** The sentence a timer notice shows (no message content: only durations). */
export function describeTimers(t: ConversationTimers): string {
  if (t.expireAfterMs === null && t.burnAfterMs === null) return 'Disappearing messages turned off';
  const parts = [
    t.expireAfterMs === null ? 'no expiration' : `messages expire after ${duration(t.expireAfterMs)}`,
    t.burnAfterMs === null ? 'no burn after reading' : `burn ${duration(t.burnAfterMs)} after reading`,
  ];
  return `Disappearing messages: ${parts.join(', ')}`;
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

const ROOM_VERBS: Record<string, string> = {
  create: 'created the room',
  add: 'added',
  remove: 'removed',
  leave: 'left',
  promote: 'made an admin:',
  demote: 'is no longer an admin:',
  rename: 'renamed the room to',
};

/**
 * The notice a stored row carries, or null for an ordinary message. `name(id)` gives the display
 * name of an account (room notices name the member concerned).
 */
export function noticeOf(
  m: Message,
  name: (accountId: string) => string = (id) => id,
): { timers?: ConversationTimers; room?: { action: string; subject: string | null }; text: string } | null {
  if (m.kind !== 'system' || m.body === null) return null;
  try {
    const body = JSON.parse(m.body) as Partial<TimerNoticeBody> | Partial<RoomNoticeBody>;
    if (body.notice === 'room') {
      const b = body;
      const action = b.action ?? 'change';
      const subject = b.subject ?? null;
      const verb = ROOM_VERBS[action] ?? 'changed the room';
      const who = name(m.senderId);
      const text =
        action === 'rename'
          ? `${who} ${verb} ${b.name ?? ''}`
          : action === 'leave' || action === 'create' || subject === null
            ? `${who} ${verb}`
            : `${who} ${verb} ${name(subject)}`;
      return { room: { action, subject }, text };
    }
    if (body.notice !== 'timers') return null;
    const timers = { expireAfterMs: body.expireAfterMs ?? null, burnAfterMs: body.burnAfterMs ?? null };
    return { timers, text: describeTimers(timers) };
  } catch {
    return null;
  }
}
