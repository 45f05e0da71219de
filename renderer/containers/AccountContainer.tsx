// Connects the Account screen to the `account` service: reads who this profile is, and runs the
// username, passphrase and delete calls one at a time with their errors kept per section.
import { useEffect, useState } from 'react';
import type { AccountInfo, WispClient } from '../../common/ipc';
import { AccountPanel, type AccountSection } from '../components/AccountPanel';
import { ErrorNote } from '../components/ErrorNote';
import { asUiError, type UiError } from '../lib/uiError';

export function AccountContainer({ client }: { client: WispClient }) {
  const [info, setInfo] = useState<AccountInfo | null>(null);
  const [busy, setBusy] = useState<AccountSection | null>(null);
  const [errors, setErrors] = useState<Partial<Record<AccountSection, UiError>>>({});
  const [done, setDone] = useState<Partial<Record<AccountSection, string>>>({});
  const [loadError, setLoadError] = useState<UiError | null>(null);

  useEffect(() => {
    let live = true;
    client.account.info().then(
      (next) => live && setInfo(next),
      (e: unknown) => live && setLoadError(asUiError(e)),
    );
    return () => {
      live = false;
    };
  }, [client]);

  async function run(section: AccountSection, work: () => Promise<string | null>) {
    setBusy(section);
    setErrors((e) => ({ ...e, [section]: undefined }));
    setDone((d) => ({ ...d, [section]: undefined }));
    try {
      const message = await work();
      if (message !== null) {
        setInfo(await client.account.info());
        setDone((d) => ({ ...d, [section]: message }));
      }
    } catch (e) {
      setErrors((all) => ({ ...all, [section]: asUiError(e) }));
    } finally {
      setBusy(null);
    }
  }

  if (info === null) {
    return loadError === null ? (
      <p className="loading" role="status">
        Loading your account…
      </p>
    ) : (
      <ErrorNote error={loadError} />
    );
  }
  return (
    <AccountPanel
      // A new username remounts the form with it as the starting text.
      key={info.username ?? ''}
      info={info}
      busy={busy}
      errors={errors}
      done={done}
      onSetUsername={(username) =>
        void run('username', async () => {
          await client.account.setUsername({ username });
          return username === null ? 'Username released.' : `You are now ${username}.`;
        })
      }
      onChangePassphrase={(change) =>
        void run('passphrase', async () => {
          await client.account.changePassphrase(change);
          return 'Passphrase saved. Wisp asks for it at the next unlock.';
        })
      }
      onDelete={(confirm) =>
        void run('delete', async () => {
          // Success changes the account state to "none": the app returns to onboarding by itself.
          await client.account.delete({ confirm });
          return null;
        })
      }
    />
  );
}
