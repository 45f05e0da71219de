// Shared fixtures for engine and CLI tests: a real relay on port 0 and real profiles (SQLCipher,
// passphrase key store with light scrypt so tests stay fast) in temporary folders.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRelay } from '../../../relay/index';
import { Engine, type Clock } from '../../../core/engine';
import type { EngineEvent } from '../../../common/engine';
import type { Content } from '../../../common/content';
import { keyStoreFor } from '../../../core/vault';

export const TEST_PASSPHRASE = 'correct horse battery staple';

export function testKeyStore() {
  return keyStoreFor({ kind: 'passphrase', passphrase: TEST_PASSPHRASE, scrypt: { N: 2 ** 14, r: 8, p: 1 } });
}

export interface TestWorld {
  relayUrl: string;
  httpUrl: string;
  root: string;
  profileDir(name: string): string;
  create(name: string, clock?: Clock): Promise<Engine>;
  open(name: string, clock?: Clock): Promise<Engine>;
  stopRelay(): Promise<void>;
  restartRelay(): Promise<void>;
  close(): Promise<void>;
}

/** Bundle fetches are rate-limited per target to stop prekey exhaustion; the refill test needs to exhaust on purpose. */
const TEST_LIMITS = {
  rates: {
    bundleFetches: { burst: 1000, perSecond: 100 },
    bundleFetchesPerTarget: { burst: 1000, perSecond: 100 },
  },
};

/** A relay on a fixed data dir (so it can be stopped and restarted on the same port) plus a temp root. */
export async function createWorld(): Promise<TestWorld> {
  const root = mkdtempSync(join(tmpdir(), 'wisp-engine-test-'));
  const dataDir = join(root, 'relay');
  let relay = await startRelay({ port: 0, dataDir, logger: false, limits: TEST_LIMITS });
  const port = relay.port;
  const engines = new Set<Engine>();
  const track = (e: Engine): Engine => {
    engines.add(e);
    const close = e.close.bind(e);
    e.close = async () => {
      engines.delete(e);
      await close();
    };
    return e;
  };
  const world: TestWorld = {
    relayUrl: relay.url,
    httpUrl: relay.httpUrl,
    root,
    profileDir: (name) => join(root, name),
    create: async (name, clock) =>
      track(
        await Engine.create({
          profileDir: join(root, name),
          keystore: testKeyStore(),
          relayUrl: relay.url,
          username: name,
          ...(clock ? { clock } : {}),
        }),
      ),
    open: async (name, clock) =>
      track(
        await Engine.open({
          profileDir: join(root, name),
          keystore: testKeyStore(),
          ...(clock ? { clock } : {}),
        }),
      ),
    stopRelay: async () => {
      await relay.close();
    },
    restartRelay: async () => {
      relay = await startRelay({ port, dataDir, logger: false, limits: TEST_LIMITS });
    },
    close: async () => {
      for (const e of [...engines]) await e.close().catch(() => undefined);
      await relay.close().catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
  return world;
}

/** A clock that runs with real time plus an offset the test moves. */
export function movableClock(): { now: () => number; advance: (ms: number) => void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => (offset += ms) };
}

/**
 * A modified client: `content` (anything, however hostile) queued pairwise to `to` and sent by
 * `from`'s real engine, sealed as an honest message would be.
 */
export async function sendCrafted(from: Engine, to: string, content: Content): Promise<void> {
  const internals = from as unknown as {
    compose: { enqueueDirect(to: string, content: Content, messageId: string | null): void };
    outbox: { tryFlush(): Promise<void> };
  };
  internals.compose.enqueueDirect(to, content, null);
  await internals.outbox.tryFlush();
}

/** Collects an engine's events for assertions. */
export function recordEvents(engine: Engine): EngineEvent[] {
  const events: EngineEvent[] = [];
  engine.on((e) => events.push(e));
  return events;
}

/** `previous` releases `name`, and a new identity in profile `${name}2` registers it (a name that moved). */
export async function takeOverUsername(world: TestWorld, previous: Engine, name: string): Promise<Engine> {
  await previous.setUsername(null);
  return Engine.create({
    profileDir: join(world.root, `${name}2`),
    keystore: testKeyStore(),
    relayUrl: world.relayUrl,
    username: name,
  });
}
