// A burst of sends past the relay's envelope allowance: the sends are batched into a few
// message.sendBatch requests, the relay refuses what is over its allowance with RelayRateLimited and
// a retry time, and the outbox waits as asked. Each message is committed before it is sent, so a
// rate limit delays it — it never fails the send, loses a message or sends one twice.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../../core/engine';
import { startRelay, type RunningRelay } from '../../../relay/index';
import { testKeyStore } from '../../helpers/engine/fixtures';

let root: string;
let relay: RunningRelay | null = null;
const engines: Engine[] = [];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'wisp-send-rate-'));
});

afterEach(async () => {
  for (const e of engines.splice(0)) await e.close().catch(() => undefined);
  await relay?.close();
  relay = null;
  rmSync(root, { recursive: true, force: true });
});

async function relayWithSends(burst: number, perSecond: number): Promise<void> {
  relay = await startRelay({
    port: 0,
    dataDir: join(root, 'relay'),
    logger: false,
    limits: { rates: { sends: { burst, perSecond } } },
  });
}

async function make(name: string): Promise<Engine> {
  const engine = await Engine.create({
    profileDir: join(root, name),
    keystore: testKeyStore(),
    relayUrl: relay!.url,
    username: name,
  });
  engines.push(engine);
  return engine;
}

describe('sends past the relay rate limit', () => {
  it.each([
    // A batch bigger than the relay's burst is refused as input and goes message by message.
    { burst: 20, perSecond: 40, count: 60 },
    // Batches that fit the burst once it has refilled: the outbox waits as the relay asks.
    { burst: 300, perSecond: 600, count: 700 },
  ])(
    'a one-shot sender waits out the limit (burst $burst, $count sends): every send resolves, each message arrives once',
    async ({ burst, perSecond, count }) => {
      await relayWithSends(burst, perSecond);
      const alice = await make('alice');
      const bob = await make('bob');
      await alice.sendText('bob', 'first');
      const texts = Array.from({ length: count }, (_, i) => `burst ${i}`);
      await Promise.all(texts.map((t) => alice.sendText('bob', t)));
      const states = (await alice.messages('bob')).map((m) => m.state);
      expect(states.filter((s) => s === 'failed' || s === 'pending')).toEqual([]);

      await bob.sync();
      const received = (await bob.messages('alice')).map((m) => m.text);
      expect(received.filter((t) => t.startsWith('burst ')).sort()).toEqual([...texts].sort());
    },
  );
});
