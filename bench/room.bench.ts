// A room at the size PRODUCT.md allows (500 members: the sender and 499 others), through the real
// engine (SQLCipher profile, libsignal, multi-recipient sealed sender) and a loopback relay, next to
// a floor measured in the same run: the same group encryption and multi-recipient seal on
// in-memory libsignal stores, with no database and no relay.
// Run: npx tsx bench/room.bench.ts
//
// The relay runs with its DEFAULT limits (issue 13: a full room is made with one directory.lookup
// and one prekeys.bundles batch, each within its own allowance), except registrations per address,
// lifted because the 499 members (a child process) register from one address. The steady-state
// sends wait out the relay's send allowance between messages (2,000 burst, 500 envelopes/s: a
// 499-member message costs about a second of refill); the wait is not timed.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Aci, ProtocolAddress, processPreKeyBundle } from '@signalapp/libsignal-client';
import { Engine } from '../core/engine';
import { newContentId } from '../core/engine/ids';
import { encodeContent } from '../common/content/codec';
import { preKeyBundleFromWire } from '../core/engine/signalCrypto';
import { keyStoreFor } from '../core/vault';
import { startRelay } from '../relay/index';
import type { AccountId } from '../common/wire';
import { SignalUser } from '../tests/helpers/relay/signalUser';
import { quantile, resultLine } from './lib';

const MEMBERS = 499;
const here = dirname(fileURLToPath(import.meta.url));
const SENDS = Number(process.env.ROOM_SENDS ?? 20);
const open = { burst: 1_000_000, perSecond: 1_000_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const round = (n: number): number => Math.round(n * 10) / 10;
/** With ROOM_PROFILE set, phase boundaries on the monotonic clock a --cpu-prof profile uses (µs). */
const mark = (what: string): void => {
  if (process.env.ROOM_PROFILE) console.error(`mark ${what} ${process.hrtime.bigint() / 1000n}`);
};

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
  limits: { rates: { registrations: open } },
});
// The members run in a child process (bench/roomMembers.ts): they stand for other people's
// devices, so their parsing of the envelopes the relay pushes them is not the sender's time.
const membersProcess = spawn(
  process.execPath,
  ['--import', 'tsx', join(here, 'roomMembers.ts'), relay.url, String(MEMBERS)],
  {
    stdio: ['pipe', 'pipe', 'inherit'],
  },
);
let alice: Engine | undefined;
try {
  const memberIds = await new Promise<AccountId[]>((resolve, reject) => {
    membersProcess.once('exit', (code) => reject(new Error(`the members process exited (${code})`)));
    createInterface({ input: membersProcess.stdout }).once('line', (l) =>
      resolve(JSON.parse(l) as AccountId[]),
    );
  });

  // The floor: one in-memory sender makes the same 499 sessions (one bundle batch, PQXDH on
  // in-memory stores) and its sender key, then the multi-recipient seal, with no database.
  const floor = await SignalUser.register(relay.url, { username: 'floor' });
  const distributionId = randomUUID();
  const [, floorSetupMs] = await timed(async () => {
    const { results } = await floor.client.call('prekeys.bundles', { accountIds: memberIds });
    for (const bundle of results) {
      if (!bundle) throw new Error('a member has no bundle');
      await processPreKeyBundle(
        preKeyBundleFromWire(bundle),
        ProtocolAddress.new(Aci.fromUuid(bundle.accountId), 1),
        floor.address,
        floor.stores.session,
        floor.stores.identityStore,
      );
    }
    await floor.createSenderKeyDistribution(distributionId);
    await floor.sealForRoom(distributionId, memberIds, 'warm-up');
  });

  alice = await Engine.create({
    profileDir: join(root, 'alice'),
    keystore: keyStoreFor({ kind: 'passphrase', passphrase: 'bench', scrypt: { N: 2 ** 14, r: 8, p: 1 } }),
    relayUrl: relay.url,
    username: 'alice',
  });
  const engine = alice;
  mark('create');
  const [room, createMs] = await timed(() =>
    engine.createRoom(
      'everyone',
      memberIds.map((_, i) => `member${i}`),
    ),
  );
  if (room.members.length !== MEMBERS) throw new Error(`room has ${room.members.length} members`);
  mark('created');
  const [first, firstMs] = await timed(() => engine.sendToRoom(room.id, 'first message'));
  if (first.state !== 'sent') throw new Error(`first message is ${first.state}`);
  // The floor's seals are taken between the room sends, so each pair sees the same load (the
  // machine is shared: a floor measured minutes earlier, before creation, compared badly). They
  // seal as many bytes as a room send does: its content, encoded and padded as the engine does.
  const sealedBytes = (i: number): number =>
    encodeContent({
      v: 1,
      type: 'text',
      id: newContentId(),
      sentAt: Date.now(),
      roomId: room.id,
      text: `message ${i}`,
      expireAfterMs: null,
      burnAfterMs: null,
      attachments: [],
      senderName: 'alice',
    }).byteLength;
  const sendTimes: number[] = [];
  const floorTimes: number[] = [];
  for (let i = 0; i < SENDS; i++) {
    await sleep(1100);
    const floorText = 'x'.repeat(sealedBytes(i));
    floorTimes.push((await timed(() => floor.sealForRoom(distributionId, memberIds, floorText)))[1]);
    mark('send');
    const [sent, ms] = await timed(() => engine.sendToRoom(room.id, `message ${i}`));
    mark('sent');
    if (sent.state !== 'sent') throw new Error(`message ${i} is ${sent.state}`);
    sendTimes.push(ms);
  }

  const createRatio = createMs / floorSetupMs;
  line({
    metric: `create_room_${MEMBERS + 1}_members_ms`,
    value: Math.round(createMs),
    unit: 'ms',
    baseline: Math.round(floorSetupMs),
    ratio: round(createRatio),
    target:
      '<= 3x, default relay limits, no rate-limit error: directory batch, 499 PQXDH sessions, our sender key to each, the creation update sealed once for all; baseline: the same sessions (one bundle batch) and a multi-recipient seal on in-memory stores',
    pass: createRatio <= 3,
  });
  line({
    metric: 'first_room_message_ms',
    value: Math.round(firstMs),
    unit: 'ms',
    baseline: null,
    ratio: null,
    target: 'informational: the first message after creation (members got the sender key with the room)',
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
      '<= 2x: stored, sealed to 499, accepted and split durably by the relay; baseline: the same seal on in-memory stores, taken between the sends',
    pass: p50 / floorP50 <= 2,
  });
} finally {
  await alice?.close();
  membersProcess.stdin.end();
  await new Promise((r) => membersProcess.once('exit', r));
  await relay.close();
  rmSync(root, { recursive: true, force: true });
}
