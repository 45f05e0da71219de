// Electron main process: app lifecycle, one hardened window, and IPC wiring to core/services.
// Thin on purpose (PRODUCT.md): everything here is Electron glue; the logic lives in core/ and common/.
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  powerMonitor,
  protocol,
  safeStorage,
  session,
  shell,
  type WebContents,
} from 'electron';
import { join } from 'node:path';
import { EVENT_CHANNEL } from '../common/ipc';
import { electronNotifications } from './notifications';
import { loggerFor } from '../core/log';
import {
  contentProtectionSupport,
  createDispatcher,
  createServices,
  startIdleLock,
  type PlatformAdapter,
} from '../core/services';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, appRequestHandler } from './appProtocol';
import { isAppMainFrame, registerHandlers } from './ipcHandlers';
import { OpenRequestQueue, openRequestsFromArgv, parseBackupPath, parseWispLink } from './openRequests';
import { isAllowedNavigation, isPermissionAllowed, isSafeExternalUrl } from './security';

const log = loggerFor('main');
const here = import.meta.dirname;
const windows = new Set<BrowserWindow>();
const windowIds = new Set<number>();
let contentProtection = true;
/** wisp:// links and .wisp-backup files the OS handed over, held until the first window has loaded. */
const openRequests = new OpenRequestQueue();
/** Lets the restore read a .wisp-backup file the OS opened (set once the services exist). */
let allowBackupPath: (path: string) => void = () => undefined;

// Must run before `ready`: the scheme gets a real origin, fetch and a secure context.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

/** electron-vite dev only: the renderer comes from its dev server instead of the wisp:// scheme. */
const devRendererUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;
const appOrigin = devRendererUrl === undefined ? APP_ORIGIN : new URL(devRendererUrl).origin;

if (!app.requestSingleInstanceLock()) {
  // A second copy would open the same encrypted profile twice; hand over to the first one instead.
  app.quit();
} else {
  // Windows and Linux pass a link or a file on the command line, to us or to a second instance.
  for (const request of openRequestsFromArgv(process.argv, process.cwd())) openRequests.push(request);
  app.on('second-instance', (_event, argv, workingDirectory) => {
    for (const request of openRequestsFromArgv(argv, workingDirectory)) openRequests.push(request);
    const [win] = windows;
    if (win === undefined) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  // macOS hands them over as events, possibly before `ready`.
  app.on('open-url', (event, url) => {
    event.preventDefault();
    const request = parseWispLink(url);
    if (request !== null) openRequests.push(request);
  });
  app.on('open-file', (event, path) => {
    event.preventDefault();
    const request = parseBackupPath(path, process.cwd());
    if (request !== null) openRequests.push(request);
  });
  app
    .whenReady()
    .then(start)
    .catch((error: unknown) => {
      log.fatal({ err: error }, 'app failed to become ready');
      app.exit(1);
    });
}

function hardenWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(url, appOrigin)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAllowedNavigation(url, appOrigin)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // No new windows ever; an https link goes to the user's browser after the scheme check.
    if (isSafeExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1100,
    height: 760,
    minWidth: 720,
    minHeight: 480,
    show: false,
    backgroundColor: '#0f1115',
    title: 'Wisp',
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      // Middle-click (auxclick) could open a link in a new window past the will-navigate guard.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  win.setContentProtection(contentProtection);
  const id = win.webContents.id;
  windows.add(win);
  windowIds.add(id);
  win.on('closed', () => {
    windows.delete(win);
    windowIds.delete(id);
  });
  win.once('ready-to-show', () => {
    win.show();
    // The page has rendered, so the preload runs and holds open.* events until the page subscribes;
    // sent any earlier, they would be lost.
    openRequests.attach((event) => {
      if (event.type === 'open.backupFile') allowBackupPath(event.path);
      const [target] = windows;
      target?.webContents.send(EVENT_CHANNEL, event);
    });
  });
  void win.loadURL(devRendererUrl ?? `${APP_ORIGIN}/index.html`);
  return win;
}

/**
 * The relay the onboarding form suggests. `WISP_RELAY_URL` wins; otherwise an unpackaged app
 * (`npm start`) runs a local relay in-process on loopback so it works out of the box, on a random
 * port remembered in its data folder (`WISP_RELAY_PORT` fixes one). A packaged app never starts one
 * unless WISP_EMBEDDED_RELAY=1.
 */
async function relayForOnboarding(): Promise<{ url: string | null; close: () => Promise<void> }> {
  const none = { url: process.env.WISP_RELAY_URL ?? null, close: async () => undefined };
  const wanted = process.env.WISP_EMBEDDED_RELAY ?? (app.isPackaged ? '0' : '1');
  if (none.url !== null || wanted !== '1') return none;
  try {
    const { startEmbeddedRelay } = await import('./embeddedRelay');
    const fixedPort = process.env.WISP_RELAY_PORT;
    const relay = await startEmbeddedRelay(
      join(app.getPath('userData'), 'embedded-relay'),
      fixedPort === undefined ? undefined : Number(fixedPort),
    );
    return { url: relay.url, close: () => relay.close() };
  } catch (error) {
    log.warn({ err: error }, 'embedded relay did not start');
    return none;
  }
}

async function start(): Promise<void> {
  protocol.handle(APP_SCHEME, appRequestHandler(join(here, '../renderer')));

  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, permission, callback) =>
    callback(isPermissionAllowed(permission)),
  );
  ses.setPermissionCheckHandler((_contents, permission) => isPermissionAllowed(permission));
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

  const relay = await relayForOnboarding();
  const platform: PlatformAdapter = {
    runtime: 'electron',
    version: app.getVersion(),
    defaultRelayUrl: relay.url,
    contentProtection: contentProtectionSupport(process.platform),
    applyContentProtection(enabled) {
      contentProtection = enabled;
      for (const win of windows) win.setContentProtection(enabled);
    },
    async openExternal(url) {
      if (!isSafeExternalUrl(url)) return false;
      await shell.openExternal(url);
      return true;
    },
    async choosePath(purpose, defaultName) {
      // Attached to the window, so the dialog is modal to Wisp and cannot be lost behind it.
      const [win] = windows;
      const filters = [{ name: 'Wisp backup', extensions: ['wisp-backup', 'age'] }];
      if (purpose === 'export') {
        const options = {
          title: 'Save the encrypted backup',
          defaultPath: join(app.getPath('documents'), defaultName),
          filters,
        };
        const chosen = await (win ? dialog.showSaveDialog(win, options) : dialog.showSaveDialog(options));
        return chosen.canceled || chosen.filePath === undefined ? null : chosen.filePath;
      }
      const options = {
        title: 'Open an encrypted backup',
        properties: ['openFile' as const],
        filters: [...filters, { name: 'All files', extensions: ['*'] }],
      };
      const chosen = await (win ? dialog.showOpenDialog(win, options) : dialog.showOpenDialog(options));
      return chosen.canceled ? null : (chosen.filePaths[0] ?? null);
    },
    async chooseSavePath(defaultName) {
      // The attachment is decrypted only to where the person chose here; the page never names a path.
      const [win] = windows;
      const options = { title: 'Save attachment', defaultPath: join(app.getPath('downloads'), defaultName) };
      const chosen = await (win ? dialog.showSaveDialog(win, options) : dialog.showSaveDialog(options));
      return chosen.canceled || chosen.filePath === undefined ? null : chosen.filePath;
    },
    safeStorage,
    notifications: electronNotifications(windows),
  };
  const host = createServices({ dataDir: app.getPath('userData'), platform });
  await host.start();
  allowBackupPath = (path) => host.allowBackupPath(path);

  registerHandlers(ipcMain, createDispatcher(host.services), (event) =>
    isAppMainFrame(event, appOrigin, windowIds),
  );
  host.onEvent((event) => {
    for (const win of windows) win.webContents.send(EVENT_CHANNEL, event);
  });

  createWindow();
  app.on('activate', () => {
    if (windows.size === 0) createWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // PRODUCT.md, App lock: when the OS locks, the profile closes and its key leaves memory.
  powerMonitor.on('lock-screen', () => {
    void host.services.account.lock();
  });
  const stopIdleLock = startIdleLock({
    idleSeconds: () => powerMonitor.getSystemIdleTime(),
    minutes: async () => (await host.services.settings.get()).autoLockMinutes,
    lock: () => host.services.account.lock(),
  });
  app.on('before-quit', () => {
    stopIdleLock();
    void host.close().then(() => relay.close());
  });
  log.info({ label: APP_HOST }, 'started');
}
