// Sandboxed preload: exposes `window.wisp`, the typed bridge to main, and nothing else. Each method
// is a named function bound to one contract channel; ipcRenderer itself never reaches the page.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  EVENT_CHANNEL,
  channels,
  type WispBridge,
  type WispEvent,
  type WispEventListener,
} from '../common/ipc';

/** Events the OS asked main to open (open.*) that arrive before the page subscribes wait here for it. */
const HELD_LIMIT = 16;
const listeners = new Set<WispEventListener>();
const held: WispEvent[] = [];
ipcRenderer.on(EVENT_CHANNEL, (_event: IpcRendererEvent, payload: WispEvent) => {
  if (listeners.size === 0) {
    if (payload.type.startsWith('open.') && held.length < HELD_LIMIT) held.push(payload);
    return;
  }
  for (const listener of listeners) listener(payload);
});

function buildBridge(): WispBridge {
  const services: Record<string, Record<string, (input?: unknown) => Promise<unknown>>> = {};
  for (const { channel, service, method } of channels) {
    const target = (services[service] ??= {});
    target[method] = (input?: unknown) =>
      input === undefined ? ipcRenderer.invoke(channel) : ipcRenderer.invoke(channel, input);
  }
  return {
    ...(services as unknown as Omit<WispBridge, 'onEvent'>),
    onEvent(listener: WispEventListener) {
      // Each subscription gets its own wrapper, so subscribing one function twice works as before.
      const wrapper: WispEventListener = (event) => listener(event);
      listeners.add(wrapper);
      // The first subscriber (the app's top level) receives what arrived before it.
      for (const event of held.splice(0)) wrapper(event);
      return () => {
        listeners.delete(wrapper);
      };
    },
  };
}

contextBridge.exposeInMainWorld('wisp', buildBridge());
