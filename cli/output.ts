// How the CLI prints: with --json one JSON object per line on stdout, otherwise short human lines.
// Errors always go to stderr (as a JSON object under --json) so stdout stays machine-readable.
import { isWispError } from '../common/errors';
import type { ContactView, ConversationView, MessageView, SafetyNumberView } from '../common/engine';

export interface Output {
  json: boolean;
  /** One record: printed as a JSON line, or as the human line `human` builds. */
  record(value: object, human?: string): void;
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
      write((json || human === undefined ? JSON.stringify(value) : human) + '\n');
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
      out.record(
        messageRecord(m),
        `${iso(m.sentAt)} ${m.from}: ${m.text}${files}  (id=${m.id}${timers ? `; ${timers}` : ''})`,
      );
    },
    conversation(c) {
      out.record(
        c,
        `${c.kind} ${c.title} (id=${c.id}) members: ${c.members.join(', ')}${c.left ? ' [left]' : ''}`,
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
      const warn = v.identityChanged
        ? "\nWARNING: this contact's identity key changed. Compare the safety number again."
        : '';
      out.record(
        v,
        `Safety number with ${v.username ?? v.accountId}: ${groups}\n${v.verified ? 'verified' : 'not verified'}${warn}`,
      );
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
    const recovery = 'recovery' in body && body.recovery ? `\n${body.recovery}` : '';
    process.stderr.write(`wisp: ${body.kind}: ${body.message}${recovery}\n`);
  }
}
