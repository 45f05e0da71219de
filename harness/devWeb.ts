// `npm run dev:web`: the renderer in a browser against the real engine, with a throwaway profile
// (passphrase keystore) and an embedded relay, for UI work and manual testing. Ctrl+C cleans up.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startRelay } from '../relay';
import { startHarness } from './server';

const webRoot = resolve(import.meta.dirname, '../dist-web');
const dataDir = mkdtempSync(join(tmpdir(), 'wisp-harness-'));
const relayDir = mkdtempSync(join(tmpdir(), 'wisp-harness-relay-'));

// Port 0: a random port each run (never a fixed one a web page could aim at); its URL is passed on.
const relay = await startRelay({ port: 0, dataDir: relayDir, logger: false });
const harness = await startHarness({ webRoot, dataDir, relayUrl: relay.url });

console.log(`Wisp harness: ${harness.url}`);
console.log(`embedded relay: ${relay.url}  (temp profile: ${dataDir})`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await harness.close();
  await relay.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(relayDir, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
