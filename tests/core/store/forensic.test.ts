// Secure deletion, checked forensically: after destroyMessage nothing of the message is left in the
// decrypted database pages (free pages included), the WAL, the search index or the attachments folder;
// and a live profile folder on disk never shows plaintext.
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sql } from '../../../core/store/sql';
import { createProfile } from '../../../core/profile/index';
import { decryptDatabaseFile, decryptWalFile, occurrences } from '../../helpers/store/sqlcipherPages';
import {
  incomingMessage,
  openTestStore,
  passphraseChoice,
  tempDir,
  type TestStore,
} from '../../helpers/store/tempProfile';

/** A lowercase alphanumeric token, so FTS5 indexes it as one term we can look for. */
function marker(label: string): string {
  return `${label}${randomBytes(12).toString('hex')}`;
}

/** The whole database and WAL, decrypted page by page; every page must pass its HMAC. */
function decryptedEverything(t: TestStore): Buffer {
  const db = decryptDatabaseFile(t.path, t.key);
  const wal = decryptWalFile(`${t.path}-wal`, t.path, t.key);
  expect(db.pages).toBeGreaterThan(1);
  expect(db.badPages + wal.badPages).toBe(0);
  return Buffer.concat([db.plain, wal.plain]);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('secure deletion', () => {
  let t: TestStore | undefined;
  afterEach(() => t?.cleanup());

  it('leaves no trace of a destroyed message in the decrypted database, the WAL, the search index or the attachments folder', async () => {
    t = openTestStore({ checkpointDelayMs: 5 });
    const { store } = t;
    const gone = marker('zqgone');
    const kept = marker('zqkept');
    store.conversations.ensureDirect('peer');
    // Fill some pages so the marker shares pages with other rows, as in a real profile.
    for (let i = 0; i < 200; i++)
      store.messages.insert(incomingMessage('peer', { body: `filler text number ${i} ${'x'.repeat(150)}` }));
    const victim = store.messages.insert(incomingMessage('peer', { body: `secret ${gone} words` }));
    store.messages.insert(incomingMessage('peer', { body: `control ${kept} words` }));
    store.attachments.add({
      id: 'att-1',
      messageId: victim.id,
      fileName: 'note.txt',
      mime: 'text/plain',
      size: 0,
    });
    const stored = store.attachments.storeFile('att-1', Buffer.from(`attachment ${gone} body`.repeat(100)));
    const attachmentPath = join(t.attachmentsDir, stored.localPath!);
    // A second name for the same inode lets us read what the wipe wrote before the unlink.
    const witness = join(t.dir, 'witness');
    linkSync(attachmentPath, witness);

    // Positive control: the decryptor really sees the marker while the message is alive,
    // and the search index holds it.
    const before = decryptedEverything(t);
    expect(occurrences(before, gone)).toBeGreaterThan(0);
    expect(store.messages.search(gone)).toHaveLength(1);
    expect(readFileSync(witness).includes(Buffer.from(gone))).toBe(false); // encrypted at rest

    expect(store.destroyMessage(victim.id)).toBe(true);
    await sleep(100); // the scheduled wal_checkpoint(TRUNCATE)
    expect(statSync(`${t.path}-wal`).size).toBe(0);

    const everything = decryptedEverything(t);
    expect(occurrences(everything, gone)).toBe(0);
    // FTS5 stores terms prefix-compressed: look for the marker's tail too.
    expect(occurrences(everything, gone.slice(-12))).toBe(0);
    expect(occurrences(everything, kept)).toBeGreaterThan(0); // the decryption still works
    expect(store.messages.search(gone)).toHaveLength(0);
    expect(store.messages.search(kept)).toHaveLength(1);
    store.write.run(sql`CREATE VIRTUAL TABLE temp.fts_terms USING fts5vocab('main', 'messages_fts', 'row')`);
    expect(store.write.all(sql`SELECT term FROM temp.fts_terms WHERE term = ${gone}`)).toHaveLength(0);
    expect(store.write.all(sql`SELECT term FROM temp.fts_terms WHERE term = ${kept}`)).toHaveLength(1);
    expect(
      store.write.value<string>(sql`SELECT count(*) FROM attachments WHERE message_id = ${victim.id}`),
    ).toBe(0);

    // The attachment file was overwritten in place (the witness sees zeros) and unlinked.
    expect(existsSync(attachmentPath)).toBe(false);
    const wiped = readFileSync(witness);
    expect(wiped.length).toBeGreaterThan(0);
    expect(wiped.every((b) => b === 0)).toBe(true);
    expect(readdirSync(t.attachmentsDir)).toEqual([]);

    // And after closing, the file at rest is still clean.
    t.store.close();
    const atRest = decryptDatabaseFile(t.path, t.key);
    expect(atRest.badPages).toBe(0);
    expect(occurrences(atRest.plain, gone)).toBe(0);
    expect(occurrences(atRest.plain, kept)).toBeGreaterThan(0);
  });

  it('defers the scheduled WAL truncation while a transaction is open across awaits, then truncates after the commit', async () => {
    t = openTestStore({ checkpointDelayMs: 5 });
    const { store } = t;
    store.conversations.ensureDirect('peer');
    const m = store.messages.insert(incomingMessage('peer', { body: `inside ${marker('zqtx')}` }));
    // The engine holds BEGIN IMMEDIATE … COMMIT around async libsignal work.
    store.write.run(sql`BEGIN IMMEDIATE`);
    expect(store.destroyMessage(m.id)).toBe(true);
    await sleep(60); // the checkpoint timer fires inside the open transaction and must not throw
    expect(store.write.inTransaction).toBe(true);
    store.write.run(sql`COMMIT`);
    await sleep(100);
    expect(statSync(`${t.path}-wal`).size).toBe(0);
    expect(store.messages.has(m.id)).toBe(false);
  });

  it('keeps a live profile folder unreadable on disk: no plaintext marker and no "SQLite format 3" in any file', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const profileDir = join(dir, 'alice');
      const profile = await createProfile(profileDir, passphraseChoice());
      const live = marker('zqlive');
      const { store } = profile;
      store.conversations.ensureDirect('peer');
      for (let i = 0; i < 50; i++) {
        const m = store.messages.insert(incomingMessage('peer', { body: `${live} number ${i}` }));
        if (i === 0) {
          store.attachments.add({
            id: 'a',
            messageId: m.id,
            fileName: `${live}.txt`,
            mime: 'text/plain',
            size: 0,
          });
          store.attachments.storeFile('a', Buffer.from(`${live} inside the attachment`));
        }
      }
      store.settings.set('draft', live);
      // The WAL holds the recent pages: the scan must cover it while it is live.
      expect(statSync(join(profileDir, 'wisp.db-wal')).size).toBeGreaterThan(0);

      const files = listFiles(profileDir);
      const names = files.map((f) => f.slice(profileDir.length + 1));
      expect(names).toEqual(expect.arrayContaining(['profile.json', 'wisp.db', 'wisp.db-wal']));
      expect(names.filter((n) => n.startsWith('attachments/'))).toHaveLength(1);
      for (const file of files) {
        const bytes = readFileSync(file);
        expect(occurrences(bytes, live), file).toBe(0);
        expect(bytes.includes(Buffer.from('SQLite format 3', 'latin1')), file).toBe(false);
      }
      profile.close();
    } finally {
      cleanup();
    }
  });
});

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}
