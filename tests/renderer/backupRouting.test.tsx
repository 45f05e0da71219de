// Issue 10 hooks in App: onboarding offers "Restore from a backup", an opened .wisp-backup file leads
// to the restore screen with that file (or, with an account, says why it did not open), and the
// `moved` account state shows the "active on another device" screen instead of the messenger.
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type {
  AccountStatus,
  AppInfo,
  Settings,
  WispClient,
  WispEvent,
  WispEventListener,
} from '../../common/ipc';
import { DEFAULT_PREFERENCES } from '../../common/ipc';
import { App } from '../../renderer/App';

afterEach(cleanup);

const INFO: AppInfo = {
  version: 'test',
  platform: 'linux',
  runtime: 'harness',
  defaultRelayUrl: 'ws://127.0.0.1:1/v1/ws',
  capabilities: {
    contentProtection: { available: false, reason: 'Not on Linux.' },
    keystores: [{ kind: 'passphrase', available: true }],
    fileDialogs: false,
  },
};

function scriptedApp(status: AccountStatus) {
  const listeners = new Set<WispEventListener>();
  const settings: Settings = { ...DEFAULT_PREFERENCES, receipts: null };
  const client = {
    app: { info: vi.fn(async () => INFO) },
    account: {
      status: vi.fn(async () => status),
      lock: vi.fn(async () => ({ state: 'locked', keystore: 'passphrase' }) satisfies AccountStatus),
    },
    settings: { get: vi.fn(async () => settings) },
    conversations: { list: vi.fn(async () => []), roomRequests: vi.fn(async () => []) },
    contacts: { list: vi.fn(async () => []) },
    backup: { cancel: vi.fn(), choosePath: vi.fn(), export: vi.fn(), import: vi.fn() },
    onEvent: (listener: WispEventListener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  render(<App client={client as unknown as WispClient} />);
  return { client, push: (event: WispEvent) => act(() => listeners.forEach((l) => l(event))) };
}

describe('App backup routes', () => {
  it('onboarding offers "Restore from a backup", and Back returns to account creation', async () => {
    scriptedApp({ state: 'none' });
    fireEvent.click(await screen.findByRole('button', { name: 'Restore from a backup' }));
    expect(screen.getByRole('heading', { name: 'Restore from a backup' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Back' }));
    expect(screen.getByRole('heading', { name: 'Create your Wisp account' })).toBeTruthy();
  });

  it('an opened .wisp-backup file opens the restore screen with that file filled in', async () => {
    const { push } = scriptedApp({ state: 'none' });
    await screen.findByRole('heading', { name: 'Create your Wisp account' });
    push({ type: 'open.backupFile', path: '/home/a/Downloads/alice.wisp-backup' });
    expect(screen.getByRole('heading', { name: 'Restore from a backup' })).toBeTruthy();
    expect(screen.getByLabelText('Backup file')).toHaveProperty(
      'value',
      '/home/a/Downloads/alice.wisp-backup',
    );
  });

  it('with an account, an opened backup file says why it was not opened', async () => {
    const { push } = scriptedApp({ state: 'locked', keystore: 'passphrase' });
    await screen.findByRole('heading', { name: 'Wisp is locked' });
    push({ type: 'open.backupFile', path: '/home/a/alice.wisp-backup' });
    expect(screen.getByRole('alert').textContent).toContain('This device already has a Wisp account');
    expect(screen.queryByRole('heading', { name: 'Restore from a backup' })).toBeNull();
  });

  it('the moved state shows the "active on another device" screen; "use it here" goes back to unlock', async () => {
    const { client, push } = scriptedApp({
      state: 'unlocked',
      keystore: 'passphrase',
      accountId: 'a',
      username: 'alice',
    });
    await screen.findByRole('navigation', { name: 'Main' });
    push({ type: 'account.changed', status: { state: 'moved', keystore: 'passphrase' } });
    expect(
      screen.getByRole('heading', { name: 'This account is now active on another device' }),
    ).toBeTruthy();
    expect(screen.queryByRole('navigation', { name: 'Main' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Use Wisp on this device again' }));
    expect(await screen.findByRole('heading', { name: 'Wisp is locked' })).toBeTruthy();
    expect(client.account.lock).toHaveBeenCalledTimes(1);
  });
});
