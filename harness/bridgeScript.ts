// The browser side of the harness: a classic script, served from the harness's own origin (so the
// page's CSP `script-src 'self'` admits it), that defines `window.wisp` with the same named
// functions as the preload and carries each call over the loopback WebSocket. The method list is
// baked in from the contract; the token is read from the page, never from this (public) file.
import { channels } from '../common/ipc';

export const BRIDGE_PATH = '/__harness/bridge.js';
export const SOCKET_PATH = '/__harness/ws';
export const TOKEN_META = 'wisp-harness-token';

export function bridgeScript(): string {
  const methods: Record<string, Record<string, string>> = {};
  for (const { service, method, channel } of channels) (methods[service] ??= {})[method] = channel;
  return `'use strict';
(() => {
  const METHODS = ${JSON.stringify(methods)};
  const meta = document.querySelector('meta[name="${TOKEN_META}"]');
  const token = meta ? meta.getAttribute('content') : '';
  const socket = new WebSocket('ws://' + location.host + '${SOCKET_PATH}?t=' + encodeURIComponent(token || ''));
  const opened = new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('close', () => reject(new Error('harness socket closed')), { once: true });
  });
  const pending = new Map();
  const listeners = new Set();
  let nextId = 1;
  socket.addEventListener('message', (message) => {
    let frame;
    try { frame = JSON.parse(message.data); } catch { return; }
    if (frame && typeof frame.id === 'number' && pending.has(frame.id)) {
      const settle = pending.get(frame.id);
      pending.delete(frame.id);
      settle(frame.result);
    } else if (frame && frame.event) {
      for (const listener of listeners) { try { listener(frame.event); } catch (e) { console.error(e); } }
    }
  });
  socket.addEventListener('close', () => {
    for (const settle of pending.values()) settle({ ok: false, error: { kind: 'Internal', message: 'the harness connection closed' } });
    pending.clear();
  });
  async function invoke(channel, args) {
    await opened;
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, channel, args }));
    });
  }
  const wisp = {};
  for (const [service, methods] of Object.entries(METHODS)) {
    const target = {};
    for (const [method, channel] of Object.entries(methods)) {
      target[method] = (...args) => invoke(channel, args.length === 1 && args[0] === undefined ? [] : args);
    }
    wisp[service] = Object.freeze(target);
  }
  wisp.onEvent = (listener) => { listeners.add(listener); return () => { listeners.delete(listener); }; };
  Object.defineProperty(window, 'wisp', { value: Object.freeze(wisp), writable: false, configurable: false });
  // For tests only: a raw send that bypasses the typed functions, to prove the server validates.
  Object.defineProperty(window, '__wispHarnessRaw', { value: invoke, writable: false, configurable: false });
})();
`;
}
