// Starts what an end-to-end test needs under plain Node: a real relay on port 0 (SQLite in a temp
// dir) and the browser harness over the built renderer with a temp profile; stop() removes it all.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startHarness, type RunningHarness } from '../../../harness/server';
import type { MessageView } from '../../../common/engine';
import { Engine } from '../../../core/engine';
import { PassphraseKeyStore } from '../../../core/vault';
import { startRelay, type RunningRelay } from '../../../relay';

/** The scrypt floor the vault accepts: keeps passphrase profiles fast in tests (never in the app). */
export const TEST_SCRYPT = { N: 2 ** 14, r: 8, p: 1 };

export interface E2eWorld {
  relay: RunningRelay;
  harness: RunningHarness;
  tempDir: string;
  stop(): Promise<void>;
}

export const WEB_ROOT = resolve(import.meta.dirname, '../../../dist-web');

export async function startWorld(): Promise<E2eWorld> {
  if (!existsSync(join(WEB_ROOT, 'index.html'))) {
    throw new Error('dist-web/ is missing: run `npm run build:renderer` first (npm run test:e2e does)');
  }
  const tempDir = mkdtempSync(join(tmpdir(), 'wisp-e2e-'));
  const relay = await startRelay({ dataDir: join(tempDir, 'relay'), logger: false });
  const harness = await startHarness({
    webRoot: WEB_ROOT,
    dataDir: join(tempDir, 'app'),
    relayUrl: relay.url,
    keyStore: { scrypt: TEST_SCRYPT },
  });
  return {
    relay,
    harness,
    tempDir,
    async stop() {
      await harness.close();
      await relay.close();
      rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

/** A unique, valid username per run, so reruns against one relay never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * What the harness page's global scope offers, for typing `page.evaluate` callbacks (this tier is
 * compiled without the DOM library). Use as `(globalThis as unknown as PageGlobals)` inside them.
 */
export interface PageGlobals {
  wisp?: import('../../../common/ipc').WispBridge;
  __wispHarnessRaw: (channel: string, args: unknown[]) => Promise<unknown>;
  WebSocket: new (url: string) => { onopen: (() => void) | null; onclose: (() => void) | null };
}

/** A second real client at the world's relay (its own profile in the world's temp dir). */
export function createPeer(world: E2eWorld, username: string, dirName = 'bob'): Promise<Engine> {
  return Engine.create({
    profileDir: join(world.tempDir, dirName),
    keystore: new PassphraseKeyStore(`${dirName} passphrase`, { scrypt: TEST_SCRYPT }),
    relayUrl: world.relay.url,
    username,
  });
}

/** Syncs `peer` (up to 20 rounds of up to 500 ms) until a message with `text` arrives; undefined if none did. */
export async function syncUntilText(peer: Engine, text: string): Promise<MessageView | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const found = (await peer.sync({ waitMs: 500 })).find((m) => m.text === text);
    if (found !== undefined) return found;
  }
  return undefined;
}
