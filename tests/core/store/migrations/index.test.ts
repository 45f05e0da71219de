// The migration list itself: numbered 1..n in order, and a fresh database ends at the last one.
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../../../../core/store/migrations/index';
import { rawDatabaseAt, type RawDatabase } from '../../../helpers/store/rawDatabase';

describe('migration list', () => {
  let raw: RawDatabase | undefined;
  afterEach(() => raw?.close());

  it('numbers migrations 1..n in list order and applies them all to a fresh database', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    raw = rawDatabaseAt(0);
    expect(raw.migrateTo()).toBe(migrations.length);
    // Running again is a no-op.
    expect(raw.migrateTo()).toBe(migrations.length);
  });
});
