// One opener per profile: a second open (same process, another process, the real `wisp` CLI) is
// refused with ProfileInUse and changes nothing; close() and the death of the holder (kill -9)
// release the lock with no clean-up step.
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWispError, type WispError } from '../../../common/errors';
import { LOCK_FILE, createProfile, openProfile, type Profile } from '../../../core/profile/index';
import { CLI_PASSPHRASE, createCliWorld, runWisp } from '../../helpers/engine/cli';
import { spawnHolder, type Holder } from '../../helpers/profile/spawnHolder';
import { passphraseChoice, tempDir } from '../../helpers/store/tempProfile';

async function failure(promise: Promise<Profile>): Promise<WispError> {
  let opened: Profile;
  try {
    opened = await promise;
  } catch (error) {
    if (isWispError(error)) return error;
    throw error;
  }
  opened.close();
  throw new Error('expected the open to fail, but it succeeded');
}

/** Every file in the folder with its bytes, to show a refused open changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (sub: string): void => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      // The lock file is only stat'ed: reading it would open and close a descriptor on it, and
      // closing any descriptor of a file drops this process's POSIX locks on that file.
      else if (entry.name === LOCK_FILE) out[rel] = `size ${statSync(join(dir, rel)).size}`;
      else out[rel] = readFileSync(join(dir, rel)).toString('base64');
    }
  };
  walk('');
  return out;
}

describe('profile lock', () => {
  let dir: string;
  let cleanup: () => void;
  const open: Profile[] = [];
  const holders: Holder[] = [];
  beforeEach(() => {
    ({ dir, cleanup } = tempDir('wisp-profile-lock-'));
  });
  afterEach(async () => {
    for (const h of holders.splice(0)) await h.kill9();
    for (const p of open.splice(0)) p.close();
    cleanup();
  });

  it('refuses a second open in the same process with ProfileInUse, changes nothing, and opens after close()', async () => {
    const profileDir = join(dir, 'alice');
    const first = await createProfile(profileDir, passphraseChoice());
    first.store.settings.set('draft', 'kept');
    first.close();
    const holder = await openProfile(profileDir, passphraseChoice());
    open.push(holder);
    const before = snapshot(profileDir);

    const refused = await failure(openProfile(profileDir, passphraseChoice()));
    expect(refused.kind).toBe('ProfileInUse');
    expect(refused.recovery).toMatch(/close the other Wisp window or `wisp` command/i);
    // A wrong passphrase is not even tried: the lock comes first, so the answer is the same.
    expect((await failure(openProfile(profileDir, passphraseChoice('wrong')))).kind).toBe('ProfileInUse');
    expect(snapshot(profileDir)).toEqual(before);
    // The holder is untouched and keeps working.
    expect(holder.store.settings.get('draft')).toBe('kept');
    holder.store.settings.set('draft', 'changed by the holder');

    holder.close();
    open.pop();
    const reopened = await openProfile(profileDir, passphraseChoice());
    open.push(reopened);
    expect(reopened.store.settings.get('draft')).toBe('changed by the holder');
  });

  it('holds the lock from createProfile on, and releases it when an open fails', async () => {
    const profileDir = join(dir, 'bob');
    const created = await createProfile(profileDir, passphraseChoice());
    expect((await failure(openProfile(profileDir, passphraseChoice()))).kind).toBe('ProfileInUse');
    created.close();
    // A failed open (wrong passphrase, after the lock was taken) must not leave the lock held.
    expect((await failure(openProfile(profileDir, passphraseChoice('wrong')))).kind).toBe('WrongPassphrase');
    const opened = await openProfile(profileDir, passphraseChoice());
    open.push(opened);
  });

  it('lets only one of two simultaneous creates of the same folder win', async () => {
    const profileDir = join(dir, 'carol');
    const results = await Promise.allSettled([
      createProfile(profileDir, passphraseChoice()),
      createProfile(profileDir, passphraseChoice()),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const winner = (won[0] as PromiseFulfilledResult<Profile>).value;
    open.push(winner);
    const reason = (lost[0] as PromiseRejectedResult).reason as unknown;
    expect(isWispError(reason, 'ProfileInUse') || isWispError(reason, 'ProfileExists')).toBe(true);
    // The loser removed nothing of the winner's profile.
    winner.store.settings.set('ok', true);
    winner.close();
    open.pop();
    const reopened = await openProfile(profileDir, passphraseChoice());
    open.push(reopened);
    expect(reopened.store.settings.get('ok')).toBe(true);
  });

  it('keeps the lock file empty and owner-only, with no journal beside it; a folder holding only a lock file can still be created in', async () => {
    const profileDir = join(dir, 'dave');
    const profile = await createProfile(profileDir, passphraseChoice());
    open.push(profile);
    profile.store.settings.set('secret-ish', 'x'.repeat(1000));
    const lock = statSync(join(profileDir, LOCK_FILE));
    expect(lock.size).toBe(0);
    expect(lock.mode & 0o777).toBe(0o600);
    expect(readdirSync(profileDir).filter((n) => n.startsWith(LOCK_FILE))).toEqual([LOCK_FILE]);
    profile.close();
    open.pop();
    expect(statSync(join(profileDir, LOCK_FILE)).size).toBe(0);

    const other = join(dir, 'erin');
    await createProfile(other, passphraseChoice()).then((p) => p.close());
    for (const name of readdirSync(other)) {
      if (name !== LOCK_FILE) rmSync(join(other, name), { recursive: true, force: true });
    }
    expect(readdirSync(other)).toEqual([LOCK_FILE]);
    const again = await createProfile(other, passphraseChoice());
    open.push(again);
  });

  it('reports an altered lock file as DatabaseCorrupt, and opens once it is deleted', async () => {
    const profileDir = join(dir, 'gina');
    (await createProfile(profileDir, passphraseChoice())).close();
    writeFileSync(join(profileDir, LOCK_FILE), 'not a lock file '.repeat(300));
    const damaged = await failure(openProfile(profileDir, passphraseChoice()));
    expect(damaged.kind).toBe('DatabaseCorrupt');
    expect(damaged.recovery).toMatch(/delete wisp\.lock/);
    rmSync(join(profileDir, LOCK_FILE));
    open.push(await openProfile(profileDir, passphraseChoice()));
  });

  it('refuses the open while another process holds the profile; after kill -9 of that process the lock is gone at once', async () => {
    const profileDir = join(dir, 'frank');
    (await createProfile(profileDir, passphraseChoice())).close();
    const holder = await spawnHolder(profileDir);
    holders.push(holder);

    expect((await failure(openProfile(profileDir, passphraseChoice()))).kind).toBe('ProfileInUse');
    expect((await failure(createProfile(profileDir, passphraseChoice()))).kind).toBe('ProfileExists');

    await holder.kill9();
    expect(holder.child.signalCode).toBe('SIGKILL');
    // No retry and no clean-up: the OS released the lock when the process died.
    const opened = await openProfile(profileDir, passphraseChoice());
    open.push(opened);
    expect(opened.store.settings.get('held by')).toBe('child');
  });

  it('makes the real `wisp` CLI fail with ProfileInUse (non-zero exit) while this process holds the profile', async () => {
    const world = await createCliWorld(['alice']);
    try {
      const profileDir = world.profile('alice');
      const held = await openProfile(profileDir, { kind: 'passphrase', passphrase: CLI_PASSPHRASE });
      open.push(held);

      const human = await runWisp(['contacts', '--profile', profileDir, '--keystore', 'passphrase']);
      expect(human.code).not.toBe(0);
      expect(human.stderr).toMatch(/ProfileInUse/);
      expect(human.stderr).toMatch(/Close the other Wisp window or `wisp` command/);
      expect(human.stdout).toBe('');

      const json = await runWisp(['contacts', '--profile', profileDir, '--keystore', 'passphrase', '--json']);
      expect(json.code).not.toBe(0);
      const error = (
        JSON.parse(json.stderr.trim().split('\n').pop()!) as { error: { kind: string; recovery?: string } }
      ).error;
      expect(error.kind).toBe('ProfileInUse');
      expect(error.recovery).toMatch(/Close the other Wisp window/);

      // Positive control: the same command works once this process lets go.
      held.close();
      open.pop();
      const after = await runWisp([
        'contacts',
        '--profile',
        profileDir,
        '--keystore',
        'passphrase',
        '--json',
      ]);
      expect(after.stderr).not.toMatch(/ProfileInUse/);
      expect(after.code).toBe(0);
    } finally {
      for (const p of open.splice(0)) p.close();
      await world.close();
    }
  });
});
