// The one wording of conversation notices (timer and room changes): the message list's notice row,
// the conversation list's preview and the CLI all print `noticeText`. Pure: a plain string, so
// callers render it as text (never HTML) and names others chose stay inert.
import type { ConversationTimers, Notice, NoticeParty } from './engine';

/**
 * How a notice names someone: ourselves "you", a confirmed username as it is, anyone else "an
 * unknown member" with the name another member gave marked as theirs — never a raw account id.
 */
export function partyName(party: NoticeParty, startsSentence = false): string {
  if (party.isSelf) return startsSentence ? 'You' : 'you';
  if (party.username !== null) return party.username;
  const label = startsSentence ? 'An unknown member' : 'an unknown member';
  return party.nameHint === null ? label : `${label} (says “${party.nameHint}”)`;
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

/** What a timer change sets (durations only: a notice carries no message content). */
export function describeTimers(t: ConversationTimers): string {
  if (t.expireAfterMs === null && t.burnAfterMs === null) return 'turned off disappearing messages';
  const parts = [
    t.expireAfterMs === null ? 'no expiration' : `messages expire after ${duration(t.expireAfterMs)}`,
    t.burnAfterMs === null ? 'no burn after reading' : `burn ${duration(t.burnAfterMs)} after reading`,
  ];
  return `set disappearing messages: ${parts.join(', ')}`;
}

/** The sentence a notice reads as, starting with who made the change. */
export function noticeText(notice: Notice): string {
  const actor = partyName(notice.actor, true);
  const self = (subject: NoticeParty) => subject.accountId === notice.actor.accountId;
  switch (notice.kind) {
    case 'timersChanged':
      return `${actor} ${describeTimers(notice.timers)}`;
    case 'created':
      return `${actor} created the room`;
    case 'memberAdded':
      return `${actor} added ${partyName(notice.subject)}`;
    case 'memberRemoved':
      return `${actor} removed ${partyName(notice.subject)}`;
    case 'left':
      return `${actor} left`;
    case 'promoted':
      return self(notice.subject)
        ? `${actor} became an admin`
        : `${actor} made ${partyName(notice.subject)} an admin`;
    case 'demoted':
      return self(notice.subject)
        ? `${actor} stepped down as an admin`
        : `${actor} removed ${partyName(notice.subject)} as an admin`;
    case 'renamed':
      return `${actor} renamed the room to ${notice.name}`;
    case 'roomChanged':
      return `${actor} changed the room`;
  }
}
