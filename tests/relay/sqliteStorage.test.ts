// The SQLite backend on its own: its WAL stays bounded under a steady stream of writes (checkpoints
// in the worker, then a short hold and a rewind), with every acknowledged envelope still readable.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { SqliteStorage } from '../../relay/storage/sqlite';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SQLite storage', () => {
  it('keeps the WAL bounded under steady writes and loses none of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-relay-wal-'));
    dirs.push(dir);
    const limit = 1024 * 1024;
    const storage = new SqliteStorage({
      dataDir: dir,
      checkpoint: { rewindMinFrames: 64, walSizeLimitBytes: limit, intervalMs: 20 },
    });
    const recipient = randomBytes(32);
    await storage.createAccount({
      idHash: recipient,
      identityKey: randomBytes(33),
      registrationId: 1,
      createdOn: '2026-01-01',
    });
    const caps = { maxEnvelopes: 1e9, maxBytes: 1e12 };
    let written = 0;
    let maxWal = 0;
    const end = Date.now() + 2500;
    while (Date.now() < end) {
      // 16 concurrent sends of 8 KiB: one group commit each round.
      await Promise.all(
        Array.from({ length: 16 }, () =>
          storage.enqueue(
            [
              {
                recipientHash: recipient,
                id: randomUUID(),
                payload: randomBytes(8192),
                expiresAt: Date.now() + 60_000,
              },
            ],
            randomBytes(32),
            caps,
          ),
        ),
      );
      written += 16;
      maxWal = Math.max(maxWal, statSync(join(dir, 'relay.sqlite-wal')).size);
    }
    // Without rewinds the WAL would hold every page written (well over 10 MiB here).
    expect(written * 8192).toBeGreaterThan(10 * limit);
    expect(statSync(join(dir, 'relay.sqlite-wal')).size).toBeLessThanOrEqual(4 * limit);
    expect(maxWal).toBeLessThan((written * 8192) / 2);
    // The final pass (commits held, WAL rewound) ran, and held commits were not lost.
    expect(storage.checkpointStats.finalPasses).toBeGreaterThan(0);
    expect(storage.checkpointStats.rewinds).toBeGreaterThan(0);
    expect(await storage.countQueued(recipient)).toBe(written);
    await storage.close();

    const reopened = new SqliteStorage({ dataDir: dir });
    expect(await reopened.countQueued(recipient)).toBe(written);
    await reopened.close();
  });
});
