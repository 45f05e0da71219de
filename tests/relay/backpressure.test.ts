// Memory under slow readers (issue 9, finding 4): the relay writes to a connection only while its
// unsent bytes are under a high-water mark, stops reading that connection's requests meanwhile,
// bounds the push window in bytes, and disconnects a connection that stays over the mark (4008).
// The attacks run against a relay child process whose RSS is read from /proc.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay } from '../../relay';
import { maskedTextFrame, openRawWebSocket } from '../helpers/relay/rawSocket';
import { memoryOf, spawnRelayWithLimits, stopRelay, type RelayProcess } from '../helpers/relay/relayProcess';
import { SignalUser } from '../helpers/relay/signalUser';
import { WireClient } from '../helpers/relay/wireClient';

const MiB = 1024 * 1024;
const RSS_CEILING = 256 * MiB;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function relayChild(limits: Parameters<typeof spawnRelayWithLimits>[0]): Promise<RelayProcess> {
  const relay = await spawnRelayWithLimits(limits);
  cleanups.push(() => stopRelay(relay, 'SIGKILL'));
  return relay;
}

/** Sends `to` envelopes of `bytes` random bytes until its queue is full (or `count` are stored). */
async function fillQueue(from: SignalUser, to: string, bytes: number, count = Infinity): Promise<number> {
  let stored = 0;
  for (;;) {
    const batch = Math.min(8, count - stored);
    if (batch <= 0) return stored;
    const results = await Promise.allSettled(
      Array.from({ length: batch }, () =>
        from.client.call('message.send', { to, payload: randomBytes(bytes).toString('base64') }),
      ),
    );
    for (const r of results) {
      if (r.status === 'fulfilled') stored++;
      else if ((r.reason as { kind?: string }).kind === 'RelayQueueFull') return stored;
      else throw r.reason;
    }
  }
}

/** Samples the process's RSS every 100 ms for `ms`; returns the highest of the samples and VmHWM. */
async function peakRss(pid: number, ms: number): Promise<number> {
  let peak = 0;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const m = memoryOf(pid);
    peak = Math.max(peak, m.rss, m.peak);
    await sleep(100);
  }
  return peak;
}

/** Resumes a raw socket and reads server frames until a close frame; its code, or 1006 if none. */
function closeCodeOf(socket: Socket): Promise<number> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (buf.length < 2) return;
        const opcode = buf[0]! & 0x0f;
        let len = buf[1]! & 0x7f;
        let at = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          at = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          at = 10;
        }
        if (buf.length < at + len) return;
        if (opcode === 8) {
          resolve(len >= 2 ? buf.readUInt16BE(at) : 1005);
          socket.destroy();
          return;
        }
        buf = buf.subarray(at + len);
      }
    });
    socket.on('close', () => resolve(1006));
    socket.resume();
  });
}

describe('relay memory under slow readers', () => {
  it('one account with a full queue of large envelopes and six connections that never read keeps the relay under 256 MiB, and it still serves a normal client', async () => {
    const relay = await relayChild({ maxQueuedBytes: 64 * MiB });
    const sender = await SignalUser.register(relay.url);
    const owner = await SignalUser.register(relay.url);
    await owner.client.close();
    const stored = await fillQueue(sender, owner.accountId, 256 * 1024);
    expect(stored).toBeGreaterThanOrEqual(255);
    await sleep(500);
    const idle = memoryOf(relay.child.pid!).rss;

    const attackers: WireClient[] = [];
    for (let i = 0; i < 6; i++) {
      const c = await owner.reconnect(relay.url, true);
      c.ws.pause(); // never read again: every push the relay writes stays unsent
      attackers.push(c);
    }
    cleanups.push(() => attackers.forEach((c) => c.ws.terminate()));
    const peak = await peakRss(relay.child.pid!, 5000);
    console.info(
      `slow-reader attack: relay RSS idle ${(idle / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB`,
    );
    expect(peak).toBeLessThan(RSS_CEILING);

    const alice = await SignalUser.register(relay.url);
    const bob = await SignalUser.register(relay.url);
    await bob.client.drainQueue();
    const payload = randomBytes(64).toString('base64');
    await alice.client.call('message.send', { to: bob.accountId, payload });
    expect((await bob.client.nextEnvelope()).payload).toBe(payload);
    await alice.client.close();
    await bob.client.close();
  });

  it('a client that floods requests and never reads an answer is cut off with 4008 and the relay stays under 256 MiB', async () => {
    // A generous frame budget (an operator may raise it) must not turn into unbounded memory.
    const relay = await relayChild({
      rates: { frames: { burst: 1e9, perSecond: 1e9 } },
      slowConsumerTimeoutMs: 1000,
    });
    // Each 17-byte request earns a ~400-byte InvalidInput answer that the client never reads.
    const batch = Buffer.concat(Array.from({ length: 4000 }, () => maskedTextFrame('{"id":1,"op":"x"}')));
    const idle = memoryOf(relay.child.pid!).rss;
    const sockets: Socket[] = [];
    for (let i = 0; i < 4; i++) {
      const { status, socket } = await openRawWebSocket(relay.url);
      expect(status).toBe(101);
      sockets.push(socket);
    }
    cleanups.push(() => sockets.forEach((s) => s.destroy()));
    let flooding = true;
    const flood = (s: Socket) => {
      // Keeps a few MiB queued on our side: as fast as the relay will take them, no faster.
      while (flooding && !s.destroyed && s.writableLength < 4 * MiB) s.write(batch);
      if (flooding && !s.destroyed) s.once('drain', () => flood(s));
    };
    sockets.forEach(flood);
    const peak = await peakRss(relay.child.pid!, 15_000);
    flooding = false;
    console.info(
      `request flood: relay RSS idle ${(idle / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB`,
    );
    expect(peak).toBeLessThan(RSS_CEILING);
    const codes = await Promise.all(
      sockets.map((s) => Promise.race([closeCodeOf(s), sleep(20_000).then(() => 'still open')])),
    );
    expect(codes).toEqual([4008, 4008, 4008, 4008]);
    // The relay still answers others.
    const c = await WireClient.connect(relay.url);
    expect((await c.call('server.info', {})).protocolVersion).toBe(1);
    await c.close();
  });

  it('a connection that stays over the high-water mark is closed with 4008 (slow consumer)', async () => {
    const relay = await startRelay({
      port: 0,
      logger: false,
      limits: {
        maxInFlightPushBytes: 256 * MiB,
        sendHighWaterBytes: 64 * 1024,
        slowConsumerTimeoutMs: 500,
      },
    });
    cleanups.push(() => relay.close());
    const sender = await SignalUser.register(relay.url);
    const owner = await SignalUser.register(relay.url);
    await owner.client.close();
    await fillQueue(sender, owner.accountId, 256 * 1024, 40);
    const slow = await owner.reconnect(relay.url, true);
    slow.ws.pause();
    await sleep(3000);
    slow.ws.resume();
    const closed = await Promise.race([slow.closed, sleep(15_000).then(() => ({ code: 'still open' }))]);
    expect(closed).toMatchObject({ code: 4008, reason: 'slow consumer' });
    await sender.client.close();
  });

  it('a reading client gets a queue many times the byte window and the high-water mark, in order', async () => {
    const relay = await startRelay({
      port: 0,
      logger: false,
      limits: { maxInFlightPushBytes: 512 * 1024, sendHighWaterBytes: 64 * 1024 },
    });
    cleanups.push(() => relay.close());
    const sender = await SignalUser.register(relay.url);
    const owner = await SignalUser.register(relay.url);
    await owner.client.close();
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const r = await sender.client.call('message.send', {
        to: owner.accountId,
        payload: randomBytes(128 * 1024).toString('base64'),
      });
      ids.push(r.envelopeId);
    }
    const c = await owner.reconnect(relay.url, true);
    const got: string[] = [];
    for (;;) {
      const p = await c.nextPush((x) => x.push === 'envelope' || x.push === 'queueEmpty');
      if (p.push !== 'envelope') break;
      got.push(p.body.id);
      await c.call('message.ack', { ids: [p.body.id] });
    }
    expect(got).toEqual(ids);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    await c.close();
    await sender.client.close();
  });
});
