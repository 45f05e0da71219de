// `wisp username set --name` and `wisp username release` end to end: the real CLI against a real
// relay (both backends). A new name is what others find the account by, the old one is free; a
// malformed or taken name is refused with its typed error and changes nothing; a released name
// finds nobody and another account can take it.
import { describe, expect, it } from 'vitest';
import { useCliRelay, wisp, wispHuman, type WispResult } from '../../helpers/engine/cli';
import { testBackends } from '../../helpers/relay/relayDb';

const errorOf = (r: WispResult) =>
  (JSON.parse(r.stderr.trim().split('\n').pop()!) as { error: { kind: string } }).error;

for (const { kind, make } of testBackends()) {
  describe(`wisp username (${kind} relay)`, () => {
    const { profile, init } = useCliRelay(make, 'wisp-cli-username-');
    /** Who a name belongs to at the relay, asked by a profile that never met anyone (no cache). */
    const owner = async (name: string): Promise<string | null> => {
      const r = await wisp(profile('observer'), ['lookup'], ['--name', name]);
      if (r.code === 0) return r.lines[0]!.accountId as string;
      expect(errorOf(r).kind, r.stderr).toBe('NotFound');
      return null;
    };

    it('sets a new name others find, frees the old one, and refuses a malformed or taken name unchanged', async () => {
      const created = await init('gil', 'gil');
      expect(created.code, created.stderr).toBe(0);
      const gil = created.lines[0]!.accountId as string;
      expect((await init('hana', 'hana')).code).toBe(0);
      expect((await init('observer', 'observer')).code).toBe(0);

      // Malformed: refused before the profile opens; the relay still knows gil as gil.
      for (const bad of ['no', 'has space', 'dash-ed', 'x'.repeat(33)]) {
        const r = await wisp(profile('gil'), ['username', 'set'], ['--name', bad]);
        expect(r.code, bad).toBe(1);
        expect(errorOf(r).kind, bad).toBe('InvalidInput');
      }
      const missing = await wisp(profile('gil'), ['username', 'set']);
      expect(missing.code).toBe(1);
      expect(errorOf(missing).kind).toBe('InvalidInput');
      expect(await owner('gil')).toBe(gil);

      // Taken by hana: UsernameTaken, and gil keeps gil.
      const taken = await wisp(profile('gil'), ['username', 'set'], ['--name', 'hana']);
      expect(taken.code).toBe(1);
      expect(errorOf(taken).kind).toBe('UsernameTaken');
      expect(await owner('gil')).toBe(gil);

      // A new name (case-insensitive: stored as typed in lower case).
      const renamed = await wisp(profile('gil'), ['username', 'set'], ['--name', 'Gil.Moved']);
      expect(renamed.code, renamed.stderr).toBe(0);
      expect(renamed.lines[0]).toEqual({ accountId: gil, username: 'gil.moved' });
      expect(await owner('gil.moved')).toBe(gil);
      expect(await owner('gil')).toBeNull();
      // A message to the new name reaches the same account.
      expect((await wisp(profile('hana'), ['send'], ['--to', 'gil.moved', '--text', 'found you'])).code).toBe(
        0,
      );
      const synced = await wisp(profile('gil'), ['sync'], ['--wait', '2']);
      expect(synced.code, synced.stderr).toBe(0);
      expect(synced.lines.some((l) => l.text === 'found you')).toBe(true);

      // The human output says what happened.
      const human = await wispHuman(profile('gil'), ['username', 'set'], ['--name', 'gil.again']);
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toContain('Your username is now gil.again.');
    });

    it('releases the name: it finds nobody, another account can take it, and the account still receives', async () => {
      const created = await init('ivo', 'ivo');
      expect(created.code, created.stderr).toBe(0);
      const ivo = created.lines[0]!.accountId as string;
      expect((await init('jun', 'jun')).code).toBe(0);
      // jun knows ivo before the release: a contact keeps reaching him by account.
      expect((await wisp(profile('jun'), ['lookup'], ['--name', 'ivo'])).code).toBe(0);

      const released = await wisp(profile('ivo'), ['username', 'release']);
      expect(released.code, released.stderr).toBe(0);
      expect(released.lines[0]).toEqual({ accountId: ivo, username: null });
      expect(await owner('ivo')).toBeNull();

      expect((await wisp(profile('jun'), ['send'], ['--to', ivo, '--text', 'still here?'])).code).toBe(0);
      const synced = await wisp(profile('ivo'), ['sync'], ['--wait', '2']);
      expect(synced.lines.some((l) => l.text === 'still here?')).toBe(true);

      const takenOver = await wisp(profile('jun'), ['username', 'set'], ['--name', 'ivo']);
      expect(takenOver.code, takenOver.stderr).toBe(0);
      expect(await owner('ivo')).not.toBe(ivo);
      expect(await owner('ivo')).not.toBeNull();
    });
  });
}
