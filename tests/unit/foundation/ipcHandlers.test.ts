// main/'s one handler-registration wrapper: every contract channel is registered, a call from
// anything but the app's own main frame is refused before dispatch, and bad arguments are refused
// by the shared dispatcher. Electron is mocked (there is no binary here); the services are real.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { channels } from '../../../common/ipc';
import { createDispatcher, createServices, type ServicesHost } from '../../../core/services';
import {
  isAppMainFrame,
  registerHandlers,
  type HandlerRegistry,
  type SenderInfo,
} from '../../../main/ipcHandlers';
import { APP_ORIGIN } from '../../../main/appProtocol';
import { testPlatform } from './platform';

vi.mock('electron', () => ({}));

type Handler = (event: unknown, ...args: unknown[]) => Promise<unknown>;

function recorder() {
  const handlers = new Map<string, Handler>();
  const registry: HandlerRegistry = {
    handle: (channel, fn) => void handlers.set(channel, fn as Handler),
    removeHandler: (channel) => void handlers.delete(channel),
  };
  return { handlers, registry };
}

const WINDOW_ID = 7;
const appFrame: SenderInfo = {
  senderFrame: { url: `${APP_ORIGIN}/index.html`, parent: null },
  sender: { id: WINDOW_ID },
};

let dir: string;
let host: ServicesHost;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wisp-ipc-'));
  host = createServices({ dataDir: dir, platform: testPlatform(), keychain: false });
});
afterEach(async () => {
  await host.close();
  rmSync(dir, { recursive: true, force: true });
});

function wire() {
  const { handlers, registry } = recorder();
  const dispatched: string[] = [];
  const dispatch = createDispatcher(host.services);
  const unregister = registerHandlers(
    registry,
    async (channel, args) => {
      dispatched.push(channel);
      return dispatch(channel, args);
    },
    (event) => isAppMainFrame(event, APP_ORIGIN, new Set([WINDOW_ID])),
  );
  return { handlers, dispatched, unregister };
}

describe('registerHandlers', () => {
  it('registers exactly the contract channels and removes them all again', () => {
    const { handlers, unregister } = wire();
    expect([...handlers.keys()].sort()).toEqual(channels.map((c) => c.channel).sort());
    unregister();
    expect(handlers.size).toBe(0);
  });

  it('answers the app main frame with the real service result', async () => {
    const { handlers } = wire();
    const result = await handlers.get('wisp:account.status')!(appFrame);
    expect(result).toEqual({ ok: true, value: { state: 'none' } });
  });

  it.each([
    [
      'a foreign origin',
      { senderFrame: { url: 'https://evil.example/', parent: null }, sender: { id: WINDOW_ID } },
    ],
    [
      'an iframe of the app',
      { senderFrame: { url: `${APP_ORIGIN}/x`, parent: {} }, sender: { id: WINDOW_ID } },
    ],
    ['a destroyed frame', { senderFrame: null, sender: { id: WINDOW_ID } }],
    [
      'another webContents',
      { senderFrame: { url: `${APP_ORIGIN}/index.html`, parent: null }, sender: { id: 99 } },
    ],
    [
      'a file:// page',
      { senderFrame: { url: 'file:///tmp/index.html', parent: null }, sender: { id: WINDOW_ID } },
    ],
  ])('refuses %s before anything is dispatched', async (_name, event) => {
    const { handlers, dispatched } = wire();
    const result = await handlers.get('wisp:settings.set')!(event, { theme: 'light' });
    expect(result).toMatchObject({ ok: false, error: { kind: 'Unauthorized' } });
    expect(dispatched).toEqual([]);
    expect((await host.services.settings.get()).theme).toBe('dark');
  });

  it('refuses malformed arguments from the app itself with InvalidInput and changes nothing', async () => {
    const { handlers } = wire();
    const wrong = await handlers.get('wisp:settings.set')!(appFrame, { theme: 'pink' });
    expect(wrong).toMatchObject({ ok: false, error: { kind: 'InvalidInput' } });
    const extra = await handlers.get('wisp:settings.set')!(appFrame, { theme: 'light' }, 'extra');
    expect(extra).toMatchObject({ ok: false, error: { kind: 'InvalidInput' } });
    expect((await host.services.settings.get()).theme).toBe('dark');
    const right = await handlers.get('wisp:settings.set')!(appFrame, { theme: 'light' });
    expect(right).toMatchObject({ ok: true, value: { theme: 'light' } });
  });
});
