// What the services need from the runtime they run in (Electron main or the browser harness),
// injected so core/ never imports electron and the same services run under plain Node.
import type { NotificationView } from '../../common/ipc';
import type { SafeStorageLike } from '../vault';

export interface NotificationSink {
  show(notification: NotificationView): void;
  /** Closes the notification of this message if it is still shown. */
  withdraw(id: string): void;
  setBadge(count: number): void;
}

export interface PlatformAdapter {
  readonly runtime: 'electron' | 'harness';
  readonly version: string;
  /** Suggested relay for onboarding, e.g. the embedded local relay; null when there is none. */
  readonly defaultRelayUrl: string | null;
  /** Whether window content protection works here, and why not when it does not. */
  readonly contentProtection: { available: boolean; reason?: string };
  /** Applies the content-protection setting to every window (a no-op where unavailable). */
  applyContentProtection(enabled: boolean): void;
  /** Opens an already-validated https URL outside the app; returns whether it was opened. */
  openExternal(url: string): Promise<boolean>;
  /** Desktop notifications and the unread badge (Electron's Notification); absent in the harness. */
  readonly notifications?: NotificationSink;
  /**
   * Asks the person where to save a backup (`export`) or which one to open (`import`): a native file
   * dialog in the app; null when they closed it. Absent in the browser harness, whose page offers a
   * path field instead (tests type into it).
   */
  choosePath?(purpose: 'export' | 'import', defaultName: string): Promise<string | null>;
  /** Asks where to save an attachment (a native save dialog); null when closed. Absent: a path field. */
  chooseSavePath?(defaultName: string): Promise<string | null>;
  /** Electron's safeStorage, inside the app only. */
  readonly safeStorage?: SafeStorageLike;
}

/** Content protection is a Windows/macOS feature of Electron; on Linux it does nothing. */
export function contentProtectionSupport(platform: string): { available: boolean; reason?: string } {
  return platform === 'win32' || platform === 'darwin'
    ? { available: true }
    : { available: false, reason: 'Screen-capture protection is not available on Linux.' };
}
