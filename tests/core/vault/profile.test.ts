// Profile folders: create/open with typed errors, the metadata file holds no secret, rekey (also
// interrupted half-way) keeps the profile openable.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWispError } from '../../../common/errors';
import { createProfile, openProfile, readMetadata } from '../../../core/profile/index';
import { PassphraseKeyStore, newDatabaseKey } from '../../../core/vault/index';
import { Store } from '../../../core/store/store';
import { kindOfClosing } from '../../helpers/errors';
import { passphraseChoice, tempDir } from '../../helpers/store/tempProfile';

describe('profiles', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('wisp-profile-'));
  });
  afterEach(() => cleanup());

  it('creates a folder with the database, attachments/ and a metadata file, and reopens it with the passphrase', async () => {
    const profileDir = join(dir, 'alice');
    const created = await createProfile(profileDir, passphraseChoice());
    created.store.settings.set('hello', 'world');
    created.close();
    expect(readdirSync(profileDir).sort()).toEqual(['attachments', 'profile.json', 'wisp.db', 'wisp.lock']);
    // Owner-only: the folder, the attachments folder, the database and the metadata.
    expect(statSync(profileDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(profileDir, 'attachments')).mode & 0o777).toBe(0o700);
    expect(statSync(join(profileDir, 'wisp.db')).mode & 0o777).toBe(0o600);
    expect(statSync(join(profileDir, 'profile.json')).mode & 0o777).toBe(0o600);
    const metadata = readMetadata(profileDir);
    expect(metadata.profileId).toBe(created.id);
    expect(metadata.key.kind).toBe('passphrase');
    const opened = await openProfile(profileDir, passphraseChoice());
    expect(opened.store.settings.get('hello')).toBe('world');
    expect(opened.attachmentsDir).toBe(join(profileDir, 'attachments'));
    opened.close();
  });

  it('gives ProfileNotFound for a missing folder or a folder that is not a profile, and ProfileExists for an existing one', async () => {
    expect(await kindOfClosing(openProfile(join(dir, 'nope'), passphraseChoice()))).toBe('ProfileNotFound');
    mkdirSync(join(dir, 'empty'));
    expect(await kindOfClosing(openProfile(join(dir, 'empty'), passphraseChoice()))).toBe('ProfileNotFound');
    const profile = await createProfile(join(dir, 'p'), passphraseChoice());
    profile.close();
    expect(await kindOfClosing(createProfile(join(dir, 'p'), passphraseChoice()))).toBe('ProfileExists');
    mkdirSync(join(dir, 'busy'));
    writeFileSync(join(dir, 'busy', 'other.txt'), 'x');
    expect(await kindOfClosing(createProfile(join(dir, 'busy'), passphraseChoice()))).toBe('ProfileExists');
  });

  it('refuses a wrong passphrase with WrongPassphrase and a mismatched key store with a hint naming the right one', async () => {
    const profile = await createProfile(join(dir, 'p'), passphraseChoice('right'));
    profile.close();
    expect(await kindOfClosing(openProfile(join(dir, 'p'), passphraseChoice('wrong')))).toBe(
      'WrongPassphrase',
    );
    try {
      await openProfile(join(dir, 'p'), { kind: 'keychain', service: 'wisp-test-unused' });
      expect.unreachable();
    } catch (error) {
      expect(isWispError(error, 'InvalidInput')).toBe(true);
      expect((error as { recovery: string }).recovery).toMatch(/--keystore passphrase/);
    }
  });

  it('rekeys: the old key no longer opens the database, the profile still opens with its passphrase', async () => {
    const profileDir = join(dir, 'p');
    const profile = await createProfile(profileDir, passphraseChoice());
    profile.store.settings.set('kept', true);
    const oldKey = await new PassphraseKeyStore('correct horse battery staple').unseal(
      readMetadata(profileDir).key,
    );
    await profile.rekey();
    profile.close();
    expect(readMetadata(profileDir).pendingKey).toBeUndefined();
    expect(() =>
      Store.open({
        path: join(profileDir, 'wisp.db'),
        key: oldKey,
        attachmentsDir: join(profileDir, 'attachments'),
      }),
    ).toThrow(expect.objectContaining({ kind: 'WrongKey' }));
    const reopened = await openProfile(profileDir, passphraseChoice());
    expect(reopened.store.settings.get('kept')).toBe(true);
    reopened.close();
  });

  it('opens a profile whose rekey was interrupted after the database was rewritten (pending key becomes current)', async () => {
    const profileDir = join(dir, 'p');
    const profile = await createProfile(profileDir, passphraseChoice());
    profile.store.settings.set('kept', 1);
    // Simulate the crash window: new key sealed as pending and the database rewritten, metadata not yet switched.
    const metadata = readMetadata(profileDir);
    const next = newDatabaseKey();
    const pendingKey = await new PassphraseKeyStore('correct horse battery staple', {
      scrypt: { N: 2 ** 14, r: 8, p: 1 },
    }).seal('x', next);
    writeFileSync(join(profileDir, 'profile.json'), JSON.stringify({ ...metadata, pendingKey }));
    profile.store.rekey(next);
    profile.close();
    const reopened = await openProfile(profileDir, passphraseChoice());
    expect(reopened.store.settings.get('kept')).toBe(1);
    reopened.close();
    expect(readMetadata(profileDir).pendingKey).toBeUndefined();
    expect(readMetadata(profileDir).key).toEqual(pendingKey);
  });

  it('reports a damaged metadata file as DatabaseCorrupt', async () => {
    const profile = await createProfile(join(dir, 'p'), passphraseChoice());
    profile.close();
    writeFileSync(join(dir, 'p', 'profile.json'), '{"format":1');
    expect(await kindOfClosing(openProfile(join(dir, 'p'), passphraseChoice()))).toBe('DatabaseCorrupt');
    expect(existsSync(join(dir, 'p', 'wisp.db'))).toBe(true);
    expect(
      readFileSync(join(dir, 'p', 'wisp.db'))
        .subarray(0, 15)
        .toString('latin1'),
    ).not.toBe('SQLite format 3');
  });
});
