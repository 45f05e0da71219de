// A room at the size PRODUCT.md allows (500 members: the sender and 499 others), through the real
// engine (SQLCipher profile, libsignal, multi-recipient sealed sender) and a loopback relay, next to
// a floor measured in the same run: the same group encryption and multi-recipient seal on
// in-memory libsignal stores, with no database and no relay.
// Run: npx tsx bench/room.bench.ts   No issue sets a target yet: every line is informational.
//
// The relay's per-account rate limits are lifted here: with the defaults, creating a room of new
// contacts runs into the username-lookup (100 burst, 2/s) and prekey-bundle (100 burst, 1/s)
// limits long before 499 members (the session notes say so; that is a protocol question, not a
// measurement).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../core/engine';
import { keyStoreFor } from '../core/vault';
import { startRelay } from '../relay/index';
import { SignalUser } from '../tests/helpers/relay/signalUser';
import { quantile, resultLine } from './lib';

const MEMBERS = 499;
const SENDS = 20;
const open = { burst: 1_000_000, perSecond: 1_000_000 };

const round = (n: number): number => Math.round(n * 10) / 10;

const line = resultLine('room');

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

const root = mkdtempSync(join(tmpdir(), 'wisp-room-bench-'));
const relay = await startRelay({
  port: 0,
  dataDir: join(root, 'relay'),
  logger: false,
  limits: {
    rates: {
      handshakes: open,
      accountWrites: open,
      usernameLookups: open,
      bundleFetches: open,
      bundleFetchesPerTarget: open,
      sends: open,
      frames: open,
      registrations: open,
    },
  },
});
const members: SignalUser[] = [];
let alice: Engine | undefined;
try {
  for (let i = 0; i < MEMBERS; i++) {
    members.push(await SignalUser.register(relay.url, { username: `member${i}`, preKeys: 3 }));
  }

  // The floor: one in-memory sender with a session to every member and its sender key.
  const floor = await SignalUser.register(relay.url, { username: 'floor' });
  for (const m of members) await floor.startSession(m.accountId);
  const distributionId = randomUUID();
  await floor.createSenderKeyDistribution(distributionId);
  const memberIds = members.map((m) => m.accountId);
  await floor.sealForRoom(distributionId, memberIds, 'warm-up');
  const floorTimes: number[] = [];
  for (let i = 0; i < SENDS; i++) {
    floorTimes.push((await timed(() => floor.sealForRoom(distributionId, memberIds, `floor ${i}`)))[1]);
  }

  alice = await Engine.create({
    profileDir: join(root, 'alice'),
    keystore: keyStoreFor({ kind: 'passphrase', passphrase: 'bench', scrypt: { N: 2 ** 14, r: 8, p: 1 } }),
    relayUrl: relay.url,
    username: 'alice',
  });
  const engine = alice;
  const [room, createMs] = await timed(() =>
    engine.createRoom(
      'everyone',
      members.map((_, i) => `member${i}`),
    ),
  );
  if (room.members.length !== MEMBERS) throw new Error(`room has ${room.members.length} members`);
  const [first, firstMs] = await timed(() => engine.sendText(room.id, 'first message'));
  if (first.state !== 'sent') throw new Error(`first message is ${first.state}`);
  const sendTimes: number[] = [];
  for (let i = 0; i < SENDS; i++) {
    const [sent, ms] = await timed(() => engine.sendText(room.id, `message ${i}`));
    if (sent.state !== 'sent') throw new Error(`message ${i} is ${sent.state}`);
    sendTimes.push(ms);
  }

  line({
    metric: `create_room_${MEMBERS + 1}_members_ms`,
    value: Math.round(createMs),
    unit: 'ms',
    baseline: null,
    ratio: null,
    target: 'informational: username lookups, PQXDH sessions and the room update to every member',
    pass: null,
  });
  line({
    metric: 'first_room_message_ms',
    value: Math.round(firstMs),
    unit: 'ms',
    baseline: null,
    ratio: null,
    target: 'informational: the sender key to every member over its pairwise session, then the message',
    pass: null,
  });
  const p50 = quantile(sendTimes, 0.5);
  const floorP50 = quantile(floorTimes, 0.5);
  line({
    metric: 'room_message_send_p50_ms',
    value: round(p50),
    unit: 'ms',
    baseline: round(floorP50),
    ratio: round(p50 / floorP50),
    target:
      'informational: stored, sealed to 499, accepted and split durably by the relay; baseline: the same seal on in-memory stores',
    pass: null,
  });
} finally {
  await alice?.close();
  await Promise.all(members.map((m) => m.client.close()));
  await relay.close();
  rmSync(root, { recursive: true, force: true });
}
