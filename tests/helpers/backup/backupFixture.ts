// A populated profile for backup tests (real relay, real libsignal, real SQLCipher): alice with
// contacts (one verified), a room with members and default timers, kept messages, an attachment,
// and one of each never-exported class (burn-on-read seen and unseen, expiring within 24 h).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportBackup, type ExportProtection, type ExportResult } from '../../../core/backup';
import type { Identity } from '../../../core/backup/age';
import { parseIdentity } from '../../../core/backup/age';
import { openProfile, type Profile } from '../../../core/profile';
import { sql } from '../../../core/store/sql';
import { createWorld, testKeyStore, type TestWorld } from '../engine/fixtures';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** Texts of messages that must never leave the machine in a backup. */
export const NEVER_EXPORTED = {
  burnUnseen: 'burn-unseen-7f3a',
  burnSeen: 'burn-seen-91cc',
  burnSent: 'burn-sent-44e0',
  soon: 'expires-in-an-hour-5b21',
} as const;

export const KEPT = {
  plain: 'kept-plain-hello-bob',
  week: 'kept-expires-in-a-week',
  room: 'kept-room-hello',
  reply: 'kept-reply-from-bob',
} as const;

export interface BackupWorld {
  world: TestWorld;
  /** alice's profile folder (closed; open it with openAlice). */
  aliceDir: string;
  attachment: Buffer;
  openAlice(): Promise<Profile>;
  export(outFile: string, protection: ExportProtection, now?: number): Promise<ExportResult>;
}

export async function createBackupWorld(): Promise<BackupWorld> {
  const world = await createWorld();
  const alice = await world.create('alice');
  const bob = await world.create('bob');
  const carol = await world.create('carol');
  await alice.sendText('bob', KEPT.plain, {});
  await bob.sync();
  await bob.sendText('alice', KEPT.reply);
  await bob.sendText('alice', NEVER_EXPORTED.burnUnseen, { burnAfterMs: HOUR });
  const seen = await bob.sendText('alice', NEVER_EXPORTED.burnSeen, { burnAfterMs: 7 * DAY });
  await alice.sync();
  await alice.markSeen(seen.id);
  await alice.sendText('bob', NEVER_EXPORTED.burnSent, { burnAfterMs: 7 * DAY });
  await alice.sendText('bob', NEVER_EXPORTED.soon, { expireAfterMs: HOUR });
  await alice.sendText('bob', KEPT.week, { expireAfterMs: 7 * DAY });
  await alice.setVerified('bob', true);
  const room = await alice.createRoom('plans', ['bob', 'carol']);
  await alice.setConversationTimers(room.id, { expireAfterMs: 30 * DAY, burnAfterMs: null });
  await alice.sendToRoom(room.id, KEPT.room);
  const attachment = randomBytes(300_000);
  const file = join(world.root, 'photo.bin');
  writeFileSync(file, attachment);
  await alice.sendText('bob', 'with a file', { file });
  await bob.sync();
  await carol.sync();
  await alice.close();
  await bob.close();
  await carol.close();
  const aliceDir = world.profileDir('alice');
  const openAlice = () => openProfile(aliceDir, testKeyStore());
  return {
    world,
    aliceDir,
    attachment,
    openAlice,
    async export(outFile, protection, now) {
      const profile = await openAlice();
      try {
        return await exportBackup({
          store: profile.store,
          attachmentsDir: profile.attachmentsDir,
          outFile,
          protection,
          ...(now === undefined ? {} : { now }),
        });
      } finally {
        profile.close();
      }
    },
  };
}

export function recoveryIdentity(result: ExportResult): Identity[] {
  return [parseIdentity(result.recoveryKey!)];
}

/** Every row of a table, ordered, as plain objects (blobs as hex) for deep comparison. */
export function tableRows(profile: Profile, table: string, omit: string[] = []): Record<string, unknown>[] {
  if (!/^[a-z_]+$/.test(table)) throw new Error('bad table');
  const text = `SELECT * FROM "${table}" ORDER BY 1, 2`;
  const rows = profile.store.read.all<Record<string, unknown>>(sql(Object.assign([text], { raw: [text] })));
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(row)) {
      if (omit.includes(k)) continue;
      out[k] = Buffer.isBuffer(v) ? v.toString('hex') : v;
    }
    return out;
  });
}
