// The Account screen: your username (set, change, release), your half of every safety number,
// the relay in use, the app-lock passphrase, and "Delete account and wipe this device" behind a
// typed confirmation. Pure: the container makes the calls and hands back errors per section.
import { useId, useState, type FormEvent } from 'react';
import { KeyRound, ShieldCheck, Trash2 } from 'lucide-react';
import { DELETE_CONFIRMATION_WORD, type AccountInfo } from '../../common/ipc';
import type { UiError } from '../lib/uiError';
import { ErrorNote } from './ErrorNote';
import { groupDigits } from './SafetyNumberPanel';

export type AccountSection = 'username' | 'passphrase' | 'delete';

export interface AccountPanelProps {
  info: AccountInfo;
  /** Which section's call is running (its buttons are disabled). */
  busy: AccountSection | null;
  errors: Partial<Record<AccountSection, UiError>>;
  /** A short confirmation after a section's call succeeded ("Username saved."). */
  done: Partial<Record<AccountSection, string>>;
  onSetUsername: (username: string | null) => void;
  onChangePassphrase: (change: { current?: string; next: string }) => void;
  onDelete: (confirm: string) => void;
}

const MIN_PASSPHRASE = 8;

export function AccountPanel(props: AccountPanelProps) {
  const { info } = props;
  return (
    <section className="account" aria-labelledby="account-title">
      <h2 id="account-title">Account</h2>
      <UsernameSection {...props} />
      <section className="account-section" aria-labelledby="fingerprint-title">
        <h3 id="fingerprint-title">
          <ShieldCheck size={16} aria-hidden="true" /> Your safety number
        </h3>
        <p className="digits own-digits" aria-label="Your safety number digits">
          {groupDigits(info.safetyDigits).map((group, i) => (
            <span key={i}>{group}</span>
          ))}
        </p>
        <p className="hint">
          These 30 digits are your half of every safety number: a contact comparing numbers with you sees them
          too. They change only if this account gets a new identity key.
        </p>
      </section>
      <section className="account-section" aria-labelledby="relay-title">
        <h3 id="relay-title">Relay</h3>
        <p>
          <code className="relay-url">{info.relayUrl}</code>
        </p>
        <p className="hint">
          Your messages pass through this relay, end-to-end encrypted: it never sees what you say, and sealed
          sender hides from it who sent each message. It does see when you are connected and how much you send
          and receive.
        </p>
      </section>
      <PassphraseSection {...props} />
      <DeleteSection {...props} />
    </section>
  );
}

function UsernameSection({ info, busy, errors, done, onSetUsername }: AccountPanelProps) {
  const [draft, setDraft] = useState(info.username ?? '');
  const errorId = useId();
  const error = errors.username ?? null;
  const name = draft.trim();
  const changed = name !== (info.username ?? '');
  function submit(event: FormEvent) {
    event.preventDefault();
    if (name.length >= 3 && changed && busy === null) onSetUsername(name);
  }
  return (
    <section className="account-section" aria-labelledby="username-title">
      <h3 id="username-title">Username</h3>
      <p className="hint">
        {info.username === null
          ? 'You have no username: nobody can find you by name. People you write to still can reply.'
          : `People find you as ${info.username}. Changing or releasing it does not change your safety number.`}
      </p>
      <form className="inline-form" onSubmit={submit}>
        <label className="field">
          <span>Your username</span>
          <input
            value={draft}
            maxLength={32}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setDraft(e.target.value)}
            aria-invalid={error !== null || undefined}
            aria-describedby={error !== null ? errorId : undefined}
          />
        </label>
        <button type="submit" disabled={busy !== null || name.length < 3 || !changed}>
          {info.username === null ? 'Set username' : 'Change username'}
        </button>
        {info.username !== null && (
          <button
            type="button"
            className="secondary"
            disabled={busy !== null}
            onClick={() => onSetUsername(null)}
          >
            Release username
          </button>
        )}
      </form>
      <div id={errorId}>
        <ErrorNote error={error} />
      </div>
      {done.username !== undefined && (
        <p className="done" role="status">
          {done.username}
        </p>
      )}
    </section>
  );
}

function PassphraseSection({ info, busy, errors, done, onChangePassphrase }: AccountPanelProps) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const mismatchId = useId();
  const hasPassphrase = info.keystore === 'passphrase';
  const mismatch = again.length > 0 && again !== next;
  const ready =
    next.length >= MIN_PASSPHRASE &&
    again === next &&
    (!hasPassphrase || current.length > 0) &&
    busy === null;
  function submit(event: FormEvent) {
    event.preventDefault();
    if (!ready) return;
    onChangePassphrase(hasPassphrase ? { current, next } : { next });
    setCurrent('');
    setNext('');
    setAgain('');
  }
  return (
    <section className="account-section" aria-labelledby="passphrase-title">
      <h3 id="passphrase-title">
        <KeyRound size={16} aria-hidden="true" /> App-lock passphrase
      </h3>
      <p className="hint">
        {hasPassphrase
          ? 'Wisp asks for this passphrase to unlock. Nobody can reset it: without it, only a backup brings your messages back.'
          : 'Wisp’s key is kept by your operating system, so anyone who can sign in as you can open Wisp. Set a passphrase to be asked for it at every unlock instead.'}
      </p>
      <form className="stacked-form" onSubmit={submit}>
        {hasPassphrase && (
          <label className="field">
            <span>Current passphrase</span>
            <input
              type="password"
              autoComplete="current-password"
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
            />
          </label>
        )}
        <label className="field">
          <span>New passphrase</span>
          <input
            type="password"
            autoComplete="new-password"
            value={next}
            onChange={(e) => setNext(e.target.value)}
          />
        </label>
        <label className="field">
          <span>New passphrase again</span>
          <input
            type="password"
            autoComplete="new-password"
            value={again}
            onChange={(e) => setAgain(e.target.value)}
            aria-invalid={mismatch || undefined}
            aria-describedby={mismatch ? mismatchId : undefined}
          />
        </label>
        {mismatch && (
          <p id={mismatchId} className="form-error">
            The two passphrases differ.
          </p>
        )}
        <p className="hint">
          At least {MIN_PASSPHRASE} characters; a few unrelated words are easy to type and hard to guess.
        </p>
        <div>
          <button type="submit" disabled={!ready}>
            {hasPassphrase ? 'Change passphrase' : 'Set passphrase'}
          </button>
        </div>
      </form>
      <ErrorNote error={errors.passphrase ?? null} />
      {done.passphrase !== undefined && (
        <p className="done" role="status">
          {done.passphrase}
        </p>
      )}
    </section>
  );
}

function DeleteSection({ info, busy, errors, onDelete }: AccountPanelProps) {
  const [confirm, setConfirm] = useState('');
  const expected = info.username ?? DELETE_CONFIRMATION_WORD;
  const matches = confirm.trim() === expected;
  function submit(event: FormEvent) {
    event.preventDefault();
    if (matches && busy === null) onDelete(confirm.trim());
  }
  return (
    <section className="account-section danger-zone" aria-labelledby="delete-title">
      <h3 id="delete-title">
        <Trash2 size={16} aria-hidden="true" /> Delete account and wipe this device
      </h3>
      <p>
        This unregisters your account at the relay — your username becomes free for anyone, messages waiting
        for you are dropped — and erases every message, contact and key on this device. It cannot be undone,
        and contacts will see a new safety number if you come back.
      </p>
      <form className="stacked-form" onSubmit={submit}>
        <label className="field">
          <span>
            Type{' '}
            {info.username === null ? `“${DELETE_CONFIRMATION_WORD}”` : `your username “${info.username}”`} to
            confirm
          </span>
          <input
            value={confirm}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setConfirm(e.target.value)}
          />
        </label>
        <div>
          <button type="submit" className="danger" disabled={!matches || busy !== null}>
            {busy === 'delete' ? 'Deleting…' : 'Delete account and wipe this device'}
          </button>
        </div>
      </form>
      <ErrorNote error={errors.delete ?? null} />
    </section>
  );
}
