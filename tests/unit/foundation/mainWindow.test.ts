// main/index.ts wired against a recorded Electron (no binary here): the window is sandboxed and
// isolated, the app comes from the wisp:// scheme, permissions, navigation, window.open and
// webviews are refused, and a second instance hands over instead of opening the profile again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

type Listener = (...args: unknown[]) => void;

const recorded = vi.hoisted(() => {
  const state = {
    dataDir: '',
    schemes: [] as unknown[],
    protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
    windows: [] as { options: Record<string, unknown>; loaded: string[]; contentProtection: boolean[] }[],
    appListeners: new Map<string, Listener[]>(),
    ipcChannels: [] as string[],
    permissionRequest: undefined as undefined | ((c: unknown, p: string, cb: (ok: boolean) => void) => void),
    permissionCheck: undefined as undefined | ((c: unknown, p: string) => boolean),
    opened: [] as string[],
    ready: undefined as undefined | (() => void),
    powerListeners: new Map<string, Listener>(),
  };
  return state;
});

vi.mock('electron', () => {
  class BrowserWindow {
    readonly webContents = { id: 1, send: () => undefined };
    readonly record: { options: Record<string, unknown>; loaded: string[]; contentProtection: boolean[] };
    constructor(options: Record<string, unknown>) {
      this.record = { options, loaded: [], contentProtection: [] };
      recorded.windows.push(this.record);
    }
    setContentProtection(on: boolean) {
      this.record.contentProtection.push(on);
    }
    on() {}
    once() {}
    isMinimized() {
      return false;
    }
    loadURL(url: string) {
      this.record.loaded.push(url);
      return Promise.resolve();
    }
  }
  const app = {
    isPackaged: true,
    requestSingleInstanceLock: () => true,
    on: (name: string, fn: Listener) => {
      recorded.appListeners.set(name, [...(recorded.appListeners.get(name) ?? []), fn]);
    },
    whenReady: () => new Promise<void>((resolve) => (recorded.ready = resolve)),
    getVersion: () => '0.0.0-test',
    getPath: () => recorded.dataDir,
    quit: () => undefined,
    exit: () => undefined,
  };
  return {
    app,
    BrowserWindow,
    powerMonitor: {
      on: (name: string, fn: Listener) => void recorded.powerListeners.set(name, fn),
      getSystemIdleTime: () => 0,
    },
    ipcMain: {
      handle: (channel: string) => recorded.ipcChannels.push(channel),
      removeHandler: () => undefined,
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => recorded.schemes.push(...schemes),
      handle: (scheme: string, fn: (request: Request) => Promise<Response>) =>
        recorded.protocolHandlers.set(scheme, fn),
    },
    safeStorage: {
      isEncryptionAvailable: () => false,
      encryptString: () => Buffer.alloc(0),
      decryptString: () => '',
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: typeof recorded.permissionRequest) =>
          (recorded.permissionRequest = fn),
        setPermissionCheckHandler: (fn: typeof recorded.permissionCheck) => (recorded.permissionCheck = fn),
      },
    },
    shell: { openExternal: (url: string) => (recorded.opened.push(url), Promise.resolve()) },
  };
});

beforeAll(async () => {
  // No embedded relay in this test: it is about the window, not the relay.
  process.env.WISP_EMBEDDED_RELAY = '0';
  recorded.dataDir = mkdtempSync(join(tmpdir(), 'wisp-main-'));
  await import('../../../main/index');
  recorded.ready?.();
  await vi.waitFor(() => expect(recorded.windows.length).toBe(1));
});
afterAll(() => rmSync(recorded.dataDir, { recursive: true, force: true }));

function fakeContents() {
  const handlers = new Map<string, Listener>();
  let openHandler: ((d: { url: string }) => { action: string }) | undefined;
  return {
    handlers,
    open: (url: string) => openHandler?.({ url }),
    on: (name: string, fn: Listener) => void handlers.set(name, fn),
    setWindowOpenHandler: (fn: typeof openHandler) => void (openHandler = fn),
  };
}

describe('main process hardening', () => {
  it('opens one window that is sandboxed, context-isolated and without Node', () => {
    const prefs = recorded.windows[0]!.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      disableBlinkFeatures: 'Auxclick',
    });
    expect(String(prefs.preload)).toMatch(/preload[/\\]index\.cjs$/);
  });

  it('serves the app from the privileged wisp:// scheme, never file://', () => {
    expect(recorded.schemes).toEqual([
      { scheme: 'wisp', privileges: { standard: true, secure: true, supportFetchAPI: true } },
    ]);
    expect(recorded.protocolHandlers.has('wisp')).toBe(true);
    expect(recorded.windows[0]!.loaded).toEqual(['wisp://app/index.html']);
  });

  it('applies the stored content-protection setting to the window (on by default)', () => {
    expect(recorded.windows[0]!.contentProtection).toEqual([true]);
  });

  it('locks the account when the OS locks the screen', () => {
    expect(recorded.powerListeners.has('lock-screen')).toBe(true);
  });

  it('registers the contract handlers', () => {
    expect(recorded.ipcChannels).toContain('wisp:account.status');
    expect(recorded.ipcChannels.every((c) => c.startsWith('wisp:'))).toBe(true);
  });

  it('grants notifications and clipboard writes (Copy of a recovery key), and nothing else', () => {
    const answers: Record<string, boolean> = {};
    for (const p of [
      'notifications',
      'clipboard-sanitized-write',
      'media',
      'geolocation',
      'clipboard-read',
      'openExternal',
    ]) {
      recorded.permissionRequest!(null, p, (ok) => (answers[p] = ok));
    }
    expect(answers).toEqual({
      notifications: true,
      'clipboard-sanitized-write': true,
      media: false,
      geolocation: false,
      'clipboard-read': false,
      openExternal: false,
    });
    expect(recorded.permissionCheck!(null, 'media')).toBe(false);
  });

  it('denies navigation away, window.open and webviews; sends only https links to the browser', () => {
    const contents = fakeContents();
    for (const fn of recorded.appListeners.get('web-contents-created') ?? []) fn({}, contents);
    const prevented = (name: string, url?: string) => {
      let stopped = false;
      contents.handlers.get(name)!({ preventDefault: () => (stopped = true) }, url);
      return stopped;
    };
    expect(prevented('will-navigate', 'https://evil.example/')).toBe(true);
    expect(prevented('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(prevented('will-navigate', 'wisp://app/index.html')).toBe(false);
    expect(prevented('will-redirect', 'https://evil.example/')).toBe(true);
    expect(prevented('will-attach-webview')).toBe(true);
    expect(contents.open('https://example.org/')).toEqual({ action: 'deny' });
    expect(contents.open('javascript:alert(1)')).toEqual({ action: 'deny' });
    expect(contents.open('http://example.org/')).toEqual({ action: 'deny' });
    expect(recorded.opened).toEqual(['https://example.org/']);
  });
});
