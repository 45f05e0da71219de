// Issue 10 in the UI: Settings → Backups (what a backup holds, a passphrase typed twice or a recovery
// key shown once, progress and cancel), the restore form of onboarding, refusals in app words, and the
// "active on another device" screen. Pure components in jsdom; the container over a scripted client.
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WispError, type WispErrorKind } from '../../common/errors';
import type { BackupProgressView, WispClient, WispEventListener } from '../../common/ipc';
import { AccountMovedScreen } from '../../renderer/components/AccountMovedScreen';
import { BackupPanel, type BackupPanelProps } from '../../renderer/components/BackupPanel';
import { RestoreForm, type RestoreFormProps } from '../../renderer/components/RestoreForm';
import { BackupContainer } from '../../renderer/containers/BackupContainer';
import { backupUiError } from '../../renderer/lib/backupWords';

afterEach(cleanup);

const KEY = `AGE-SECRET-KEY-1${'Q'.repeat(58)}`;

function panel(overrides: Partial<BackupPanelProps> = {}) {
  const props: BackupPanelProps = {
    pathMode: 'field',
    path: '/home/a/wisp.wisp-backup',
    state: { step: 'form' },
    error: null,
    onPathChange: vi.fn(),
    onChoosePath: vi.fn(),
    onExport: vi.fn(),
    onCancel: vi.fn(),
    onCopyKey: vi.fn(),
    onKeySaved: vi.fn(),
    onAgain: vi.fn(),
    ...overrides,
  };
  render(<BackupPanel {...props} />);
  return props;
}

describe('BackupPanel', () => {
  it('states that a backup holds its contents until the file is deleted, and what is never included', () => {
    panel();
    const section = screen.getByRole('region', { name: 'Backups' });
    expect(section.textContent).toContain('holds its contents until the file itself is deleted');
    expect(section.textContent).toContain(
      'Burn-on-read messages and messages that expire within 24 hours are never included',
    );
  });

  it('exports only with a passphrase of at least 12 characters typed the same twice', () => {
    const { onExport } = panel();
    const submit = screen.getByRole('button', { name: 'Export backup' });
    fireEvent.change(screen.getByLabelText('Backup passphrase'), { target: { value: 'short' } });
    expect(submit).toHaveProperty('disabled', true);
    fireEvent.change(screen.getByLabelText('Backup passphrase'), { target: { value: 'a long passphrase' } });
    fireEvent.change(screen.getByLabelText('Backup passphrase again'), {
      target: { value: 'a long passphrasf' },
    });
    expect(screen.getByRole('alert').textContent).toBe('The passphrases differ.');
    expect(submit).toHaveProperty('disabled', true);
    fireEvent.click(submit);
    expect(onExport).not.toHaveBeenCalled();
    fireEvent.change(screen.getByLabelText('Backup passphrase again'), {
      target: { value: 'a long passphrase' },
    });
    fireEvent.click(submit);
    expect(onExport).toHaveBeenCalledWith({
      kind: 'passphrase',
      passphrase: 'a long passphrase',
      confirm: 'a long passphrase',
    });
  });

  it('with a recovery key asks for no passphrase; without a path it cannot start', () => {
    const { onExport } = panel({ path: '' });
    fireEvent.click(screen.getByRole('radio', { name: 'A recovery key, shown once' }));
    expect(screen.queryByLabelText('Backup passphrase')).toBeNull();
    expect(screen.getByRole('button', { name: 'Export backup' })).toHaveProperty('disabled', true);
    cleanup();
    const second = panel();
    fireEvent.click(screen.getByRole('radio', { name: 'A recovery key, shown once' }));
    fireEvent.click(screen.getByRole('button', { name: 'Export backup' }));
    expect(second.onExport).toHaveBeenCalledWith({ kind: 'recoveryKey' });
    expect(onExport).not.toHaveBeenCalled();
  });

  it('in the desktop app chooses the path with the file dialog', () => {
    const { onChoosePath } = panel({ pathMode: 'dialog', path: '' });
    expect(screen.getByRole('group', { name: 'Save the backup to' }).textContent).toContain('No file chosen');
    fireEvent.click(screen.getByRole('button', { name: 'Choose…' }));
    expect(onChoosePath).toHaveBeenCalledTimes(1);
  });

  it('shows progress as a bar with the amount, and Cancel', () => {
    const progress: BackupProgressView = {
      phase: 'export',
      bytes: 5e6,
      totalBytes: 20e6,
      records: 40,
      done: false,
    };
    const { onCancel } = panel({ state: { step: 'running', progress } });
    const bar = screen.getByRole('progressbar', { name: 'Backup progress' });
    expect(bar.getAttribute('value')).toBe('0.25');
    expect(screen.getByText('5.0 MB of 20.0 MB')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onCancel).toHaveBeenCalledTimes(1);
  });

  it('shows the recovery key once with Copy and "I saved it"', () => {
    const { onCopyKey, onKeySaved } = panel({
      state: { step: 'key', file: '/home/a/w.wisp-backup', recoveryKey: KEY, copied: false },
    });
    expect(screen.getByRole('status', { name: 'Recovery key' }).textContent).toBe(KEY);
    expect(screen.getByRole('group', { name: 'Your recovery key' }).textContent).toContain('shown only now');
    fireEvent.click(screen.getByRole('button', { name: 'Copy' }));
    expect(onCopyKey).toHaveBeenCalledWith(KEY);
    fireEvent.click(screen.getByRole('button', { name: 'I saved it' }));
    expect(onKeySaved).toHaveBeenCalledTimes(1);
  });
});

/** A client whose backup service the test scripts; events are pushed by the test. */
function scriptedClient(
  exportResult: Promise<{ file: string; bytes: number; records: number; recoveryKey: string | null }>,
) {
  const listeners = new Set<WispEventListener>();
  const backup = {
    choosePath: vi.fn(async () => ({ path: '/chosen/w.wisp-backup' })),
    export: vi.fn(() => exportResult),
    import: vi.fn(),
    cancel: vi.fn(async () => ({ cancelled: true })),
  };
  const client = {
    backup,
    onEvent: (listener: WispEventListener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as WispClient;
  return {
    client,
    backup,
    push: (event: Parameters<WispEventListener>[0]) => listeners.forEach((l) => l(event)),
  };
}

describe('BackupContainer', () => {
  it('follows progress events, then shows the key until "I saved it" drops it from the page', async () => {
    let finish!: (value: {
      file: string;
      bytes: number;
      records: number;
      recoveryKey: string | null;
    }) => void;
    const { client, backup, push } = scriptedClient(new Promise((resolve) => (finish = resolve)));
    render(<BackupContainer client={client} pathMode="dialog" />);
    fireEvent.click(screen.getByRole('button', { name: 'Choose…' }));
    await screen.findByText('/chosen/w.wisp-backup');
    fireEvent.click(screen.getByRole('radio', { name: 'A recovery key, shown once' }));
    fireEvent.click(screen.getByRole('button', { name: 'Export backup' }));
    expect(backup.export).toHaveBeenCalledWith({
      path: '/chosen/w.wisp-backup',
      protection: { kind: 'recoveryKey' },
    });

    act(() =>
      push({
        type: 'backup.progress',
        progress: { phase: 'export', bytes: 1e6, totalBytes: 4e6, records: 3, done: false },
      }),
    );
    expect(screen.getByRole('progressbar', { name: 'Backup progress' }).getAttribute('value')).toBe('0.25');
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(backup.cancel).toHaveBeenCalledTimes(1);

    await act(async () => finish({ file: '/chosen/w.wisp-backup', bytes: 10, records: 3, recoveryKey: KEY }));
    expect(screen.getByRole('status', { name: 'Recovery key' }).textContent).toBe(KEY);
    fireEvent.click(screen.getByRole('button', { name: 'I saved it' }));
    expect(document.body.textContent).not.toContain(KEY);
    expect(screen.getByText('Backup saved to /chosen/w.wisp-backup.')).toBeTruthy();
  });

  it('a cancelled export goes back to the form and says nothing was written', async () => {
    const { client } = scriptedClient(
      Promise.reject(new WispError('BackupCancelled', 'the export was cancelled')),
    );
    render(<BackupContainer client={client} pathMode="field" />);
    fireEvent.change(screen.getByLabelText('Save the backup to'), { target: { value: '/x/w.wisp-backup' } });
    fireEvent.click(screen.getByRole('radio', { name: 'A recovery key, shown once' }));
    fireEvent.click(screen.getByRole('button', { name: 'Export backup' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Nothing was written');
    expect(screen.getByRole('button', { name: 'Export backup' })).toBeTruthy();
  });
});

function restoreForm(overrides: Partial<RestoreFormProps> = {}) {
  const props: RestoreFormProps = {
    keystores: [
      { kind: 'keychain', available: false, reason: 'No keychain.' },
      { kind: 'passphrase', available: true },
    ],
    pathMode: 'field',
    path: '/home/a/w.wisp-backup',
    progress: null,
    running: false,
    error: null,
    onPathChange: vi.fn(),
    onChoosePath: vi.fn(),
    onSubmit: vi.fn(),
    onCancel: vi.fn(),
    onBack: vi.fn(),
    ...overrides,
  };
  render(<RestoreForm {...props} />);
  return props;
}

describe('RestoreForm', () => {
  it('hands back the file, the backup passphrase and the new device passphrase', () => {
    const { onSubmit } = restoreForm();
    fireEvent.change(screen.getByLabelText('Backup passphrase'), { target: { value: 'backup pass' } });
    fireEvent.change(screen.getByLabelText('Passphrase for this device'), {
      target: { value: 'device pass' },
    });
    fireEvent.change(screen.getByLabelText('Passphrase for this device again'), {
      target: { value: 'device pass' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Restore' }));
    expect(onSubmit).toHaveBeenCalledWith({
      path: '/home/a/w.wisp-backup',
      key: { kind: 'passphrase', passphrase: 'backup pass' },
      keystore: 'passphrase',
      passphrase: 'device pass',
    });
  });

  it('takes a recovery key instead, trimmed', () => {
    const { onSubmit } = restoreForm();
    fireEvent.click(screen.getByRole('radio', { name: 'Its recovery key' }));
    fireEvent.change(screen.getByRole('textbox', { name: 'Recovery key' }), {
      target: { value: ` ${KEY}\n` },
    });
    fireEvent.change(screen.getByLabelText('Passphrase for this device'), {
      target: { value: 'device pass' },
    });
    fireEvent.change(screen.getByLabelText('Passphrase for this device again'), {
      target: { value: 'device pass' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Restore' }));
    expect(onSubmit).toHaveBeenCalledWith(
      expect.objectContaining({ key: { kind: 'recoveryKey', recoveryKey: KEY } }),
    );
  });

  it('while running shows progress and Cancel instead of Restore, and shows a refusal with its hint', () => {
    const { onCancel } = restoreForm({
      running: true,
      progress: { phase: 'import', bytes: 1e6, totalBytes: 2e6, records: 9, done: false },
      error: backupUiError(
        new WispError('BackupWrongKey', 'the passphrase or recovery key does not open this backup'),
      ),
    });
    expect(screen.queryByRole('button', { name: 'Restore' })).toBeNull();
    expect(screen.getByRole('progressbar', { name: 'Restore progress' }).getAttribute('value')).toBe('0.5');
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(onCancel).toHaveBeenCalledTimes(1);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('That passphrase or recovery key does not open this backup.');
    expect(alert.textContent).toContain('Nothing was changed.');
  });
});

describe('backup refusals in app words', () => {
  it('gives every typed refusal a message and a hint with no CLI flag or variable in it', () => {
    const kinds: WispErrorKind[] = [
      'BackupWrongKey',
      'BackupTruncated',
      'BackupCorrupt',
      'BackupNotAge',
      'BackupWrongKind',
      'BackupUnsupportedVersion',
      'BackupCancelled',
      'ProfileExists',
    ];
    for (const kind of kinds) {
      const words = backupUiError(
        new WispError(kind, 'engine words', { recovery: 'use --identity-file or WISP_BACKUP_PASSPHRASE' }),
      );
      expect(words.message).not.toBe('engine words');
      expect(words.recovery ?? '').not.toMatch(/--|WISP_|wisp backup/);
      expect((words.recovery ?? '').length).toBeGreaterThan(10);
    }
  });
});

describe('AccountMovedScreen', () => {
  it('says the account is active on another device and offers to use it here again', () => {
    const onUseHere = vi.fn();
    render(<AccountMovedScreen busy={false} onUseHere={onUseHere} />);
    const screenRegion = screen.getByRole('region', { name: 'This account is now active on another device' });
    expect(within(screenRegion).getByText(/moves it back and stops it on the other device/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Use Wisp on this device again' }));
    expect(onUseHere).toHaveBeenCalledTimes(1);
  });
});
