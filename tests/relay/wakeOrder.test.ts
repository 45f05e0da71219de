// The SQLite backend's wakes (relay/storage/sqlite/wakeQueue.ts): a multi-recipient send answers
// its sender before it wakes its many recipients, every one of them is still woken, and wakes
// leave in commit order, so a recipient is never woken for a later envelope before an earlier one
// (a live session would skip the earlier one until its next read).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { AccountHasher, legacyAccountHash } from '../../relay/identity';
import { SqliteStorage } from '../../relay/storage/sqlite';
import { DEFER_WAKES_OVER } from '../../relay/storage/sqlite/wakeQueue';
import type { NewEnvelope } from '../../relay/storage/types';

const caps = { maxEnvelopes: 1e9, maxBytes: 1e12 };
const dirs: string[] = [];
const open: SqliteStorage[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function storageWith(accounts: number) {
  const dir = mkdtempSync(join(tmpdir(), 'wisp-relay-wakes-'));
  dirs.push(dir);
  const h = new AccountHasher(randomBytes(32));
  const storage = new SqliteStorage({
    dataDir: dir,
    accountKeying: () => ({
      hash: (id) => h.hash(id),
      legacyHash: legacyAccountHash,
      keyCheck: () => h.keyCheck(),
    }),
  });
  open.push(storage);
  const hashes: Buffer[] = [];
  for (let i = 0; i < accounts; i++) {
    const idHash = randomBytes(32);
    await storage.createAccount({
      idHash,
      identityKey: randomBytes(33),
      registrationId: 1,
      createdOn: '2026-01-01',
    });
    hashes.push(idHash);
  }
  const events: { hashHex: string | null; seq: number | undefined }[] = [];
  storage.onWake((hashHex, envelope) => events.push({ hashHex, seq: envelope?.seq }));
  return { storage, hashes, events };
}

function envelopesTo(hashes: Buffer[]): NewEnvelope[] {
  const shared = { bytes: randomBytes(512) };
  return hashes.map((recipientHash) => ({
    recipientHash,
    id: randomUUID(),
    payload: randomBytes(40),
    shared,
    expiresAt: Date.now() + 60_000,
  }));
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setImmediate(r));
}

describe('SQLite storage wakes', () => {
  it('answers a multi-recipient send before waking its recipients, then wakes every one', async () => {
    const n = DEFER_WAKES_OVER * 5;
    const { storage, hashes, events } = await storageWith(n);
    let wakesAtAnswer = -1;
    const outcomes = await storage.enqueue(envelopesTo(hashes), caps).then((o) => {
      wakesAtAnswer = events.length;
      return o;
    });
    expect(outcomes.every((o) => o === 'stored')).toBe(true);
    expect(wakesAtAnswer).toBe(0);
    await until(() => events.length >= n);
    expect(new Set(events.map((e) => e.hashHex))).toEqual(new Set(hashes.map((h) => h.toString('hex'))));
    expect(events.every((e) => e.seq !== undefined)).toBe(true);
  });

  it('wakes a small send at once when nothing is queued before it', async () => {
    const { storage, hashes, events } = await storageWith(1);
    let wakesAtAnswer = -1;
    await storage.enqueue(envelopesTo(hashes), caps).then(() => {
      wakesAtAnswer = events.length;
    });
    expect(wakesAtAnswer).toBe(1);
  });

  it('keeps commit order: a send behind a deferred one wakes its recipient after it', async () => {
    const n = DEFER_WAKES_OVER * 5;
    const { storage, hashes, events } = await storageWith(n);
    const target = hashes[n - 1]!.toString('hex');
    // The room send, then (same group commit, later) a direct one to the room's last member.
    const room = storage.enqueue(envelopesTo(hashes), caps);
    const direct = storage.enqueue(envelopesTo([hashes[n - 1]!]), caps);
    await Promise.all([room, direct]);
    await until(() => events.length >= n + 1);
    const forTarget = events.filter((e) => e.hashHex === target).map((e) => e.seq!);
    expect(forTarget).toHaveLength(2);
    expect(forTarget[0]).toBeLessThan(forTarget[1]!);
    // And across commits made one after another while the first batch waits.
    events.length = 0;
    const first = storage.enqueue(envelopesTo(hashes), caps);
    await new Promise((r) => setImmediate(r));
    const second = storage.enqueue(envelopesTo([hashes[0]!]), caps);
    await Promise.all([first, second]);
    await until(() => events.length >= n + 1);
    const forFirst = events.filter((e) => e.hashHex === hashes[0]!.toString('hex')).map((e) => e.seq!);
    expect(forFirst).toHaveLength(2);
    expect(forFirst[0]).toBeLessThan(forFirst[1]!);
  });
});
