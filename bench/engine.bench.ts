// Messaging engine latency and throughput between two real engines on a loopback relay (SQLCipher
// profiles, libsignal, sealed sender), next to a bare floor measured in the same run:
// sealed-sender encrypt+decrypt on in-memory libsignal stores plus a bare ws echo round trip.
// Run: npx tsx bench/engine.bench.ts      Target: send → decrypted-and-committed p50 ≤ 5× the floor.
import Database from 'better-sqlite3-multiple-ciphers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  IdentityKeyPair,
  KEMKeyPair,
  KyberPreKeyRecord,
  PreKeyBundle,
  PreKeyRecord,
  PrivateKey,
  ProtocolAddress,
  SenderCertificate,
  ServerCertificate,
  SignedPreKeyRecord,
  processPreKeyBundle,
  sealedSenderDecryptMessage,
  sealedSenderEncryptMessage,
} from '@signalapp/libsignal-client';
import { WebSocket, WebSocketServer } from 'ws';
import { Engine } from '../core/engine';
import { benchKeyStore, epochNow, receiverProcess, relayProcess } from './enginePeers';
import { inMemoryStores } from '../tests/helpers/relay/signalUser';
import { quantile, resultLine } from './lib';

const LATENCY_ROUNDS = 200;
const THROUGHPUT_MESSAGES = 500;
const FLOOR_ROUNDS = 500;
const TARGET_RATIO = 5;

const round = (n: number): number => Math.round(n * 1000) / 1000;

const line = resultLine('engine');

// --- the floor: bare libsignal ------------------------------------------------------------

const ALICE = '9d0652a3-dcc3-4d11-975f-74d61598733f';
const BOB = '796abedb-ca4e-4f18-8803-1fde5b921f9f';

async function bareSealedSenderMs(): Promise<number[]> {
  const trustRoot = PrivateKey.generate();
  const serverKey = PrivateKey.generate();
  const serverCert = ServerCertificate.new(1, serverKey.getPublicKey(), trustRoot);
  const aliceId = IdentityKeyPair.generate();
  const bobId = IdentityKeyPair.generate();
  const cert = SenderCertificate.new(
    ALICE,
    null,
    1,
    aliceId.publicKey,
    Date.now() + 86_400_000,
    serverCert,
    serverKey,
  );
  const a = inMemoryStores(aliceId, 1);
  const b = inMemoryStores(bobId, 2);
  const pre = PrivateKey.generate();
  await b.preKey.savePreKey(1, PreKeyRecord.new(1, pre.getPublicKey(), pre));
  const spk = PrivateKey.generate();
  const spkSig = bobId.privateKey.sign(spk.getPublicKey().serialize());
  await b.signed.saveSignedPreKey(1, SignedPreKeyRecord.new(1, Date.now(), spk.getPublicKey(), spk, spkSig));
  const kem = KEMKeyPair.generate();
  const kemSig = bobId.privateKey.sign(kem.getPublicKey().serialize());
  await b.kyber.saveKyberPreKey(1, KyberPreKeyRecord.new(1, Date.now(), kem, kemSig));
  const bundle = PreKeyBundle.new(
    2,
    1,
    1,
    pre.getPublicKey(),
    1,
    spk.getPublicKey(),
    spkSig,
    bobId.publicKey,
    1,
    kem.getPublicKey(),
    kemSig,
  );
  const aliceAddr = ProtocolAddress.new(ALICE, 1);
  const bobAddr = ProtocolAddress.new(BOB, 1);
  await processPreKeyBundle(bundle, bobAddr, aliceAddr, a.session, a.identityStore);
  const plaintext = new Uint8Array(320);
  const once = async (): Promise<void> => {
    const sealed = await sealedSenderEncryptMessage(plaintext, bobAddr, cert, a.session, a.identityStore);
    await sealedSenderDecryptMessage(
      sealed,
      trustRoot.getPublicKey(),
      Date.now(),
      null,
      BOB,
      1,
      b.session,
      b.identityStore,
      b.preKey,
      b.signed,
      b.kyber,
    );
  };
  await once();
  const out: number[] = [];
  for (let i = 0; i < FLOOR_ROUNDS; i++) {
    const t0 = performance.now();
    await once();
    out.push(performance.now() - t0);
  }
  return out;
}

async function bareWsRoundTripMs(): Promise<number[]> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => server.once('listening', () => r()));
  server.on('connection', (s) => s.on('message', (d) => s.send(d as Buffer)));
  const port = (server.address() as { port: number }).port;
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((r) => client.once('open', r));
  const payload = JSON.stringify({ id: 1, op: 'message.send', body: { payload: 'x'.repeat(800) } });
  const out: number[] = [];
  for (let i = 0; i < FLOOR_ROUNDS + 20; i++) {
    const t0 = performance.now();
    await new Promise<void>((r) => {
      client.once('message', () => r());
      client.send(payload);
    });
    if (i >= 20) out.push(performance.now() - t0);
  }
  client.close();
  await new Promise<void>((r) => server.close(() => r()));
  return out;
}

// --- the engine ---------------------------------------------------------------------------

/** One durable commit (WAL, synchronous=FULL, SQLCipher as the profiles use): the price of "persisted". */
function bareDurableCommitMs(dir: string): number[] {
  const db = new Database(join(dir, 'fsync.db'));
  db.pragma(`cipher = 'sqlcipher'`);
  db.pragma('legacy = 4');
  db.pragma(`key = "x'${'11'.repeat(32)}'"`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)');
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
  const body = Buffer.alloc(400);
  const out: number[] = [];
  for (let i = 0; i < 220; i++) {
    const t0 = performance.now();
    insert.run(body);
    if (i >= 20) out.push(performance.now() - t0);
  }
  db.close();
  return out;
}

async function main(): Promise<void> {
  const crypto = await bareSealedSenderMs();
  const ws = await bareWsRoundTripMs();
  const floorP50 = quantile(crypto, 0.5) + quantile(ws, 0.5);
  const floorP99 = quantile(crypto, 0.99) + quantile(ws, 0.99);

  const root = mkdtempSync(join(tmpdir(), 'wisp-engine-bench-'));
  const commit = bareDurableCommitMs(root);
  const relay = await relayProcess(join(root, 'relay'));
  const alice = await Engine.create({
    profileDir: join(root, 'alice'),
    keystore: benchKeyStore(),
    relayUrl: relay.url,
    username: 'alice',
  });
  const bobSetup = await Engine.create({
    profileDir: join(root, 'bob'),
    keystore: benchKeyStore(),
    relayUrl: relay.url,
    username: 'bob',
  });
  const bobAccount = bobSetup.accountId;
  await bobSetup.close();
  // The receiver commits in its own process and says when (bench/enginePeers.ts).
  const bob = await receiverProcess(join(root, 'bob'));
  const arrival = (text: string) => bob.arrival(text);
  try {
    // Warm-up: session, certificate, statement caches, JIT.
    for (let i = 0; i < 20; i++) {
      const done = arrival(`warm ${i}`);
      await alice.sendText(i === 0 ? 'bob' : bobAccount, `warm ${i}`);
      await done;
    }

    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_ROUNDS; i++) {
      const key = `lat ${i}`;
      const done = arrival(key);
      const t0 = epochNow();
      await alice.sendText(bobAccount, key);
      latencies.push((await done) - t0);
    }

    // Sustained: the sender queues messages as fast as the engine takes them (the outbox batches
    // what accumulates); the clock stops when the receiver has committed the last one.
    const all: Promise<number>[] = [];
    const sends: Promise<unknown>[] = [];
    const t0 = performance.now();
    for (let i = 0; i < THROUGHPUT_MESSAGES; i++) {
      const key = `tp ${i}`;
      all.push(arrival(key));
      sends.push(alice.sendText(bobAccount, key));
    }
    await Promise.all(sends);
    await Promise.all(all);
    const seconds = (performance.now() - t0) / 1000;

    const p50 = quantile(latencies, 0.5);
    const p99 = quantile(latencies, 0.99);
    line({
      metric: 'send_to_committed_p50',
      value: round(p50),
      unit: 'ms',
      baseline: round(floorP50),
      ratio: round(p50 / floorP50),
      target: `<= ${TARGET_RATIO}x bare sealed-sender encrypt+decrypt + bare ws round trip`,
      pass: p50 <= TARGET_RATIO * floorP50,
    });
    // What durability costs: the sender's outbox commit, the relay's and the receiver's are three
    // fsynced commits in sequence on the critical path; the bare floor has none.
    const durableFloor = floorP50 + 3 * quantile(commit, 0.5);
    line({
      metric: 'send_to_committed_p50_vs_durable_floor',
      value: round(p50),
      unit: 'ms',
      baseline: round(durableFloor),
      ratio: round(p50 / durableFloor),
      target: `reported: bare floor + 3 durable SQLCipher commits (p50 ${round(quantile(commit, 0.5))} ms each, measured here)`,
      pass: true,
    });
    line({
      metric: 'send_to_committed_p99',
      value: round(p99),
      unit: 'ms',
      baseline: round(floorP99),
      ratio: round(p99 / floorP99),
      target: 'reported (p99 of the same floor as baseline)',
      pass: true,
    });
    line({
      metric: 'floor_parts_p50',
      value: round(quantile(crypto, 0.5)),
      unit: 'ms sealed-sender encrypt+decrypt',
      baseline: round(quantile(ws, 0.5)),
      ratio: round(quantile(crypto, 0.5) / quantile(ws, 0.5)),
      target: 'informational: crypto part (value) vs ws round trip (baseline)',
      pass: true,
    });
    const rate = THROUGHPUT_MESSAGES / seconds;
    const floorRate = 1000 / floorP50;
    line({
      metric: 'sustained_messages_per_s',
      value: Math.round(rate),
      unit: 'msg/s',
      baseline: Math.round(floorRate),
      ratio: round(rate / floorRate),
      target:
        'reported (one sender queueing 500 sends, one receiver process, durable commits at sender, relay and receiver)',
      pass: true,
    });
  } finally {
    await bob.stop();
    await alice.close();
    await relay.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
