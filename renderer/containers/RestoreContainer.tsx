// Connects the onboarding restore form to the backup service: path choice, the import, its
// progress events, cancel, and each typed refusal in the app's words. Success changes the account
// status (an account.changed event), which takes App past onboarding.
import { useEffect, useState } from 'react';
import type { AccountStatus, BackupProgressView, KeystoreCapability, WispClient } from '../../common/ipc';
import { RestoreForm, type RestoreValues } from '../components/RestoreForm';
import { backupUiError } from '../lib/backupWords';
import type { UiError } from '../lib/uiError';

export interface RestoreContainerProps {
  client: WispClient;
  keystores: KeystoreCapability[];
  pathMode: 'dialog' | 'field';
  /** A .wisp-backup file the OS asked Wisp to open (App remounts this with a key when it changes). */
  initialPath: string;
  onRestored: (status: AccountStatus) => void;
  onBack: () => void;
}

export function RestoreContainer(props: RestoreContainerProps) {
  const { client } = props;
  const [path, setPath] = useState(props.initialPath);
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<BackupProgressView | null>(null);
  const [error, setError] = useState<UiError | null>(null);

  useEffect(
    () =>
      client.onEvent((event) => {
        if (event.type === 'backup.progress' && event.progress.phase === 'import')
          setProgress(event.progress);
      }),
    [client],
  );

  const choose = async () => {
    setError(null);
    try {
      const chosen = await client.backup.choosePath({ purpose: 'import' });
      if (chosen.path !== null) setPath(chosen.path);
    } catch (e) {
      setError(backupUiError(e));
    }
  };

  const restore = async (values: RestoreValues) => {
    setError(null);
    setProgress(null);
    setRunning(true);
    try {
      props.onRestored(await client.backup.import(values));
    } catch (e) {
      setError(backupUiError(e));
    } finally {
      setRunning(false);
    }
  };

  return (
    <RestoreForm
      keystores={props.keystores}
      pathMode={props.pathMode}
      path={path}
      progress={progress}
      running={running}
      error={error}
      onPathChange={setPath}
      onChoosePath={() => void choose()}
      onSubmit={(v) => void restore(v)}
      onCancel={() => void client.backup.cancel()}
      onBack={props.onBack}
    />
  );
}
