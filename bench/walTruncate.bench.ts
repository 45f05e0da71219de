// Issue 14: what emptying the SQLite WAL after every second of writes costs. The relay's storage
// (SqliteStorage, real files, durable fsynced sends) takes sends and acknowledgements as fast as it
// can, with the TRUNCATE checkpoint at its default interval (1 s) and, as the baseline in the same
// run, with it pushed out of reach; rounds alternate so load from elsewhere hits both alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { AccountHasher, legacyAccountHash } from '../relay/identity';
import { SqliteStorage } from '../relay/storage/sqlite';
import { resultLine } from './lib';

const ROUNDS = 5;
const ROUND_MS = 4000;
const CONCURRENT = 32; // sends in flight, each acknowledged once stored
const PAYLOAD_BYTES = 512;
const CAPS = { maxEnvelopes: 1e9, maxBytes: 1e12 };

async function round(
  truncateAfterWriteMs: number,
): Promise<{ rate: number; truncates: number; holdMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'wisp-bench-trunc-'));
  const hasher = new AccountHasher(randomBytes(32));
  const storage = new SqliteStorage({
    dataDir: dir,
    accountKeying: () => ({
      hash: (id) => hasher.hash(id),
      legacyHash: legacyAccountHash,
      keyCheck: () => hasher.keyCheck(),
    }),
    checkpoint: { truncateAfterWriteMs },
  });
  try {
    const recipients = Array.from({ length: 64 }, () => randomBytes(32));
    for (const idHash of recipients)
      await storage.createAccount({
        idHash,
        identityKey: randomBytes(33),
        registrationId: 1,
        createdOn: '2026-01-01',
      });
    let done = 0;
    const end = performance.now() + ROUND_MS;
    const worker = async (i: number) => {
      const recipientHash = recipients[i % recipients.length]!;
      while (performance.now() < end) {
        const id = randomUUID();
        const payload = randomBytes(PAYLOAD_BYTES);
        await storage.enqueue([{ recipientHash, id, payload, expiresAt: Date.now() + 3_600_000 }], CAPS);
        await storage.ack(recipientHash, [id]);
        done++;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => worker(i)));
    return {
      rate: done / ((performance.now() - started) / 1000),
      truncates: storage.checkpointStats.truncates,
      holdMs: storage.checkpointStats.truncateHoldMs,
    };
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const on: number[] = [];
  const off: number[] = [];
  let truncates = 0;
  let holdMs = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const t = await round(1000);
    on.push(t.rate);
    truncates += t.truncates;
    holdMs += t.holdMs;
    off.push((await round(3_600_000)).rate);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const value = mean(on);
  const baseline = mean(off);
  resultLine('walTruncate')({
    metric: 'send_and_ack_per_s_with_wal_truncate_every_1s',
    value: Math.round(value),
    unit: 'envelopes/s',
    baseline: Math.round(baseline),
    ratio: Math.round((value / baseline) * 1000) / 1000,
    target: `>= 0.9 x the same storage without the TRUNCATE checkpoint (${truncates} truncates in ${ROUNDS} rounds of ${ROUND_MS} ms, writes held ${Math.round(holdMs / Math.max(1, truncates))} ms each on average)`,
    pass: value >= 0.9 * baseline && truncates >= ROUNDS,
  });
}

await main();
