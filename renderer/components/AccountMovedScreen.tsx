// Shown instead of the messenger once the relay moved this account to a newer device (a backup was
// restored and connected there): one device per account, so this one has stopped.
export interface AccountMovedScreenProps {
  busy: boolean;
  /** Back to the unlock screen; unlocking reconnects here and moves the account back. */
  onUseHere: () => void;
}

export function AccountMovedScreen({ busy, onUseHere }: AccountMovedScreenProps) {
  return (
    <section className="account-moved card" aria-labelledby="account-moved-title">
      <h1 id="account-moved-title">This account is now active on another device</h1>
      <p>
        Your account was restored from a backup on another device, and that device connected. A Wisp account
        is active on one device at a time, so this one no longer sends or receives messages.
      </p>
      <p className="hint">
        Using the account here again moves it back and stops it on the other device. Messages sent to you in
        the meantime went to the other device.
      </p>
      <button type="button" className="secondary" disabled={busy} onClick={onUseHere}>
        Use Wisp on this device again
      </button>
    </section>
  );
}
