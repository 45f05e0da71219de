// Settings: theme, screen-capture protection (stated honestly where the OS cannot do it), receipts,
// the default timers for new conversations and the network route (a SOCKS5 proxy).
import type { ReactNode } from 'react';
import type { AppInfo, NotificationMode, Settings, SettingsPatch, Theme } from '../../common/ipc';
import { BURN_CHOICES, EXPIRE_CHOICES } from '../lib/format';
import { NetworkSettings } from './NetworkSettings';
import { TimerSelect } from './TimerSelect';

const AUTO_LOCK_CHOICES = [1, 5, 15, 30, 60, 240];

export interface SettingsPanelProps {
  settings: Settings;
  contentProtection: AppInfo['capabilities']['contentProtection'];
  busy: boolean;
  onChange: (patch: SettingsPatch) => void;
  onLock: () => void;
  /** Further sections (Settings → Backups), shown before the lock button. */
  children?: ReactNode;
}

export function SettingsPanel({
  settings,
  contentProtection,
  busy,
  onChange,
  onLock,
  children,
}: SettingsPanelProps) {
  return (
    <section className="settings" aria-labelledby="settings-title">
      <h2 id="settings-title">Settings</h2>
      <label>
        Theme
        <select
          value={settings.theme}
          disabled={busy}
          onChange={(e) => onChange({ theme: e.target.value as Theme })}
        >
          <option value="dark">Dark</option>
          <option value="light">Light</option>
          <option value="system">Follow the system</option>
        </select>
      </label>
      <label>
        Notifications
        <select
          value={settings.notifications}
          disabled={busy}
          onChange={(e) => onChange({ notifications: e.target.value as NotificationMode })}
        >
          <option value="off">Off</option>
          <option value="new-message">“New message” only</option>
          <option value="sender">Sender</option>
          <option value="sender-and-text">Sender and text</option>
        </select>
      </label>

      <fieldset>
        <legend>Screen-capture protection</legend>
        <label>
          <input
            type="checkbox"
            checked={contentProtection.available && settings.contentProtection}
            disabled={busy || !contentProtection.available}
            onChange={(e) => onChange({ contentProtection: e.target.checked })}
          />
          Hide Wisp&apos;s window from screenshots and screen sharing
        </label>
        {!contentProtection.available && (
          <p className="hint">{contentProtection.reason ?? 'Unavailable on this system.'}</p>
        )}
      </fieldset>

      <fieldset>
        <legend>Receipts</legend>
        {settings.receipts === null ? (
          <p className="hint">Unlock Wisp to change receipts.</p>
        ) : (
          <>
            <label>
              <input
                type="checkbox"
                checked={settings.receipts.deliveryReceipts}
                disabled={busy}
                onChange={(e) => onChange({ receipts: { deliveryReceipts: e.target.checked } })}
              />
              Send delivery receipts
            </label>
            <label>
              <input
                type="checkbox"
                checked={settings.receipts.readReceipts}
                disabled={busy}
                onChange={(e) => onChange({ receipts: { readReceipts: e.target.checked } })}
              />
              Send read receipts
            </label>
          </>
        )}
      </fieldset>

      <fieldset>
        <legend>Default timers for new conversations</legend>
        <TimerSelect
          label="Expires"
          choices={EXPIRE_CHOICES}
          value={settings.defaultTimers.expireAfterMs}
          disabled={busy}
          onChange={(ms) => onChange({ defaultTimers: { ...settings.defaultTimers, expireAfterMs: ms } })}
        />
        <TimerSelect
          label="Burn after reading"
          choices={BURN_CHOICES}
          value={settings.defaultTimers.burnAfterMs}
          disabled={busy}
          onChange={(ms) => onChange({ defaultTimers: { ...settings.defaultTimers, burnAfterMs: ms } })}
        />
      </fieldset>

      <label>
        Lock after the computer is idle for
        <select
          value={settings.autoLockMinutes === null ? 'never' : String(settings.autoLockMinutes)}
          disabled={busy}
          onChange={(e) =>
            onChange({ autoLockMinutes: e.target.value === 'never' ? null : Number(e.target.value) })
          }
        >
          {AUTO_LOCK_CHOICES.map((m) => (
            <option key={m} value={String(m)}>
              {m < 60 ? `${m} minutes` : `${m / 60} hour${m === 60 ? '' : 's'}`}
            </option>
          ))}
          <option value="never">Never</option>
        </select>
      </label>

      <NetworkSettings
        proxyUrl={settings.proxyUrl}
        busy={busy}
        onSave={(proxyUrl) => onChange({ proxyUrl })}
      />

      {children}

      <button type="button" onClick={onLock} disabled={busy}>
        Lock Wisp now
      </button>
    </section>
  );
}
