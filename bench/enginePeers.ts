// The set-up engine benchmarks share (bench/engine.bench.ts, bench/sealedSend.bench.ts): the relay
// and the receiving engine each in a process of its own, as on real machines (their durable commits
// and decrypts do not share the sender's event loop), and "when did the receiver commit text X".
// This file is also the child's entry point: forked with --relay DIR or --receiver DIR.
import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startRelay } from '../relay/index';
import { Engine } from '../core/engine';
import { keyStoreFor } from '../core/vault';

const SELF = fileURLToPath(import.meta.url);

/** A cheap scrypt: profile creation is not what the benchmarks measure. */
export function benchKeyStore() {
  return keyStoreFor({ kind: 'passphrase', passphrase: 'bench', scrypt: { N: 2 ** 14, r: 8, p: 1 } });
}

/** Milliseconds since the epoch with sub-millisecond resolution, comparable across processes. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

function forkChild(args: string[]): ChildProcess {
  return fork(SELF, args, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

function firstMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((done) => child.once('message', (m) => done(m as T)));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.send({ stop: true });
  await exited;
}

/** The real relay on loopback (SQLite in `dataDir`), in its own process. */
export async function relayProcess(dataDir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = forkChild(['--relay', dataDir]);
  const { url } = await firstMessage<{ url: string }>(child);
  return { url, stop: () => stopChild(child) };
}

export interface ReceiverProcess {
  /** When the receiver committed the message whose text is `text` (its clock, epoch ms). */
  arrival(text: string): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Opens the profile in `profileDir` in its own process, live, receipts off, and reports each
 * committed incoming message's text and time over IPC. The profile must be closed here first.
 */
export async function receiverProcess(profileDir: string): Promise<ReceiverProcess> {
  const child = forkChild(['--receiver', profileDir]);
  const waiters = new Map<string, (committedAt: number) => void>();
  const early = new Map<string, number>();
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  child.on('message', (m: { text?: string; committedAt?: number; ready?: boolean }) => {
    if (m.ready) return ready();
    if (m.text === undefined || m.committedAt === undefined) return;
    const w = waiters.get(m.text);
    if (w) w(m.committedAt);
    else early.set(m.text, m.committedAt);
  });
  await isReady;
  return {
    arrival(text) {
      const committedAt = early.get(text);
      if (committedAt === undefined) return new Promise<number>((r) => waiters.set(text, r));
      early.delete(text);
      return Promise.resolve(committedAt);
    },
    stop: () => stopChild(child),
  };
}

// --- the children ----------------------------------------------------------------------------

async function runReceiver(profileDir: string): Promise<void> {
  const engine = await Engine.open({ profileDir, keystore: benchKeyStore() });
  await engine.setReceiptSettings({ deliveryReceipts: false, readReceipts: false });
  engine.on((e) => {
    // The time is taken here, right after the commit: the IPC hop to the parent (which is also
    // the busy sender) is not part of send → committed.
    if (e.type === 'message.added' && !e.message.outgoing)
      process.send!({ text: e.message.text, committedAt: epochNow() });
  });
  await engine.connect();
  process.send!({ ready: true });
  process.on('message', (m: { stop?: boolean }) => {
    if (m.stop) void engine.close().then(() => process.exit(0));
  });
}

async function runRelay(dataDir: string): Promise<void> {
  const relay = await startRelay({ port: 0, dataDir, logger: false });
  process.send!({ url: relay.url });
  process.on('message', (m: { stop?: boolean }) => {
    if (m.stop) void relay.close().then(() => process.exit(0));
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === SELF) {
  const receiverAt = process.argv.indexOf('--receiver');
  const relayAt = process.argv.indexOf('--relay');
  if (receiverAt >= 0) await runReceiver(process.argv[receiverAt + 1]!);
  else if (relayAt >= 0) await runRelay(process.argv[relayAt + 1]!);
}
