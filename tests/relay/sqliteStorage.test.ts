// The SQLite backend on its own: its WAL stays bounded under a steady stream of writes (checkpoints
// in the worker, then a short hold and a rewind), with every acknowledged envelope still readable;
// after acknowledgements a TRUNCATE checkpoint leaves no deleted envelope in the files; a database
// refuses a relay started with another account-hash key.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { AccountHasher, legacyAccountHash } from '../../relay/identity';
import { SqliteStorage } from '../../relay/storage/sqlite';
import type { AccountKeying } from '../../relay/storage/types';

function keying(key: Uint8Array = randomBytes(32)): () => AccountKeying {
  const h = new AccountHasher(key);
  return () => ({ hash: (id) => h.hash(id), legacyHash: legacyAccountHash, keyCheck: () => h.keyCheck() });
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('SQLite storage', () => {
  it('keeps the WAL bounded under steady writes and loses none of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-relay-wal-'));
    dirs.push(dir);
    const limit = 1024 * 1024;
    const key = keying();
    const storage = new SqliteStorage({
      dataDir: dir,
      accountKeying: key,
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

    const reopened = new SqliteStorage({ dataDir: dir, accountKeying: key });
    expect(await reopened.countQueued(recipient)).toBe(written);
    await reopened.close();
  });

  it('empties the WAL after acknowledgements, so no acknowledged envelope is left in any file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-relay-trunc-'));
    dirs.push(dir);
    const storage = new SqliteStorage({
      dataDir: dir,
      accountKeying: keying(),
      checkpoint: { intervalMs: 20, truncateAfterWriteMs: 50 },
    });
    const recipient = randomBytes(32);
    await storage.createAccount({
      idHash: recipient,
      identityKey: randomBytes(33),
      registrationId: 1,
      createdOn: '2026-01-01',
    });
    const caps = { maxEnvelopes: 1e9, maxBytes: 1e12 };
    const payloads = Array.from({ length: 20 }, () => randomBytes(2048));
    const ids = payloads.map(() => randomUUID());
    await storage.enqueue(
      payloads.map((payload, i) => ({
        recipientHash: recipient,
        id: ids[i]!,
        payload,
        expiresAt: 7_200_000,
      })),
      caps,
    );
    const files = () =>
      Buffer.concat(
        readdirSync(dir)
          .filter((f) => f.startsWith('relay.sqlite'))
          .map((f) => readFileSync(join(dir, f))),
      );
    // Positive control: the payloads are in the files while queued.
    expect(payloads.every((p) => files().includes(p.subarray(0, 64)))).toBe(true);
    const before = storage.checkpointStats.truncates;
    expect(await storage.ack(recipient, ids)).toBe(payloads.length);
    await expect.poll(() => storage.checkpointStats.truncates, { timeout: 10_000 }).toBeGreaterThan(before);
    expect(statSync(join(dir, 'relay.sqlite-wal')).size).toBe(0);
    const after = files();
    for (const p of payloads) expect(after.includes(p.subarray(0, 64))).toBe(false);
    await storage.close();
  });

  it('refuses to open a database made with another account-hash key, and changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wisp-relay-key-'));
    dirs.push(dir);
    const first = new SqliteStorage({ dataDir: dir, accountKeying: keying() });
    await first.close();
    expect(() => new SqliteStorage({ dataDir: dir, accountKeying: keying() })).toThrow(
      /another account-hash key/,
    );
  });
});
