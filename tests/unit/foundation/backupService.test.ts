// The `backup` IPC service through the validating dispatcher, on the real engine, relay and
// core/backup: export with progress, restore as a second device's profile (which moves the account:
// the first device's services show the `moved` state), cancel, and the refusals that change nothing.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WispError } from '../../../common/errors';
import { type IpcResult, type WispEvent } from '../../../common/ipc';
import { createDispatcher, createServices, type ServicesHost } from '../../../core/services';
import { startRelay, type RunningRelay } from '../../../relay';
import { TEST_SCRYPT, uniqueName } from '../../helpers/foundation/harness';
import { testPlatform } from './platform';

const BACKUP_PASSPHRASE = 'a long backup passphrase';
const DEVICE = { keystore: 'passphrase', passphrase: 'device passphrase' } as const;

let dir: string;
let relay: RunningRelay;
const hosts: ServicesHost[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wisp-backup-service-'));
  relay = await startRelay({ dataDir: join(dir, 'relay'), logger: false });
});
afterEach(async () => {
  for (const host of hosts.splice(0)) await host.close();
  await relay.close();
  rmSync(dir, { recursive: true, force: true });
});

function device(name: string): { host: ServicesHost; events: WispEvent[]; dataDir: string } {
  const dataDir = join(dir, name);
  const host = createServices({ dataDir, platform: testPlatform(), keyStore: { scrypt: TEST_SCRYPT } });
  hosts.push(host);
  const events: WispEvent[] = [];
  host.onEvent((event) => events.push(event));
  return { host, events, dataDir };
}

async function withAccount(name: string) {
  const d = device(name);
  await d.host.services.account.create({ username: uniqueName('alice'), relayUrl: relay.url, ...DEVICE });
  return d;
}

async function rejection(promise: Promise<unknown>): Promise<WispError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WispError) return error;
    throw error;
  }
  throw new Error('expected a WispError');
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
}

// A real relay, engines and scrypt-protected exports: seconds each, and more on a loaded machine,
// so these take the core tier's timeout rather than the unit default of 5 s.
const SLOW = { timeout: 120_000 };

describe('backup service', SLOW, () => {
  it('exports with progress, restores on a second device, and the first one moves to the `moved` state', async () => {
    const first = await withAccount('first');
    const status = await first.host.services.account.status();
    const file = join(dir, 'alice.wisp-backup');
    const exported = await first.host.services.backup.export({
      path: file,
      protection: { kind: 'passphrase', passphrase: BACKUP_PASSPHRASE, confirm: BACKUP_PASSPHRASE },
    });
    expect(exported).toMatchObject({ file, recoveryKey: null });
    const progress = first.events.flatMap((e) => (e.type === 'backup.progress' ? [e.progress] : []));
    expect(progress.at(-1)).toMatchObject({ phase: 'export', done: true, bytes: exported.bytes });

    const second = device('second');
    const restored = await second.host.services.backup.import({
      path: file,
      key: { kind: 'passphrase', passphrase: BACKUP_PASSPHRASE },
      ...DEVICE,
    });
    expect(restored).toMatchObject({
      state: 'unlocked',
      accountId: status.state === 'unlocked' && status.accountId,
    });
    expect(second.events.some((e) => e.type === 'backup.progress' && e.progress.phase === 'import')).toBe(
      true,
    );

    // The relay closed the first device's connection (4009): an observable state, not a stream of errors.
    await until(() => first.events.some((e) => e.type === 'account.changed' && e.status.state === 'moved'));
    expect(first.events.some((e) => e.type === 'account.moved')).toBe(true);
    expect(await first.host.services.account.status()).toEqual({ state: 'moved', keystore: 'passphrase' });
    expect((await rejection(first.host.services.conversations.list())).kind).toBe('AccountMoved');
    // "Use Wisp here again" goes through lock → unlock.
    expect(await first.host.services.account.lock()).toEqual({ state: 'locked', keystore: 'passphrase' });
  });

  it('a recovery-key export returns the key once; a mistyped key is refused as mistyped, the right one restores', async () => {
    const first = await withAccount('first');
    const file = join(dir, 'key.wisp-backup');
    const { recoveryKey } = await first.host.services.backup.export({
      path: file,
      protection: { kind: 'recoveryKey' },
    });
    expect(recoveryKey).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    const second = device('second');
    const flipped = `${recoveryKey!.slice(0, -1)}${recoveryKey!.endsWith('Q') ? 'P' : 'Q'}`;
    const typo = await rejection(
      second.host.services.backup.import({
        path: file,
        key: { kind: 'recoveryKey', recoveryKey: flipped },
        ...DEVICE,
      }),
    );
    expect(typo.kind).toBe('InvalidInput');
    expect(await second.host.services.account.status()).toEqual({ state: 'none' });
    const restored = await second.host.services.backup.import({
      path: file,
      key: { kind: 'recoveryKey', recoveryKey: recoveryKey!.toLowerCase() },
      ...DEVICE,
    });
    expect(restored.state).toBe('unlocked');
  });

  it('refuses a wrong passphrase, and an import where an account exists, changing nothing', async () => {
    const first = await withAccount('first');
    const file = join(dir, 'alice.wisp-backup');
    await first.host.services.backup.export({
      path: file,
      protection: { kind: 'passphrase', passphrase: BACKUP_PASSPHRASE, confirm: BACKUP_PASSPHRASE },
    });
    const second = device('second');
    const wrong = await rejection(
      second.host.services.backup.import({
        path: file,
        key: { kind: 'passphrase', passphrase: 'not the passphrase' },
        ...DEVICE,
      }),
    );
    expect(wrong.kind).toBe('BackupWrongKey');
    expect(await second.host.services.account.status()).toEqual({ state: 'none' });
    expect(existsSync(second.dataDir) ? readdirSync(second.dataDir) : []).toEqual([]);

    const exists = await rejection(
      first.host.services.backup.import({
        path: file,
        key: { kind: 'passphrase', passphrase: BACKUP_PASSPHRASE },
        ...DEVICE,
      }),
    );
    expect(exists.kind).toBe('ProfileExists');
    expect((await first.host.services.account.status()).state).toBe('unlocked');
  });

  it('cancel stops an export under way (BackupCancelled, no file or partial left) and a second one meanwhile is refused', async () => {
    const first = await withAccount('first');
    const file = join(dir, 'out', 'cancelled.wisp-backup');
    const outDir = join(dir, 'out');
    mkdirSync(outDir);
    const protection = {
      kind: 'passphrase',
      passphrase: BACKUP_PASSPHRASE,
      confirm: BACKUP_PASSPHRASE,
    } as const;
    const running = rejection(first.host.services.backup.export({ path: file, protection }));
    let cancelled = false;
    // The export registers itself after an await; the age scrypt stanza keeps it busy well past this.
    for (let i = 0; i < 100 && !cancelled; i++) {
      await new Promise((r) => setImmediate(r));
      if (i === 0) {
        const busy = await rejection(first.host.services.backup.export({ path: `${file}2`, protection }));
        expect(busy.message).toContain('already under way');
      }
      cancelled = (await first.host.services.backup.cancel()).cancelled;
    }
    expect(cancelled).toBe(true);
    expect((await running).kind).toBe('BackupCancelled');
    expect(readdirSync(outDir)).toEqual([]);
    expect(await first.host.services.backup.cancel()).toEqual({ cancelled: false });
  });

  it('through the dispatcher: relative paths, short or mismatched passphrases are refused without echoing them', async () => {
    const first = await withAccount('first');
    const dispatch = createDispatcher(first.host.services);
    const secret = 'mismatched secret one';
    const target = join(dir, 'x.wisp-backup');
    const results: IpcResult<unknown>[] = [
      await dispatch('wisp:backup.export', [
        { path: 'relative.wisp-backup', protection: { kind: 'recoveryKey' } },
      ]),
      await dispatch('wisp:backup.export', [
        { path: target, protection: { kind: 'passphrase', passphrase: 'short', confirm: 'short' } },
      ]),
      await dispatch('wisp:backup.export', [
        { path: target, protection: { kind: 'passphrase', passphrase: secret, confirm: `${secret}!` } },
      ]),
      await dispatch('wisp:backup.import', [
        { path: '/tmp/x', key: { kind: 'passphrase', passphrase: secret }, keystore: 'passphrase' },
      ]),
    ];
    for (const result of results) {
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.kind).toBe('InvalidInput');
        expect(JSON.stringify(result.error)).not.toContain(secret);
      }
    }
    expect(existsSync(target)).toBe(false);
  });
});

describe('backup service with file dialogs (the desktop app)', SLOW, () => {
  it('writes and reads only paths the dialog (or the OS opening a file) handed over, not any path the page names', async () => {
    const chosen = join(dir, 'chosen.wisp-backup');
    const elsewhere = join(dir, 'victim.txt');
    const withDialogs = (name: string) => {
      const host = createServices({
        dataDir: join(dir, name),
        platform: { ...testPlatform(), choosePath: async () => chosen },
        keyStore: { scrypt: TEST_SCRYPT },
      });
      hosts.push(host);
      return host;
    };
    const host = withDialogs('first');
    await host.services.account.create({ username: uniqueName('alice'), relayUrl: relay.url, ...DEVICE });
    const protection = {
      kind: 'passphrase',
      passphrase: BACKUP_PASSPHRASE,
      confirm: BACKUP_PASSPHRASE,
    } as const;

    // A compromised page names a file of its choosing: refused, nothing written there.
    const refused = await rejection(host.services.backup.export({ path: elsewhere, protection }));
    expect(refused.kind).toBe('InvalidInput');
    expect(existsSync(elsewhere)).toBe(false);
    const early = await rejection(host.services.backup.export({ path: chosen, protection }));
    expect(early.kind).toBe('InvalidInput');
    expect(existsSync(chosen)).toBe(false);

    expect(await host.services.backup.choosePath({ purpose: 'export' })).toEqual({ path: chosen });
    expect((await host.services.backup.export({ path: chosen, protection })).file).toBe(chosen);
    expect(existsSync(chosen)).toBe(true);

    // On a new device the same file is refused until the OS hands it over (or the dialog picks it).
    const fresh = withDialogs('fresh');
    const key = { kind: 'passphrase', passphrase: BACKUP_PASSPHRASE } as const;
    const notGiven = await rejection(fresh.services.backup.import({ path: chosen, key, ...DEVICE }));
    expect(notGiven.kind).toBe('InvalidInput');
    expect(await fresh.services.account.status()).toEqual({ state: 'none' });
    fresh.allowBackupPath(chosen);
    expect((await fresh.services.backup.import({ path: chosen, key, ...DEVICE })).state).toBe('unlocked');
  });
});
