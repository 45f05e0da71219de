// What the OS hands the app to open: `wisp://add?username=…` links and `.wisp-backup` files become
// typed events of the IPC contract; every malformed or foreign link and every other file is
// dropped. Then the path of such an event: held in main until a window has loaded, held in the
// preload until the page subscribes. Pure Node, no Electron binary needed (electron is mocked for
// the preload only, as TOOLCHAIN.md says main-process imports need).
import { EventEmitter } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  EVENT_CHANNEL,
  WispEventSchema,
  type OpenEvent,
  type WispBridge,
  type WispEvent,
} from '../../common/ipc';
import {
  OpenRequestQueue,
  openRequestsFromArgv,
  parseBackupPath,
  parseWispLink,
} from '../../main/openRequests';
import { scratch } from './support/standIn';

const ipcRenderer = Object.assign(new EventEmitter(), { invoke: vi.fn() });
const exposed: Record<string, unknown> = {};
vi.mock('electron', () => ({
  ipcRenderer,
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
}));

describe('wisp:// links', () => {
  it('turns wisp://add?username=… into an add-contact event the contract accepts', () => {
    for (const link of ['wisp://add?username=alice', 'wisp://add/?username=a_b.c9']) {
      const event = parseWispLink(link);
      expect(event).toEqual({
        type: 'open.addContact',
        username: new URL(link).searchParams.get('username'),
      });
      expect(WispEventSchema.safeParse(event).success).toBe(true);
    }
  });

  it.each([
    ['another host', 'wisp://app/index.html'],
    ['another action', 'wisp://remove?username=alice'],
    ['a path', 'wisp://add/alice'],
    ['a second parameter', 'wisp://add?username=alice&then=send'],
    ['a repeated parameter', 'wisp://add?username=alice&username=mallory'],
    ['credentials', 'wisp://user:pw@add?username=alice'],
    ['a port', 'wisp://add:80?username=alice'],
    ['a fragment', 'wisp://add?username=alice#x'],
    ['a name that needs trimming', 'wisp://add?username=%20alice'],
    ['a name too short', 'wisp://add?username=al'],
    ['a name too long', `wisp://add?username=${'a'.repeat(33)}`],
    ['a name with markup', 'wisp://add?username=%3Cscript%3E'],
    ['a name with a dash (the relay refuses one)', 'wisp://add?username=ann-marie'],
    ['a name outside ASCII', 'wisp://add?username=%D0%B0lice'],
    ['no name', 'wisp://add'],
    ['another scheme', 'https://add?username=alice'],
    ['a script URL', 'javascript:alert(1)//wisp://add?username=alice'],
    ['an overlong link', `wisp://add?username=alice&${'x'.repeat(300)}`],
    ['no slashes', 'wisp:add?username=alice'],
  ])('drops a link with %s', (_why, link) => {
    expect(parseWispLink(link)).toBeNull();
  });
});

describe('.wisp-backup files', () => {
  const { dir, cleanup } = scratch('wisp-open-');
  afterAll(cleanup);
  const backup = join(dir, 'Alice 2026.wisp-backup');
  writeFileSync(backup, 'age-encryption.org/v1\n');
  mkdirSync(join(dir, 'folder.wisp-backup'));
  writeFileSync(join(dir, 'notes.txt'), 'x');

  it('opens an existing backup by absolute path, relative path or file:// URL, always as an absolute path', () => {
    const expected: OpenEvent = { type: 'open.backupFile', path: backup };
    expect(parseBackupPath(backup, '/')).toEqual(expected);
    expect(parseBackupPath('Alice 2026.wisp-backup', dir)).toEqual(expected);
    expect(parseBackupPath(pathToFileURL(backup).href, '/')).toEqual(expected);
    expect(parseBackupPath(join(dir, 'UPPER.WISP-BACKUP'), '/', () => true)).toEqual({
      type: 'open.backupFile',
      path: join(dir, 'UPPER.WISP-BACKUP'),
    });
    expect(WispEventSchema.safeParse(expected).success).toBe(true);
  });

  it.each([
    ['another extension', 'notes.txt'],
    ['a folder', 'folder.wisp-backup'],
    ['a missing file', 'gone.wisp-backup'],
    ['a NUL byte', 'x\0.wisp-backup'],
    ['an http URL', 'http://example.org/a.wisp-backup'],
    ['an empty argument', ''],
  ])('ignores %s', (_why, arg) => {
    expect(parseBackupPath(arg, dir)).toBeNull();
  });

  it('finds links and backups in a command line, skipping the executable, switches and the app folder', () => {
    const argv = [
      '/opt/Wisp/wisp',
      '--no-sandbox',
      '.',
      'wisp://add?username=bob',
      backup,
      'wisp://add?username=b',
      '--enable-features=x',
      'notes.txt',
    ];
    expect(openRequestsFromArgv(argv, dir)).toEqual([
      { type: 'open.addContact', username: 'bob' },
      { type: 'open.backupFile', path: backup },
    ]);
    // The executable itself is never taken for a request, even when it looks like one.
    expect(openRequestsFromArgv([backup], dir)).toEqual([]);
  });
});

describe('delivery', () => {
  const alice: OpenEvent = { type: 'open.addContact', username: 'alice' };
  const bob: OpenEvent = { type: 'open.addContact', username: 'bob' };

  it('main holds requests until a window has loaded, then passes them on in order, then at once', () => {
    const queue = new OpenRequestQueue();
    const seen: OpenEvent[] = [];
    queue.push(alice);
    queue.push(bob);
    expect(seen).toEqual([]);
    queue.attach((event) => seen.push(event));
    expect(seen).toEqual([alice, bob]);
    queue.push(alice);
    expect(seen).toEqual([alice, bob, alice]);
  });

  it('main holds at most 16 requests, so a flood of links cannot grow memory', () => {
    const queue = new OpenRequestQueue();
    for (let i = 0; i < 100; i += 1) queue.push(alice);
    const seen: OpenEvent[] = [];
    queue.attach((event) => seen.push(event));
    expect(seen).toHaveLength(OpenRequestQueue.LIMIT);
  });

  it('the preload holds open.* events that arrive before the page subscribes, and only those', async () => {
    await import('../../preload/index');
    const wisp = exposed.wisp as WispBridge;
    const connection: WispEvent = { type: 'connection.changed', state: 'online' };
    ipcRenderer.emit(EVENT_CHANNEL, {}, connection);
    ipcRenderer.emit(EVENT_CHANNEL, {}, alice);

    const first: WispEvent[] = [];
    const unsubscribe = wisp.onEvent((event) => first.push(event));
    expect(first).toEqual([alice]);

    const second: WispEvent[] = [];
    wisp.onEvent((event) => second.push(event));
    ipcRenderer.emit(EVENT_CHANNEL, {}, bob);
    expect(first).toEqual([alice, bob]);
    expect(second).toEqual([bob]);

    unsubscribe();
    ipcRenderer.emit(EVENT_CHANNEL, {}, connection);
    expect(first).toEqual([alice, bob]);
    expect(second).toEqual([bob, connection]);
  });
});
