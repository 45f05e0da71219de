// How the CLI prints: with --json one JSON object per line on stdout, otherwise short human lines.
// Errors always go to stderr (as a JSON object under --json) so stdout stays machine-readable.
// Human lines carry text other people chose (messages, names, file names), so every line is made
// inert for the terminal before it is written (escapeForTerminal); JSON is already inert.
import { isWispError } from '../common/errors';
import type { ContactView, ConversationView, MessageView, SafetyNumberView } from '../common/engine';
import { noticeText } from '../common/notices';

export interface Output {
  json: boolean;
  /**
   * One record: printed as a JSON line, or as the human line(s) `human` builds. Each human line is
   * escaped whole, so a line feed inside a value can never start a line of its own.
   */
  record(value: object, human?: string | readonly string[]): void;
  message(message: MessageView): void;
  conversation(conversation: ConversationView): void;
  contact(contact: ContactView): void;
  safetyNumber(view: SafetyNumberView): void;
}

/** The contract's message object (PRODUCT.md): these fields always present, null where unset. */
export function messageRecord(m: MessageView): Record<string, unknown> {
  return {
    id: m.id,
    from: m.from,
    text: m.text,
    sentAt: m.sentAt,
    expiresAt: m.expiresAt,
    burnAt: m.burnAt,
    seenAt: m.seenAt,
    conversationId: m.conversationId,
    outgoing: m.outgoing,
    receivedAt: m.receivedAt,
    expireAfterMs: m.expireAfterMs,
    burnAfterMs: m.burnAfterMs,
    state: m.state,
    attachments: m.attachments,
  };
}

/**
 * What a terminal would act on instead of showing: C0 controls (ESC starts CSI/OSC sequences, CR
 * and LF rewrite or forge lines, BS and TAB move the cursor), DEL, C1 (U+0080–U+009F; U+009B is a
 * one-character CSI and U+0085 a line break to some terminals), the bidi marks, embeddings,
 * overrides and isolates (U+061C, U+200E–F, U+202A–E, U+2066–9: they reorder the rest of the line)
 * and the line and paragraph separators (U+2028–9: a line break to some terminals and pagers).
 */
const TERMINAL_UNSAFE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/gu;
const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` with every terminal-unsafe character shown as a visible escape: \n \r \t, \xHH up to
 * U+00FF, \uHHHH above. Backslashes are left as they are: the point is that nothing acts on the
 * terminal, not that the escaping can be reversed (--json gives the exact text).
 */
export function escapeForTerminal(text: string): string {
  return text.replace(TERMINAL_UNSAFE, (c) => {
    const named = NAMED_ESCAPES[c];
    if (named !== undefined) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

function humanLines(human: string | readonly string[]): string {
  return (typeof human === 'string' ? [human] : human).map(escapeForTerminal).join('\n');
}

function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

export function createOutput(
  json: boolean,
  write: (line: string) => void = (l) => process.stdout.write(l),
): Output {
  const out: Output = {
    json,
    record(value, human) {
      write((json || human === undefined ? JSON.stringify(value) : humanLines(human)) + '\n');
    },
    message(m) {
      const timers = [
        m.expiresAt === null ? null : `expires ${iso(m.expiresAt)}`,
        m.burnAt === null
          ? m.burnAfterMs === null
            ? null
            : `burns ${m.burnAfterMs / 1000}s after read`
          : `burns ${iso(m.burnAt)}`,
      ]
        .filter((s) => s !== null)
        .join(', ');
      const files = m.attachments.map((a) => ` [file ${a.fileName} ${a.size} B id=${a.id}]`).join('');
      // A notice's sentence already names who made the change, in the app's own words.
      const line = m.notice ? `* ${noticeText(m.notice)}` : `${m.from}: ${m.text}${files}`;
      out.record(messageRecord(m), `${iso(m.sentAt)} ${line}  (id=${m.id}${timers ? `; ${timers}` : ''})`);
    },
    conversation(c) {
      out.record(
        c,
        `${c.kind} ${c.title} (id=${c.id}) members: ${c.members.join(', ')}` +
          (c.admins ? `; admins: ${c.admins.join(', ')}${c.isAdmin ? ' (you are an admin)' : ''}` : '') +
          (c.left ? ' [left]' : ''),
      );
    },
    contact(c) {
      const flags = [
        c.verified ? 'verified' : 'unverified',
        c.identityChanged ? 'IDENTITY KEY CHANGED' : null,
      ]
        .filter((s) => s !== null)
        .join(', ');
      out.record(c, `${c.username ?? c.accountId} (${flags})`);
    },
    safetyNumber(v) {
      const groups = v.digits.match(/.{1,5}/g)?.join(' ') ?? v.digits;
      out.record(v, [
        `Safety number with ${v.username ?? v.accountId}: ${groups}`,
        v.verified ? 'verified' : 'not verified',
        ...(v.identityChanged
          ? ["WARNING: this contact's identity key changed. Compare the safety number again."]
          : []),
      ]);
    },
  };
  return out;
}

export function printError(error: unknown, json: boolean): void {
  const body = isWispError(error)
    ? error.toJSON()
    : { kind: 'Internal', message: error instanceof Error ? error.message : String(error) };
  if (json) {
    process.stderr.write(JSON.stringify({ error: body }) + '\n');
  } else {
    // An error message can quote the relay or a file name: escaped like any human line.
    const lines = [`wisp: ${body.kind}: ${body.message}`];
    if ('recovery' in body && body.recovery) lines.push(body.recovery);
    process.stderr.write(humanLines(lines) + '\n');
  }
}
