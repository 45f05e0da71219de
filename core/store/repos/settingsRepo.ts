// Key/value settings, values stored as JSON text.
import { sql } from '../sql';
import type { WritableDb } from '../database';

export class SettingsRepo {
  constructor(private readonly db: WritableDb) {}

  get<T>(key: string): T | undefined {
    const value = this.db.value<string>(sql`SELECT value FROM settings WHERE key = ${key}`);
    return value === undefined ? undefined : (JSON.parse(value) as T);
  }

  set(key: string, value: unknown): void {
    this.db.run(sql`
      INSERT INTO settings (key, value) VALUES (${key}, ${JSON.stringify(value)})
      ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
  }

  delete(key: string): void {
    this.db.run(sql`DELETE FROM settings WHERE key = ${key}`);
  }

  all(): Record<string, unknown> {
    const rows = this.db.all<{ key: string; value: string }>(
      sql`SELECT key, value FROM settings ORDER BY key`,
    );
    return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
  }
}
