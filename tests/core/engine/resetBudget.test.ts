// Security audit finding 10: session resets cost the victim a prekey-bundle fetch each, so their
// budget must survive restarts (every CLI command is a new process) and hold against many senders.
// Strangers registered on a real relay (port 0) send sealed messages that open but whose inner
// message has no session to decrypt under; the victim engine talks to the relay through the tamper
// proxy, which counts its `prekeys.bundle` requests.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../../core/engine';
import {
  GLOBAL_RESETS_PER_WINDOW,
  PER_CONTACT_INTERVAL_MS,
  RESET_WINDOW_MS,
  takeReset,
} from '../../../core/engine/resetBudget';
import { createWorld, recordEvents, testKeyStore, type TestWorld } from '../../helpers/engine/fixtures';
import { startTamperProxy } from '../../helpers/engine/tamperProxy';
import {
  bundleFetches,
  sendUndecryptable,
  victimNamed,
  whisperTemplate,
} from '../../helpers/engine/brokenSessions';
import { SignalUser } from '../../helpers/relay/signalUser';
import { openTestStore } from '../../helpers/store/tempProfile';

let world: TestWorld;

beforeEach(async () => {
  world = await createWorld();
});

afterEach(async () => {
  await world.close();
});

/** One "run" of the victim (a CLI command, an app start): open through a fresh proxy, sync, close. */
async function victimRun(
  clock: () => number,
  strangers: readonly string[],
): Promise<{ fetches: number; resetsOf: string[] }> {
  const proxy = await startTamperProxy(world.relayUrl);
  try {
    const engine = await Engine.open({
      profileDir: world.profileDir('victim'),
      keystore: testKeyStore(),
      relayUrl: proxy.url,
      clock,
    });
    const events = recordEvents(engine);
    try {
      await engine.sync();
    } finally {
      await engine.close();
    }
    const resetsOf = events.flatMap((e) => (e.type === 'session.reset' ? [e.accountId] : []));
    return { fetches: bundleFetches(proxy, strangers), resetsOf };
  } finally {
    await proxy.close();
  }
}

describe('session reset budget', () => {
  it('a stranger whose messages do not decrypt gets one reset per contact interval, across separate runs of the victim', async () => {
    const setup = await world.create('victim');
    const stranger = await SignalUser.register(world.relayUrl, { preKeys: 10 });
    const victim = await victimNamed('victim', stranger);
    await setup.close();
    const inner = await whisperTemplate(world.relayUrl);
    let now = Date.now();
    const clock = (): number => now;

    await sendUndecryptable(stranger, victim, inner);
    const first = await victimRun(clock, [stranger.accountId]);
    // The undecryptable message did trigger a reset, which fetched the stranger's bundle.
    expect(first.resetsOf).toEqual([stranger.accountId]);
    expect(first.fetches).toBe(1);

    // Three more runs inside the interval (a new process each time): no reset, no fetch.
    for (let run = 0; run < 3; run++) {
      now += 1_000;
      await sendUndecryptable(stranger, victim, inner);
      expect(await victimRun(clock, [stranger.accountId])).toEqual({ fetches: 0, resetsOf: [] });
    }

    // Once the interval has passed, a still-broken session is reset again.
    now += PER_CONTACT_INTERVAL_MS;
    await sendUndecryptable(stranger, victim, inner);
    expect(await victimRun(clock, [stranger.accountId])).toEqual({
      fetches: 1,
      resetsOf: [stranger.accountId],
    });
  });

  it('many distinct senders cannot make the victim fetch more bundles than the global budget, even across runs', async () => {
    const setup = await world.create('victim');
    const strangers: SignalUser[] = [];
    for (let i = 0; i < GLOBAL_RESETS_PER_WINDOW + 4; i++) {
      strangers.push(await SignalUser.register(world.relayUrl, { preKeys: 2 }));
    }
    const victim = await victimNamed('victim', strangers[0]!);
    await setup.close();
    const inner = await whisperTemplate(world.relayUrl);
    const ids = strangers.map((s) => s.accountId);
    let now = Date.now();
    const clock = (): number => now;

    for (const stranger of strangers) await sendUndecryptable(stranger, victim, inner);
    const flood = await victimRun(clock, ids);
    expect(flood.fetches).toBe(GLOBAL_RESETS_PER_WINDOW);
    expect(flood.resetsOf).toHaveLength(GLOBAL_RESETS_PER_WINDOW);

    // A restart does not refill the budget: the strangers who were refused try again.
    now += 60_000;
    const refused = strangers.filter((s) => !flood.resetsOf.includes(s.accountId));
    expect(refused).toHaveLength(4);
    for (const stranger of refused) await sendUndecryptable(stranger, victim, inner);
    expect(await victimRun(clock, ids)).toEqual({ fetches: 0, resetsOf: [] });

    // After the window the budget is back (but only as large as before).
    now += RESET_WINDOW_MS;
    for (const stranger of strangers) await sendUndecryptable(stranger, victim, inner);
    const later = await victimRun(clock, ids);
    expect(later.fetches).toBe(GLOBAL_RESETS_PER_WINDOW);
  });
});

describe('takeReset on a real store', () => {
  it('counts resets stamped ahead of a clock that was set back as now, so they still block for a full window', () => {
    const t = openTestStore();
    try {
      const later = Date.UTC(2030, 0, 1);
      for (let i = 0; i < GLOBAL_RESETS_PER_WINDOW; i++) {
        expect(takeReset(t.store.settings, `sender-${i}`, later)).toBe(true);
      }
      const setBack = later - 24 * RESET_WINDOW_MS;
      expect(takeReset(t.store.settings, 'newcomer', setBack)).toBe(false);
      expect(takeReset(t.store.settings, 'newcomer', setBack + RESET_WINDOW_MS - 1)).toBe(false);
      expect(takeReset(t.store.settings, 'newcomer', setBack + RESET_WINDOW_MS)).toBe(true);
    } finally {
      t.cleanup();
    }
  });

  it('keeps no more than the global budget on disk, survives a reopen, and ignores malformed entries', () => {
    const t = openTestStore();
    try {
      const now = Date.UTC(2030, 0, 1);
      t.store.settings.set('engine.resetBudget', [
        { accountId: 7 },
        'junk',
        null,
        { accountId: 'x', at: 'soon' },
      ]);
      for (let i = 0; i < GLOBAL_RESETS_PER_WINDOW * 3; i++)
        takeReset(t.store.settings, `sender-${i}`, now + i);
      const reopened = t.reopen();
      const stored = reopened.settings.get<unknown[]>('engine.resetBudget')!;
      expect(stored).toHaveLength(GLOBAL_RESETS_PER_WINDOW);
      expect(takeReset(reopened.settings, 'another', now + 1_000)).toBe(false);
      expect(takeReset(reopened.settings, 'sender-0', now + RESET_WINDOW_MS + 1)).toBe(true);
      // Only sender-0 was taken again: the same contact within its interval is refused.
      expect(takeReset(reopened.settings, 'sender-0', now + RESET_WINDOW_MS + 2)).toBe(false);
    } finally {
      t.cleanup();
    }
  });
});
