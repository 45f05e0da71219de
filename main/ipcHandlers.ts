// The one way main/ registers IPC handlers (STYLE.md item 2, after VS Code's validated ipcMain):
// every channel of the contract, each call first checked to come from the app's own main frame,
// then validated against the contract's schema by the shared dispatcher.
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { channels, type IpcResult } from '../common/ipc';
import type { Dispatcher } from '../core/services';

export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

/** The part of ipcMain this uses, so tests can pass a recorder without faking Electron wholesale. */
export type HandlerRegistry = Pick<IpcMain, 'handle' | 'removeHandler'>;

const FOREIGN_SENDER: IpcResult<never> = {
  ok: false,
  error: { kind: 'Unauthorized', message: 'IPC refused: the caller is not the Wisp window' },
};

/** Registers every contract channel; returns a function that removes them all again. */
export function registerHandlers(
  ipc: HandlerRegistry,
  dispatch: Dispatcher,
  isTrustedSender: SenderCheck,
): () => void {
  for (const { channel } of channels) {
    ipc.handle(channel, async (event, ...args: unknown[]) => {
      if (!isTrustedSender(event)) return FOREIGN_SENDER;
      return dispatch(channel, args);
    });
  }
  return () => {
    for (const { channel } of channels) ipc.removeHandler(channel);
  };
}

/** The parts of an IPC event the sender check reads. */
export interface SenderInfo {
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
  readonly sender: { readonly id: number };
}

/**
 * True only for the top frame of one of our windows, showing our own origin. Guards against
 * iframes (there should be none, CSP forbids them), a navigated-away page and other webContents.
 */
export function isAppMainFrame(
  event: SenderInfo,
  appOrigin: string,
  windowIds: ReadonlySet<number>,
): boolean {
  const frame = event.senderFrame;
  if (frame === null || frame.parent !== null) return false;
  if (!windowIds.has(event.sender.id)) return false;
  return originOf(frame.url) === appOrigin;
}

/**
 * `scheme://host[:port]` of a URL, or null. Not `URL.origin`: Node's URL reports "null" as the
 * origin of custom schemes such as wisp://, which would make every wisp:// page look alike.
 */
export function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.host === '' ? null : `${parsed.protocol}//${parsed.host}`;
  } catch {
    return null;
  }
}
