// Hostile input: thousands of random and mutated frames get one clear error each and never crash
// the relay; oversized frames close only their own connection; afterwards a normal exchange works.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startRelay, type RunningRelay } from '../../relay';
import { OP_NAMES } from '../../common/wire';
import { SignalUser } from '../helpers/relay/signalUser';
import { WireClient } from '../helpers/relay/wireClient';

let relay: RunningRelay;
beforeAll(async () => {
  relay = await startRelay({
    port: 0,
    logger: false,
    limits: { rates: { frames: { burst: 100_000, perSecond: 100_000 } } },
  });
});
afterAll(async () => {
  await relay.close();
});

/** Deterministic PRNG (mulberry32) so a failing run can be replayed from its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}

type Rng = ReturnType<typeof prng>;

function randomValue(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 2 ? 6 : 9)) {
    case 0:
      return null;
    case 1:
      return r.next() < 0.5;
    case 2:
      return r.pick([0, -1, 1e308, -0, 2 ** 31, 2 ** 53 + 1, 1.5, NaN]);
    case 3:
      return 'x'.repeat(r.int(5000));
    case 4:
      return Buffer.from(Array.from({ length: r.int(64) }, () => r.int(256))).toString('base64');
    case 5:
      return r.pick([
        '',
        '__proto__',
        'constructor',
        '00000000-0000-4000-8000-000000000000',
        '\u0000',
        '💥'.repeat(20),
      ]);
    case 6:
      return Array.from({ length: r.int(5) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = r.int(5); i > 0; i--)
        o[
          r.pick([
            'to',
            'payload',
            'ids',
            'username',
            'nonce',
            'accountId',
            'size',
            '__proto__',
            'expiresAt',
            'x',
          ])
        ] = randomValue(r, depth + 1);
      return o;
    }
  }
}

function validish(r: Rng, peer: string): Record<string, unknown> {
  const bodies: Record<string, unknown>[] = [
    { to: peer, payload: 'AAAA' },
    { username: 'fuzz_user' },
    { ids: ['00000000-0000-4000-8000-000000000000'] },
    { accountId: peer },
    { size: 10 },
    {},
  ];
  return { id: r.int(2 ** 31), op: r.pick(OP_NAMES), body: r.pick(bodies) };
}

function mutate(r: Rng, frame: Record<string, unknown>): unknown {
  const f: Record<string, unknown> = structuredClone(frame);
  const body = (f.body ?? {}) as Record<string, unknown>;
  switch (r.int(7)) {
    case 0:
      delete f[r.pick(['id', 'op', 'body'])];
      break;
    case 1:
      f[r.pick(['id', 'op', 'body'])] = randomValue(r);
      break;
    case 2:
      body[r.pick(Object.keys(body).concat('extra'))] = randomValue(r);
      f.body = body;
      break;
    case 3:
      f.extra = randomValue(r);
      break;
    case 4:
      f.op = String(f.op) + r.pick(['', 'x', ' ', '.']);
      break;
    case 5:
      return [f];
    default:
      f.body = randomValue(r);
  }
  return f;
}

function rawFrame(r: Rng, peer: string): string | Buffer {
  switch (r.int(6)) {
    case 0:
      return Buffer.from(Array.from({ length: r.int(200) }, () => r.int(256)));
    case 1:
      return Array.from({ length: r.int(100) }, () => String.fromCharCode(r.int(0x2fff))).join('');
    case 2:
      return JSON.stringify(randomValue(r));
    case 3:
      return JSON.stringify(validish(r, peer)).slice(0, r.int(60));
    default:
      return JSON.stringify(mutate(r, validish(r, peer)));
  }
}

/** Opens a raw connection that counts every response-type frame (everything but pushes). */
async function counting(url: string) {
  const ws = new WebSocket(url);
  await new Promise((res, rej) => ws.once('open', res).once('error', rej));
  const state = { responses: 0, parsedAll: true };
  ws.on('message', (d) => {
    try {
      const f = JSON.parse((d as Buffer).toString('utf8')) as {
        push?: string;
        error?: { kind: string; message: string };
      };
      if (!f.push) state.responses++;
      if (f.error && (typeof f.error.kind !== 'string' || typeof f.error.message !== 'string'))
        state.parsedAll = false;
    } catch {
      state.parsedAll = false;
    }
  });
  return { ws, state };
}

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('hostile input', () => {
  it('answers 4,000 random and mutated frames with one clear response each, then still works', async () => {
    const seed = Number(process.env.WISP_FUZZ_SEED ?? 0x5eed);
    const r = prng(seed);
    const alice = await SignalUser.register(relay.url);
    const bob = await SignalUser.register(relay.url);

    // Half the frames on an anonymous connection, half on bob's authenticated one.
    const anon = await counting(relay.url);
    const authed = await counting(relay.url);
    authed.ws.send(JSON.stringify({ id: 1, op: 'auth.challenge', body: {} }));
    const nonce = await new Promise<string>((res) =>
      authed.ws.once('message', (d) =>
        res((JSON.parse((d as Buffer).toString('utf8')) as { body: { nonce: string } }).body.nonce),
      ),
    );
    authed.ws.send(JSON.stringify({ id: 2, op: 'auth', body: bob.authBody(nonce) }));
    await until(() => authed.state.responses >= 2);
    const base = authed.state.responses;

    const total = 4000;
    for (let i = 0; i < total; i++) {
      const target = i % 2 === 0 ? anon : authed;
      target.ws.send(rawFrame(r, alice.accountId));
      if (i % 200 === 199)
        await until(() => anon.state.responses + authed.state.responses - base >= i + 1 - 50);
    }
    await until(() => anon.state.responses + authed.state.responses - base === total);
    expect(anon.state.parsedAll && authed.state.parsedAll).toBe(true);
    expect(anon.ws.readyState).toBe(WebSocket.OPEN);
    expect(authed.ws.readyState).toBe(WebSocket.OPEN);
    anon.ws.close();
    authed.ws.close();

    // A normal exchange after the storm.
    await bob.client.close();
    const c = await bob.reconnect(relay.url, true);
    await c.drainQueue();
    await alice.startSession(bob.accountId);
    await alice.client.call('message.send', {
      to: bob.accountId,
      payload: await alice.seal(bob.accountId, 'still alive'),
    });
    let env = await c.nextEnvelope();
    // Fuzzed sends to bob may be queued ahead of ours; skip them.
    while (env.payload.length < 100) env = await c.nextEnvelope();
    expect((await bob.open(env.payload)).text).toBe('still alive');
    await c.close();
    await alice.client.close();
  });

  it('closes only the connection that sends an oversized frame', async () => {
    const small = await startRelay({ port: 0, logger: false, limits: { maxFrameBytes: 64 * 1024 } });
    const bystander = await SignalUser.register(small.url);
    const c = await WireClient.connect(small.url);
    c.sendRaw('x'.repeat(65 * 1024));
    expect((await c.closed).code).toBe(1009);
    expect((await bystander.client.call('account.info', {})).accountId).toBe(bystander.accountId);
    await bystander.client.close();
    await small.close();
  });

  it('names the problem in its error for a malformed request', async () => {
    const c = await WireClient.connect(relay.url);
    await expect(c.call('username.lookup', { username: 42 } as never)).rejects.toMatchObject({
      kind: 'InvalidInput',
      message: expect.stringMatching(/username/),
    });
    c.sendRaw('{not json');
    await until(() => c.orphanErrors.length === 1);
    expect(c.orphanErrors[0]).toMatchObject({ kind: 'InvalidInput', message: 'frame is not valid JSON' });
    await c.close();
  });

  it('closes a connection that does not authenticate in time, but not an authenticated one', async () => {
    const quick = await startRelay({ port: 0, logger: false, limits: { unauthenticatedTimeoutMs: 300 } });
    const idle = await WireClient.connect(quick.url);
    const user = await SignalUser.register(quick.url);
    expect((await idle.closed).code).toBe(4001);
    await new Promise((r) => setTimeout(r, 400));
    expect((await user.client.call('account.info', {})).accountId).toBe(user.accountId);
    await user.client.close();
    await quick.close();
  });

  it('disconnects a client that floods far past its frame budget', async () => {
    const tight = await startRelay({
      port: 0,
      logger: false,
      limits: { rates: { frames: { burst: 20, perSecond: 1 } } },
    });
    const c = await WireClient.connect(tight.url);
    for (let i = 0; i < 60; i++) c.sendRaw('{}');
    expect((await c.closed).code).toBe(1008);
    expect(c.orphanErrors.some((e) => e.kind === 'RelayRateLimited')).toBe(true);
    await tight.close();
  });
});
