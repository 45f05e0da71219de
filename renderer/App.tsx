// The root container: asks the engine what state the account is in and shows onboarding, the
// unlock screen, or the messenger with its settings; applies the theme; follows app events.
import { useCallback, useEffect, useState } from 'react';
import type { AccountStatus, AppInfo, Settings, SettingsPatch, WispClient } from '../common/ipc';
import { AccountMovedScreen } from './components/AccountMovedScreen';
import { ErrorNote } from './components/ErrorNote';
import { OnboardingForm, type OnboardingValues } from './components/OnboardingForm';
import { SettingsPanel } from './components/SettingsPanel';
import { UnlockForm } from './components/UnlockForm';
import { BackupContainer } from './containers/BackupContainer';
import { MessengerContainer } from './containers/MessengerContainer';
import { ShortcutsOverlay } from './components/ShortcutsOverlay';
import { useShortcuts } from './lib/shortcuts';
import { RestoreContainer } from './containers/RestoreContainer';
import { AccountContainer } from './containers/AccountContainer';
import { PeopleContainer } from './containers/PeopleContainer';
import { QuickSwitcher, switcherItems, type SwitcherItem } from './components/QuickSwitcher';
import { createOpenRequests } from './lib/navigation';
import './backup.css';
import './attachments.css';
import './people.css';
import { asUiError } from './lib/uiError';

export interface AppProps {
  client: WispClient | null;
}

const ALREADY_HAS_ACCOUNT = {
  message: 'This device already has a Wisp account, so the backup file was not opened.',
  recovery: 'A backup can be restored only on a device without a Wisp account.',
};

type Loaded = { info: AppInfo; status: AccountStatus; settings: Settings };
type Tab = 'chats' | 'people' | 'account' | 'settings';
const TABS: readonly { id: Tab; label: string }[] = [
  { id: 'chats', label: 'Chats' },
  { id: 'people', label: 'People' },
  { id: 'account', label: 'Account' },
  { id: 'settings', label: 'Settings' },
];

function applyTheme(theme: Settings['theme']): void {
  const resolved =
    theme === 'system'
      ? window.matchMedia?.('(prefers-color-scheme: light)').matches
        ? 'light'
        : 'dark'
      : theme;
  document.documentElement.dataset.theme = resolved;
}

export function App({ client }: AppProps) {
  if (client === null) {
    return (
      <div className="card standalone">
        <h1>Wisp</h1>
        <p>This page is Wisp&apos;s interface and needs the Wisp app (or its test harness) around it.</p>
      </div>
    );
  }
  return <ConnectedApp client={client} />;
}

function ConnectedApp({ client }: { client: WispClient }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [tab, setTab] = useState<Tab>('chats');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; recovery?: string | undefined } | null>(null);
  /** Onboarding shows "Restore from a backup" (with the file the OS opened, if any) instead of create. */
  const [restore, setRestore] = useState<{ path: string } | null>(null);

  useEffect(() => {
    let live = true;
    Promise.all([client.app.info(), client.account.status(), client.settings.get()]).then(
      ([info, status, settings]) => live && setLoaded({ info, status, settings }),
      (e: unknown) => live && setError(asUiError(e)),
    );
    const unsubscribe = client.onEvent((event) => {
      if (event.type === 'account.changed')
        setLoaded((l) => (l === null ? l : { ...l, status: event.status }));
      if (event.type === 'settings.changed')
        setLoaded((l) => (l === null ? l : { ...l, settings: event.settings }));
      if (event.type === 'open.backupFile') setRestore({ path: event.path });
    });
    return () => {
      live = false;
      unsubscribe();
    };
  }, [client]);

  const [showShortcuts, setShowShortcuts] = useState(false);
  /** The quick switcher's items while it is open (read fresh each time it opens). */
  const [switcher, setSwitcher] = useState<SwitcherItem[] | null>(null);
  const [opens] = useState(createOpenRequests);
  const unlocked = loaded?.status.state === 'unlocked';
  // A deleted account (or a new one) starts again from Chats (state adjusted while rendering).
  const [wasUnlocked, setWasUnlocked] = useState(unlocked);
  if (unlocked !== wasUnlocked) {
    setWasUnlocked(unlocked);
    if (!unlocked) {
      setTab('chats');
      setSwitcher(null);
    }
  }
  const openSwitcher = () =>
    void Promise.all([client.conversations.list(), client.contacts.list()]).then(
      ([conversations, contacts]) => setSwitcher(switcherItems(conversations, contacts)),
      (e: unknown) => setError(asUiError(e)),
    );
  const choose = (item: SwitcherItem) => {
    setSwitcher(null);
    setTab('chats');
    opens.request(
      item.kind === 'lookup'
        ? { kind: 'username', username: item.id }
        : { kind: 'conversation', id: item.id },
    );
  };
  useShortcuts({
    'mod+k': unlocked ? () => (switcher === null ? openSwitcher() : setSwitcher(null)) : undefined,
    'mod+,': unlocked ? () => setTab('settings') : undefined,
    'mod+n': unlocked ? () => setTab('chats') : undefined,
    'mod+shift+l': unlocked
      ? () => void client.account.lock().catch((e: unknown) => setError(asUiError(e)))
      : undefined,
    'mod+/': unlocked ? () => setShowShortcuts((v) => !v) : undefined,
    escape: showShortcuts
      ? () => setShowShortcuts(false)
      : switcher !== null
        ? () => setSwitcher(null)
        : tab !== 'chats'
          ? () => setTab('chats')
          : undefined,
  });

  const theme = loaded?.settings.theme ?? 'dark';
  useEffect(() => applyTheme(theme), [theme]);

  const run = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    // A backup file opened while there is an account: its note goes with the next action.
    setRestore(null);
    try {
      await work();
    } catch (e) {
      setError(asUiError(e));
    } finally {
      setBusy(false);
    }
  }, []);

  if (loaded === null) {
    return (
      <div className="centered">
        {error === null ? (
          <p className="loading" role="status">
            Starting Wisp…
          </p>
        ) : (
          <ErrorNote error={error} />
        )}
      </div>
    );
  }
  const { info, status, settings } = loaded;
  // Restoring is for a device without an account; with one, an opened backup file says why not.
  const shownError = error ?? (restore !== null && status.state !== 'none' ? ALREADY_HAS_ACCOUNT : null);

  const refresh = async (nextStatus: AccountStatus) => {
    const nextSettings = await client.settings.get();
    setLoaded((l) => (l === null ? l : { ...l, status: nextStatus, settings: nextSettings }));
  };
  const create = ({ proxyUrl, ...values }: OnboardingValues) =>
    run(async () => {
      // Saved first: the services take the route from the preferences when the engine first connects.
      if (proxyUrl !== undefined) await client.settings.set({ proxyUrl });
      await refresh(await client.account.create(values));
    });
  const unlock = (passphrase: string | undefined) =>
    run(async () => {
      await refresh(await client.account.unlock(passphrase === undefined ? {} : { passphrase }));
      setTab('chats');
    });
  const lock = () => run(async () => refresh(await client.account.lock()));
  const change = (patch: SettingsPatch) =>
    run(async () => {
      const next = await client.settings.set(patch);
      setLoaded((l) => (l === null ? l : { ...l, settings: next }));
    });

  const pathMode = info.capabilities.fileDialogs ? 'dialog' : 'field';
  if (status.state === 'none' && restore !== null) {
    return (
      <div className="centered">
        <RestoreContainer
          key={restore.path}
          client={client}
          keystores={info.capabilities.keystores}
          pathMode={pathMode}
          initialPath={restore.path}
          onRestored={(next) => {
            setRestore(null);
            void run(async () => refresh(next));
          }}
          onBack={() => setRestore(null)}
        />
      </div>
    );
  }
  if (status.state === 'none') {
    return (
      <div className="centered">
        <p className="restore-entry">
          Moving from another device?{' '}
          <button type="button" className="link" onClick={() => setRestore({ path: '' })}>
            Restore from a backup
          </button>
        </p>
        <OnboardingForm
          keystores={info.capabilities.keystores}
          defaultRelayUrl={info.defaultRelayUrl}
          busy={busy}
          onSubmit={(v) => void create(v)}
        />
        <ErrorNote error={shownError} />
      </div>
    );
  }
  if (status.state === 'moved') {
    return (
      <div className="centered">
        <AccountMovedScreen busy={busy} onUseHere={() => void lock()} />
        <ErrorNote error={shownError} />
      </div>
    );
  }
  if (status.state === 'locked') {
    return (
      <div className="centered">
        <UnlockForm keystore={status.keystore} busy={busy} onUnlock={(p) => void unlock(p)} />
        <ErrorNote error={shownError} />
      </div>
    );
  }
  return (
    <div className="shell">
      <h1 className="visually-hidden">Wisp</h1>
      <nav className="tabs" aria-label="Main">
        <span className="me" title="Your username">
          {status.username ?? 'anonymous'}
        </span>
        {TABS.map((t) => (
          <button key={t.id} type="button" aria-pressed={tab === t.id} onClick={() => setTab(t.id)}>
            {t.label}
          </button>
        ))}
      </nav>
      <ErrorNote error={shownError} />
      {/* The messenger stays mounted behind Settings so the open conversation, its scroll position
          and a half-typed message survive a look at the settings. Hidden, nothing in it counts as seen. */}
      <div className="chats-tab" hidden={tab !== 'chats'}>
        <MessengerContainer client={client} appDefaultTimers={settings.defaultTimers} opens={opens} />
      </div>
      {tab === 'people' && (
        <PeopleContainer
          client={client}
          onMessage={(contact) => {
            setTab('chats');
            opens.request({ kind: 'contact', contact });
          }}
        />
      )}
      {tab === 'account' && <AccountContainer client={client} />}
      {tab === 'settings' && (
        <SettingsPanel
          settings={settings}
          contentProtection={info.capabilities.contentProtection}
          busy={busy}
          onChange={(p) => void change(p)}
          onLock={() => void lock()}
        >
          <BackupContainer client={client} pathMode={pathMode} />
        </SettingsPanel>
      )}
      {showShortcuts && <ShortcutsOverlay onClose={() => setShowShortcuts(false)} />}
      {switcher !== null && (
        <QuickSwitcher items={switcher} onChoose={choose} onClose={() => setSwitcher(null)} />
      )}
    </div>
  );
}
