// Which profile tables a backup carries, in restore order (foreign keys first), and which it never
// carries, with why. A table added by a migration must be listed in one of the two (a test checks
// every table of the schema); columns are read generically, so a new column needs no change here.
import type { SqlQuery } from '../store/sql';
import { sql } from '../store/sql';

/** Messages whose earliest deadline falls before this are never exported. */
export const EXPORT_DEADLINE_MARGIN_MS = 24 * 60 * 60 * 1000;

export interface BackupTable {
  readonly table: string;
  /** What the rows are, as docs/BACKUP.md lists them. */
  readonly holds: string;
  /** Filter for export, given the cut-off (rows due before it stay out). */
  readonly exportWhere?: (cutoff: number) => SqlQuery;
  /** Columns that stay on this machine (re-made on import). */
  readonly omit?: readonly string[];
  /** Read in pages by rowid (large tables); others are read whole. */
  readonly paged?: boolean;
}

/** A message leaves the machine only if it is not burn-on-read and no deadline falls within the margin. */
export const exportableMessage = (cutoff: number): SqlQuery =>
  sql`burn_after_ms IS NULL AND burn_at IS NULL AND (destroy_at IS NULL OR destroy_at > ${cutoff})`;

export const backupTables: readonly BackupTable[] = [
  { table: 'local_identity', holds: 'the identity key pair, account id, registration id, relay' },
  { table: 'signal_prekeys', holds: 'one-time prekeys' },
  { table: 'signal_signed_prekeys', holds: 'signed prekeys' },
  { table: 'signal_kyber_prekeys', holds: 'Kyber prekeys (last-resort flag)' },
  { table: 'signal_kyber_base_keys', holds: 'base keys already used with a last-resort Kyber prekey' },
  { table: 'signal_sessions', holds: 'libsignal sessions (padded records)' },
  { table: 'signal_sender_keys', holds: 'room sender keys' },
  { table: 'contacts', holds: 'contacts: identity keys, verified and identity-changed flags' },
  { table: 'conversations', holds: 'conversations and rooms with their default timers' },
  { table: 'conversation_members', holds: 'room members and roles' },
  { table: 'settings', holds: 'settings and engine state (room state, receipt choices, prekey counters)' },
  {
    table: 'messages',
    holds: 'messages with every deadline (never burn-on-read, never due within 24 h)',
    exportWhere: exportableMessage,
    paged: true,
  },
  {
    table: 'attachments',
    holds: 'attachment rows; the file itself follows as attachment records',
    exportWhere: (cutoff) => sql`message_id IN (SELECT id FROM messages WHERE ${exportableMessage(cutoff)})`,
    omit: ['local_path', 'local_key'],
    paged: true,
  },
];

/** Tables a backup never carries. */
export const excludedTables: Readonly<Record<string, string>> = {
  inbox_marks:
    'envelope ids this machine already processed; the relay redelivers nothing it was acknowledged',
  outbox: 'sends in flight on this machine; they belong to the device that queued them',
  unreported_messages: 'what a headless `wisp sync` has not printed yet on this machine',
  send_tokens: 'single-use anonymous-send tokens, valid a day or two; the restored device is issued its own',
};

/** SQLite's own and FTS5's internal tables: rebuilt from the rows above. */
export function isInternalTable(name: string): boolean {
  return name.startsWith('sqlite_') || name.startsWith('messages_fts');
}
