// Connects Settings → Backups to the backup service: path choice, the export, its progress events,
// cancel, and the recovery key (kept in component state only until "I saved it").
import { useEffect, useState } from 'react';
import type { WispClient } from '../../common/ipc';
import { BackupPanel, type BackupPanelState, type BackupProtection } from '../components/BackupPanel';
import { backupUiError } from '../lib/backupWords';
import type { UiError } from '../lib/uiError';

export interface BackupContainerProps {
  client: WispClient;
  pathMode: 'dialog' | 'field';
}

export function BackupContainer({ client, pathMode }: BackupContainerProps) {
  const [path, setPath] = useState('');
  const [state, setState] = useState<BackupPanelState>({ step: 'form' });
  const [error, setError] = useState<UiError | null>(null);

  useEffect(
    () =>
      client.onEvent((event) => {
        if (event.type === 'backup.progress' && event.progress.phase === 'export') {
          setState((s) => (s.step === 'running' ? { step: 'running', progress: event.progress } : s));
        }
      }),
    [client],
  );

  const choose = async () => {
    setError(null);
    try {
      const chosen = await client.backup.choosePath({ purpose: 'export' });
      if (chosen.path !== null) setPath(chosen.path);
    } catch (e) {
      setError(backupUiError(e));
    }
  };

  const start = async (protection: BackupProtection) => {
    setError(null);
    setState({ step: 'running', progress: null });
    try {
      const result = await client.backup.export({ path: path.trim(), protection });
      setState(
        result.recoveryKey === null
          ? { step: 'done', file: result.file }
          : { step: 'key', file: result.file, recoveryKey: result.recoveryKey, copied: false },
      );
    } catch (e) {
      setState({ step: 'form' });
      setError(backupUiError(e));
    }
  };

  const copy = async (recoveryKey: string) => {
    try {
      await navigator.clipboard.writeText(recoveryKey);
      setState((s) => (s.step === 'key' ? { ...s, copied: true } : s));
    } catch {
      setError({ message: 'Copying did not work here.', recovery: 'Select the key and copy it by hand.' });
    }
  };

  return (
    <BackupPanel
      pathMode={pathMode}
      path={path}
      state={state}
      error={error}
      onPathChange={setPath}
      onChoosePath={() => void choose()}
      onExport={(p) => void start(p)}
      onCancel={() => void client.backup.cancel()}
      onCopyKey={(key) => void copy(key)}
      onKeySaved={() => setState((s) => (s.step === 'key' ? { step: 'done', file: s.file } : s))}
      onAgain={() => {
        setError(null);
        setState({ step: 'form' });
      }}
    />
  );
}
