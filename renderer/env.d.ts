// The one global the renderer gets from outside: `window.wisp`, put there by the preload (desktop)
// or by the harness bootstrap (browser tests). Its shape is the contract's bridge type.
import type { WispBridge } from '../common/ipc';

declare global {
  interface Window {
    wisp?: WispBridge;
  }
}

export {};
