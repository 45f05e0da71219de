// App ("live") mode: a kept-open connection that receives without polling, reconnects with
// backoff after the relay goes away, and sends the outbox when it is back; prekey refill.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EngineEvent, MessageView } from '../../../common/engine';
import { RelayClient } from '../../../core/relayClient/relayClient';
import { IdentityKeyPair } from '@signalapp/libsignal-client';
import { createWorld, type TestWorld } from '../../helpers/engine/fixtures';
import type { Engine } from '../../../core/engine';

let world: TestWorld;

beforeEach(async () => {
  world = await createWorld();
});

afterEach(async () => {
  await world.close();
});

function nextEvent(engine: Engine, match: (e: EngineEvent) => boolean): Promise<EngineEvent> {
  return new Promise((resolve) => {
    const off = engine.on((e) => {
      if (match(e)) {
        off();
        resolve(e);
      }
    });
  });
}

const addedText = (text: string) => (e: EngineEvent) =>
  e.type === 'message.added' && !e.message.outgoing && e.message.text === text;

describe('live connection', () => {
  it('receives pushed messages without polling, and reconnects after the relay restarts', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await bob.connect();

    const first = nextEvent(bob, addedText('pushed'));
    await alice.sendText('bob', 'pushed');
    expect(((await first) as { message: MessageView }).message.from).toBe('alice');

    const offline = nextEvent(bob, (e) => e.type === 'connection.changed' && e.state === 'offline');
    await world.stopRelay();
    await offline;
    // Written while the relay is down: stays in bob's outbox.
    const pending = await bob.sendText('alice', 'from the outbox');
    expect(pending.state).toBe('pending');

    const online = nextEvent(bob, (e) => e.type === 'connection.changed' && e.state === 'online');
    const sentLater = nextEvent(
      bob,
      (e) => e.type === 'message.updated' && e.message.id === pending.id && e.message.state === 'sent',
    );
    await world.restartRelay();
    await online;
    await sentLater;

    const second = nextEvent(bob, addedText('after the restart'));
    await alice.sendText('bob', 'after the restart');
    await second;
    expect((await alice.sync()).map((m) => m.text)).toEqual(['from the outbox']);
  });

  it('does not block when the relay is unreachable at start', async () => {
    const bob = await world.create('bob');
    await world.stopRelay();
    const states: string[] = [];
    bob.on((e) => {
      if (e.type === 'connection.changed') states.push(e.state);
    });
    await bob.connect();
    expect(states).toContain('offline');
    await world.restartRelay();
  });
});

describe('prekeys', () => {
  it('refills one-time prekeys on the relay when they run out', async () => {
    const bob = await world.create('bob');
    // Another account drains bob's one-time prekeys by fetching bundles.
    const identity = IdentityKeyPair.generate();
    const drainer = new RelayClient({
      url: world.relayUrl,
      accountId: null,
      sign: (m) => identity.privateKey.sign(m),
      reconnect: false,
    });
    try {
      await drainer.register(identity.publicKey.serialize(), 77);
      let bundle = await drainer.request('prekeys.bundle', { accountId: bob.accountId });
      while (bundle.preKey !== null)
        bundle = await drainer.request('prekeys.bundle', { accountId: bob.accountId });
      expect(bundle.kyberPreKeyIsLastResort).toBe(true);

      await bob.sync();
      const refilled = await drainer.request('prekeys.bundle', { accountId: bob.accountId });
      expect(refilled.preKey).not.toBeNull();
      expect(refilled.kyberPreKeyIsLastResort).toBe(false);
    } finally {
      await drainer.close();
    }
  });
});
