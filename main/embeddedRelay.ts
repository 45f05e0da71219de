// The relay an unpackaged app (`npm start`) runs in-process for onboarding: loopback only, on a port
// the OS picks at random the first time and that is remembered beside the relay's data (a profile
// keeps its relay's address). A fixed, well-known port would be one every web page could aim at.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRelay, type RunningRelay } from '../relay';

const PORT_FILE = 'port';

function rememberedPort(dataDir: string): number | null {
  try {
    const port = Number(readFileSync(join(dataDir, PORT_FILE), 'utf8').trim());
    return Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
  } catch {
    return null;
  }
}

/**
 * Starts the embedded relay on 127.0.0.1 with its data in `dataDir`: on `port` if given (an
 * explicit WISP_RELAY_PORT), else on the port remembered from its first start, else on a random
 * one (port 0), which is then remembered. Its `url` is the address to suggest.
 */
export async function startEmbeddedRelay(dataDir: string, port?: number): Promise<RunningRelay> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const remembered = port === undefined ? rememberedPort(dataDir) : null;
  const relay = await startRelay({ host: '127.0.0.1', port: port ?? remembered ?? 0, dataDir });
  if (port === undefined && remembered === null) {
    writeFileSync(join(dataDir, PORT_FILE), `${relay.port}\n`, { mode: 0o600 });
  }
  return relay;
}
