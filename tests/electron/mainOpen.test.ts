// main/index.ts routes what the OS hands over — a link on the first command line, macOS open-url
// and open-file before the app is ready, a second instance's command line — to the window as open.*
// events on the one event channel, once the window is ready, and drops what does not parse.
// Electron is recorded (no binary here, TOOLCHAIN.md); the services behind main are the real ones.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EVENT_CHANNEL } from '../../common/ipc';

type Listener = (...args: unknown[]) => void;

const recorded = vi.hoisted(() => ({
  dataDir: '',
  appListeners: new Map<string, Listener[]>(),
  windowListeners: new Map<string, Listener>(),
  sent: [] as { channel: string; payload: unknown }[],
  ready: undefined as undefined | (() => void),
  windows: 0,
}));

vi.mock('electron', () => {
  class BrowserWindow {
    readonly webContents = {
      id: 1,
      send: (channel: string, payload: unknown) => recorded.sent.push({ channel, payload }),
    };
    constructor() {
      recorded.windows += 1;
    }
    setContentProtection() {}
    on() {}
    once(name: string, fn: Listener) {
      recorded.windowListeners.set(name, fn);
    }
    show() {}
    isMinimized() {
      return false;
    }
    focus() {}
    loadURL() {
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
    powerMonitor: { on: () => undefined, getSystemIdleTime: () => 0 },
    ipcMain: { handle: () => undefined, removeHandler: () => undefined },
    protocol: { registerSchemesAsPrivileged: () => undefined, handle: () => undefined },
    safeStorage: {
      isEncryptionAvailable: () => false,
      encryptString: () => Buffer.alloc(0),
      decryptString: () => '',
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: () => undefined,
        setPermissionCheckHandler: () => undefined,
      },
    },
    shell: { openExternal: () => Promise.resolve() },
  };
});

const emit = (name: string, ...args: unknown[]) => {
  for (const fn of recorded.appListeners.get(name) ?? []) fn(...args);
};
const openEvents = () => recorded.sent.filter((s) => s.channel === EVENT_CHANNEL).map((s) => s.payload);
let backup = '';
const savedArgv = process.argv;

beforeAll(async () => {
  process.env.WISP_EMBEDDED_RELAY = '0';
  recorded.dataDir = mkdtempSync(join(tmpdir(), 'wisp-main-open-'));
  backup = join(recorded.dataDir, 'old.wisp-backup');
  writeFileSync(backup, 'age-encryption.org/v1\n');
  // As Linux/Windows start the app for a link: the URL on the first command line.
  process.argv = ['/opt/Wisp/wisp', '--no-sandbox', 'wisp://add?username=carol', 'wisp://add?username=x'];
  try {
    await import('../../main/index');
  } finally {
    process.argv = savedArgv;
  }
});
afterAll(() => rmSync(recorded.dataDir, { recursive: true, force: true }));

describe('main routes OS open requests to the window', () => {
  it('holds what arrives before the window is ready, then sends it in order as open.* events', async () => {
    const prevented = vi.fn();
    // macOS delivers these before `ready`.
    emit('open-url', { preventDefault: prevented }, 'wisp://add?username=dave');
    emit('open-url', { preventDefault: prevented }, 'wisp://evil?username=dave');
    emit('open-file', { preventDefault: prevented }, backup);
    emit('open-file', { preventDefault: prevented }, join(recorded.dataDir, 'notes.txt'));
    expect(prevented).toHaveBeenCalledTimes(4);

    recorded.ready?.();
    await vi.waitFor(() => expect(recorded.windows).toBe(1));
    expect(openEvents()).toEqual([]);

    recorded.windowListeners.get('ready-to-show')?.();
    expect(openEvents()).toEqual([
      { type: 'open.addContact', username: 'carol' },
      { type: 'open.addContact', username: 'dave' },
      { type: 'open.backupFile', path: backup },
    ]);
  });

  it('sends a second instance’s link or file at once, resolving relative paths in its folder', () => {
    recorded.sent.length = 0;
    emit(
      'second-instance',
      {},
      ['/opt/Wisp/wisp', 'old.wisp-backup', 'wisp://add?username=erin'],
      recorded.dataDir,
    );
    expect(openEvents()).toEqual([
      { type: 'open.backupFile', path: backup },
      { type: 'open.addContact', username: 'erin' },
    ]);
  });
});
