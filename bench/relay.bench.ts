// Relay benchmark (issue 3): sustained envelopes/s through one relay on SQLite with 1,000 connected
// clients, then p50/p99 delivery latency at half that load, each next to a bare `ws` relay (no
// storage, no auth) measured in the same run; then (issue 9) the relay's peak RSS under the
// slow-reader attack next to the same relay idle. Each server runs in its own child process; this
// process is the load generator. Loopback only.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { IdentityKeyPair } from '@signalapp/libsignal-client';
import WebSocket from 'ws';
import { SIGNING_CONTEXT } from '../common/wire';
import { SignalUser } from '../tests/helpers/relay/signalUser';
import type { WireClient } from '../tests/helpers/relay/wireClient';
import { resultLine } from './lib';

const CLIENTS = Number(process.env.WISP_BENCH_CLIENTS ?? 1000);
const WINDOW = 2; // sends outstanding per client in the throughput phase
const WARMUP_MS = 2000;
const MEASURE_MS = 8000;
const LATENCY_MS = 8000;
const PAYLOAD_BYTES = 512; // about a short sealed-sender v1 message
/** Request ids at or above this are envelope sends; below are other calls and acks. */
const SEND_ID_BASE = 1_000_000_000;

const here = dirname(fileURLToPath(import.meta.url));

type Mode = 'bare' | 'wisp' | 'attack';

interface Server {
  child: ChildProcess;
  url: string;
}

async function startServer(mode: Mode): Promise<Server> {
  // WISP_BENCH_NODE_ARGS (e.g. "--cpu-prof") is passed to the server processes, for profiling.
  const extra = (process.env.WISP_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', join(here, 'relay-server.ts'), mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`${mode} server exited ${code}`)));
  });
  return { child, url };
}

async function stopServer(s: Server): Promise<void> {
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

/** One simulated client; `address` is what senders put in `to`. */
class Client {
  ws!: WebSocket;
  address = '';
  private nextId = 1;
  private sendSeq = 0;
  private readonly calls = new Map<number, (body: unknown, ok: boolean) => void>();
  outstanding = 0;
  onEnvelope: (sentAt: number) => void = () => {};
  onSendAck: (ms: number) => void = () => {};
  private readonly sentAt = new Map<number, number>();

  constructor(private readonly mode: Mode) {}

  async connect(url: string, index: number): Promise<void> {
    this.ws = new WebSocket(this.mode === 'bare' ? `${url}?id=${index}` : url, { perMessageDeflate: false });
    await new Promise((res, rej) => this.ws.once('open', res).once('error', rej));
    this.ws.on('message', (data: Buffer) => this.onFrame(data.toString('utf8')));
    if (this.mode === 'bare') {
      this.address = String(index);
      return;
    }
    const identity = IdentityKeyPair.generate();
    const { nonce } = (await this.call('auth.challenge', {})) as { nonce: string };
    const sig = identity.privateKey.sign(
      Buffer.concat([Buffer.from(SIGNING_CONTEXT.register), Buffer.from(nonce, 'base64')]),
    );
    const reg = (await this.call('register', {
      identityKey: Buffer.from(identity.publicKey.serialize()).toString('base64'),
      registrationId: 1 + (index % 16000),
      nonce,
      signature: Buffer.from(sig).toString('base64'),
    })) as { accountId: string };
    this.address = reg.accountId;
  }

  private call(op: string, body: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, (b, ok) => (ok ? resolve(b) : reject(new Error(JSON.stringify(b)))));
      this.ws.send(JSON.stringify({ id, op, body }));
    });
  }

  private onFrame(text: string): void {
    const f = JSON.parse(text) as {
      id?: number;
      ok?: boolean;
      body?: unknown;
      error?: unknown;
      push?: string;
    };
    if (f.push === 'envelope') {
      const body = f.body as { id?: string; payload: string };
      const sentAt = Buffer.from(body.payload.slice(0, 12), 'base64').readDoubleLE(0);
      this.onEnvelope(sentAt);
      if (this.mode === 'wisp')
        this.ws.send(JSON.stringify({ id: this.nextId++, op: 'message.ack', body: { ids: [body.id] } }));
      return;
    }
    if (f.push) return;
    if (f.id === undefined) return;
    if (f.id >= SEND_ID_BASE) {
      this.outstanding--;
      if (!f.ok) failures++;
      const at = this.sentAt.get(f.id) ?? performance.now();
      this.sentAt.delete(f.id);
      this.onSendAck(performance.now() - at);
      return;
    }
    const cb = this.calls.get(f.id);
    if (cb) {
      this.calls.delete(f.id);
      cb(f.ok ? f.body : f.error, f.ok === true);
    }
  }

  /** Sends one envelope whose payload starts with the send time; sends use ids from SEND_ID_BASE. */
  send(to: string): void {
    const payload = Buffer.alloc(PAYLOAD_BYTES, 7);
    payload.writeDoubleLE(performance.now(), 0);
    const b64 = payload.toString('base64');
    this.outstanding++;
    const id = SEND_ID_BASE + (this.sendSeq++ % 1_000_000_000);
    this.sentAt.set(id, performance.now());
    this.ws.send(
      JSON.stringify(
        this.mode === 'bare'
          ? { id, to, payload: b64 }
          : { id, op: 'message.send', body: { to, payload: b64 } },
      ),
    );
  }
}

let failures = 0;

async function connectAll(mode: Mode, url: string): Promise<Client[]> {
  const clients = Array.from({ length: CLIENTS }, () => new Client(mode));
  for (let i = 0; i < clients.length; i += 50)
    await Promise.all(clients.slice(i, i + 50).map((c, j) => c.connect(url, i + j)));
  return clients;
}

const pick = (clients: Client[], not: Client) => {
  for (;;) {
    const c = clients[Math.floor(Math.random() * clients.length)]!;
    if (c !== not) return c;
  }
};

/** Closed loop: every client keeps WINDOW sends outstanding; returns delivered envelopes/s. */
async function throughput(clients: Client[]): Promise<number> {
  let delivered = 0;
  let measuring = false;
  let running = true;
  for (const c of clients) {
    c.onEnvelope = () => {
      if (measuring) delivered++;
    };
    c.onSendAck = () => {
      if (running && c.outstanding < WINDOW) c.send(pick(clients, c).address);
    };
  }
  for (const c of clients) for (let i = 0; i < WINDOW; i++) c.send(pick(clients, c).address);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  measuring = true;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, MEASURE_MS));
  measuring = false;
  const rate = delivered / ((performance.now() - start) / 1000);
  running = false;
  await drain(clients);
  return rate;
}

async function drain(clients: Client[]): Promise<void> {
  const end = performance.now() + 10_000;
  while (clients.some((c) => c.outstanding > 0) && performance.now() < end)
    await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
}

/**
 * Open loop at `rate` envelopes/s from random clients; returns sorted delivery latencies (send to
 * recipient push) and sender acknowledgement latencies (send to "stored" answer), in ms.
 */
async function latency(clients: Client[], rate: number): Promise<{ delivery: number[]; ack: number[] }> {
  const samples: number[] = [];
  const acks: number[] = [];
  for (const c of clients) {
    c.onEnvelope = (sentAt) => samples.push(performance.now() - sentAt);
    c.onSendAck = (ms) => acks.push(ms);
  }
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      if (elapsed >= LATENCY_MS) {
        clearInterval(timer);
        resolve();
        return;
      }
      const due = Math.floor((elapsed / 1000) * rate);
      for (; sent < due; sent++) {
        const from = clients[sent % clients.length]!;
        from.send(pick(clients, from).address);
      }
    }, 2);
  });
  await drain(clients);
  return { delivery: samples.sort((a, b) => a - b), ack: acks.sort((a, b) => a - b) };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** Throughput, then latency at `latencyRate` (or at half the measured throughput), on one server. */
async function run(
  mode: Mode,
  latencyRate?: number,
): Promise<{ rate: number; half: number; lat: number[]; ack: number[] }> {
  const server = await startServer(mode);
  try {
    const clients = await connectAll(mode, server.url);
    const rate = await throughput(clients);
    const half = latencyRate ?? rate / 2;
    server.child.kill('SIGUSR2');
    const { delivery, ack } = await latency(clients, half);
    for (const c of clients) c.ws.terminate();
    return { rate, half, lat: delivery, ack };
  } finally {
    await stopServer(server);
  }
}

const MiB = 1024 * 1024;
const ATTACK_CONNECTIONS = 6;
const ATTACK_ENVELOPE_BYTES = 256 * 1024;
const ATTACK_MS = 5000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const vmRss = (pid: number) =>
  Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;

/**
 * The slow-reader attack of issue 9: one account whose queue is full of 256 KiB envelopes opens six
 * connections and never reads them. Returns the relay's RSS idle (queue full, nobody connected) and
 * its peak while the attack is held.
 */
async function slowReaderAttack(): Promise<{ idle: number; peak: number }> {
  const server = await startServer('attack');
  const attackers: WireClient[] = [];
  try {
    const pid = server.child.pid!;
    const sender = await SignalUser.register(server.url);
    const owner = await SignalUser.register(server.url);
    await owner.client.close();
    for (let full = false; !full;) {
      const sends = await Promise.allSettled(
        Array.from({ length: 8 }, () =>
          sender.client.call('message.send', {
            to: owner.accountId,
            payload: randomBytes(ATTACK_ENVELOPE_BYTES).toString('base64'),
          }),
        ),
      );
      for (const r of sends) {
        if (r.status === 'fulfilled') continue;
        if ((r.reason as { kind?: string }).kind !== 'RelayQueueFull') throw r.reason;
        full = true;
      }
    }
    await sender.client.close();
    await sleep(1000);
    const idle = vmRss(pid);
    for (let i = 0; i < ATTACK_CONNECTIONS; i++) {
      const c = await owner.reconnect(server.url, true);
      c.ws.pause();
      attackers.push(c);
    }
    let peak = idle;
    for (const end = performance.now() + ATTACK_MS; performance.now() < end; await sleep(100))
      peak = Math.max(peak, vmRss(pid));
    return { idle, peak };
  } finally {
    for (const c of attackers) c.ws.terminate();
    await stopServer(server);
  }
}

async function main(): Promise<void> {
  const wisp = await run('wisp');
  // The bare relay's latency is taken at the same rate (half the Wisp relay's sustained load).
  const bare = await run('bare', wisp.half);
  const ratio = wisp.rate / bare.rate;
  const line = resultLine('relay');
  line({
    metric: 'sustained_envelopes_per_s_1000_clients_sqlite',
    value: round(wisp.rate, 0),
    unit: 'envelopes/s',
    baseline: round(bare.rate, 0),
    ratio: round(ratio, 3),
    target: '>= 0.25 x bare ws relay',
    pass: ratio >= 0.25 && failures === 0,
  });
  for (const p of [50, 99]) {
    const value = pct(wisp.lat, p);
    const baseline = pct(bare.lat, p);
    line({
      metric: `p${p}_delivery_latency_half_load`,
      value: round(value, 2),
      unit: 'ms',
      baseline: round(baseline, 2),
      ratio: round(value / baseline, 2),
      target:
        p === 99
          ? `< 20 ms at ${round(wisp.half, 0)} envelopes/s`
          : `informational, at ${round(wisp.half, 0)} envelopes/s`,
      pass: p === 99 ? value < 20 && failures === 0 : true,
    });
  }
  // The sender's "stored" answer waits for the WAL fsync (the bare relay stores nothing).
  for (const p of [50, 99]) {
    const value = pct(wisp.ack, p);
    const baseline = pct(bare.ack, p);
    line({
      metric: `p${p}_durable_send_ack_latency_half_load`,
      value: round(value, 2),
      unit: 'ms',
      baseline: round(baseline, 2),
      ratio: round(value / baseline, 2),
      target: `informational (includes the WAL fsync), at ${round(wisp.half, 0)} envelopes/s`,
      pass: true,
    });
  }
  const attack = await slowReaderAttack();
  line({
    metric: 'slow_reader_attack_peak_rss',
    value: round(attack.peak / MiB, 0),
    unit: 'MiB',
    baseline: round(attack.idle / MiB, 0),
    ratio: round(attack.peak / attack.idle, 2),
    target: `< 256 MiB (baseline: the same relay idle with the full queue; ${ATTACK_CONNECTIONS} non-reading connections of one account, 64 MiB queue of 256 KiB envelopes)`,
    pass: attack.peak < 256 * MiB,
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`relay bench failed: ${String(error)}\n`);
    process.exit(1);
  },
);
