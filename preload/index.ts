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
      const handler = (_event: IpcRendererEvent, payload: WispEvent) => listener(payload);
      ipcRenderer.on(EVENT_CHANNEL, handler);
      return () => {
        ipcRenderer.removeListener(EVENT_CHANNEL, handler);
      };
    },
  };
}

contextBridge.exposeInMainWorld('wisp', buildBridge());
