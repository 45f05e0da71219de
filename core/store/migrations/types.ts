// Shape of one numbered schema migration.
import type { WritableDb } from '../database';

export interface Migration {
  /** Equals its position in the list, starting at 1; stored in PRAGMA user_version once applied. */
  readonly version: number;
  readonly name: string;
  /** Runs inside the migration's transaction. */
  up(db: WritableDb): void;
}
