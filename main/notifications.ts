// Electron glue for core/services/notifications.ts: shows a desktop notification, closes it when
// the service withdraws it (message read, expired, burned, deleted, or the app locked), and sets
// the dock/taskbar badge. What a notification says is decided in core, not here.
import { app, Notification, type BrowserWindow } from 'electron';
import type { NotificationSink } from '../core/services';

export function electronNotifications(windows: ReadonlySet<BrowserWindow>): NotificationSink {
  const shown = new Map<string, Notification>();
  return {
    show(view) {
      if (!Notification.isSupported()) return;
      const note = new Notification({ title: view.title, body: view.body });
      note.on('click', () => {
        for (const win of windows) {
          win.show();
          win.focus();
        }
      });
      note.on('close', () => shown.delete(view.id));
      shown.set(view.id, note);
      note.show();
    },
    withdraw(id) {
      shown.get(id)?.close();
      shown.delete(id);
    },
    setBadge(count) {
      app.setBadgeCount(count);
    },
  };
}
