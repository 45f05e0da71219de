// Migration 5: an inbox mark keeps no arrival time and does not outlive its purpose. Migration 4
// stored when every envelope was processed and kept the row forever: a timeline of arrivals that
// survived the messages it belonged to. A mark now holds only the envelope id and the time after
// which the relay can no longer deliver that envelope (its expiry plus a clock-skew margin); the
// engine forgets it as soon as the relay confirms the acknowledgement, and start-up sweeps marks
// whose deadline passed. Existing marks get the longest deadline the relay allows from now.
import type { Migration } from './types';

/** The relay keeps an envelope at most 30 days (relay/config.ts maxEnvelopeTtlMs); plus one day. */
const LEGACY_KEEP_MS = 31 * 24 * 60 * 60 * 1000;

export const m005InboxMarks: Migration = {
  version: 5,
  name: 'inbox marks without arrival times',
  up(db) {
    db.execMigration(`
      CREATE TABLE inbox_marks (
        envelope_id TEXT PRIMARY KEY,
        keep_until INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO inbox_marks (envelope_id, keep_until)
        SELECT envelope_id, CAST(unixepoch('subsec') * 1000 AS INTEGER) + ${LEGACY_KEEP_MS} FROM inbox_processed;
      DROP TABLE inbox_processed;
    `);
  },
};
