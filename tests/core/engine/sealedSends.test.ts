// Issue 14, "senders unknown to the relay, even one that logs": the real relay is wrapped to record,
// for every request it answers, the connection, the account authenticated on it, and the bodies of
// token issuance; three real engines exchange 1:1, room and attachment messages. Once they know
// each other, no send the relay accepts can be tied to its sender: it came over a connection that
// never authenticated, and its tokens share nothing with what the relay issued to accounts.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HANDLERS, type SessionState } from '../../../relay/handlers';
import { Engine } from '../../../core/engine';
import { TOKEN_POOL } from '../../../core/engine/sealedRoute';
import { startRelay } from '../../../relay';
import { createWorld, testKeyStore, type TestWorld } from '../../helpers/engine/fixtures';
import { createCliWorld, wisp, type WispResult } from '../../helpers/engine/cli';

/** What a relay operator who adds one log line to every handler would learn. */
interface Seen {
  op: string;
  connection: string;
  /** The account authenticated on the connection when the request ran (or right after, for auth). */
  account: string | null;
  ok: boolean;
  body: Record<string, unknown>;
  result: unknown;
}

const SENDS = new Set([
  'message.send',
  'message.sendBatch',
  'message.sendMulti',
  'message.sendSealed',
  'message.sendSealedMulti',
  'message.sendSealedBatch',
]);
/** Creating an attachment on the relay: the upload whose id the recipient later downloads. */
const UPLOADS = new Set(['attachment.create', 'attachment.createSealed']);

/** Wraps every handler of the running relay (the same process) to log what it could link. */
function recordRelay(): { seen: Seen[]; restore(): void } {
  const seen: Seen[] = [];
  const table = HANDLERS as unknown as Record<
    string,
    (ctx: unknown, s: SessionState, b: unknown) => Promise<unknown>
  >;
  const originals = { ...table };
  for (const [op, handler] of Object.entries(originals)) {
    table[op] = async (ctx, s, body) => {
      const before = s.account?.id ?? null;
      try {
        const result = await handler(ctx, s, body);
        seen.push({
          op,
          connection: s.connectionKey,
          account: s.account?.id ?? before,
          ok: true,
          body: body as never,
          result,
        });
        return result;
      } catch (error) {
        seen.push({
          op,
          connection: s.connectionKey,
          account: s.account?.id ?? before,
          ok: false,
          body: body as never,
          result: null,
        });
        throw error;
      }
    };
  }
  return { seen, restore: () => Object.assign(table, originals) };
}

/** Everything the relay could use to tie a request to an account. */
function linkage(seen: Seen[]) {
  const accountsOn = new Map<string, Set<string>>();
  const handshakes = new Set<string>();
  for (const r of seen) {
    if (r.account) accountsOn.set(r.connection, (accountsOn.get(r.connection) ?? new Set()).add(r.account));
    if (r.op === 'auth' || r.op === 'register' || r.op === 'auth.challenge') handshakes.add(r.connection);
  }
  // Every byte string the relay saw or produced while issuing tokens to an account.
  const issued: Buffer[] = [];
  for (const r of seen.filter((x) => x.op === 'tokens.issue' && x.ok)) {
    for (const b of (r.body.blindedMessages as string[]) ?? []) issued.push(Buffer.from(b, 'base64'));
    for (const b of (r.result as { blindSignatures?: string[] }).blindSignatures ?? [])
      issued.push(Buffer.from(b, 'base64'));
  }
  return { accountsOn, handshakes, issued };
}

/** Tokens a send presented (none for an authenticated send). */
function tokensOf(r: Seen): Buffer[] {
  if (typeof r.body.token === 'string') return [Buffer.from(r.body.token, 'base64')];
  if (Array.isArray(r.body.tokens)) return (r.body.tokens as string[]).map((t) => Buffer.from(t, 'base64'));
  // A room send names a token per member, a batch one per item.
  const carriers = (r.body.recipients ?? r.body.items) as { token: string }[] | undefined;
  return (carriers ?? []).map((x) => Buffer.from(x.token, 'base64'));
}

/** Why this accepted send can be tied to an account, or null when it cannot. */
function attribution(r: Seen, l: ReturnType<typeof linkage>): string | null {
  if (r.account) return `sent on a connection authenticated as ${r.account}`;
  if (l.accountsOn.has(r.connection)) return 'its connection authenticated at some point';
  if (l.handshakes.has(r.connection)) return 'its connection took part in authentication';
  for (const token of tokensOf(r)) {
    for (const blob of l.issued) {
      // A token carrying any issuance bytes (or the reverse) would let the relay join them.
      if (token.includes(blob) || blob.includes(token)) return 'a token repeats bytes the relay issued';
    }
  }
  return null;
}

let world: TestWorld;
let recorder: ReturnType<typeof recordRelay>;

beforeEach(async () => {
  recorder = recordRelay();
  world = await createWorld();
});

afterEach(async () => {
  await world.close();
  recorder.restore();
});

async function texts(engine: Engine): Promise<string[]> {
  return (await engine.sync()).map((m) => m.text);
}

describe('a relay that logs every request cannot tell who sent what', () => {
  it('1:1, room and attachment sends between contacts travel without identity', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    const carol = await world.create('carol');

    // First contact: nobody holds anyone's delivery key yet, so these go authenticated (the
    // documented fallback) and carry the sender's key to the recipient.
    await alice.sendText('bob', 'hello bob');
    expect(await texts(bob)).toEqual(['hello bob']);
    await bob.sendText('alice', 'hello alice');
    expect(await texts(alice)).toEqual(['hello alice']);
    const room = await alice.createRoom('three', ['bob', 'carol']);
    await bob.sync();
    await carol.sync();
    for (const member of [bob, carol])
      if ((await member.roomRequests()).some((r) => r.id === room.id))
        await member.acceptRoomRequest(room.id);
    await carol.sendToRoom(room.id, 'carol joins');
    await bob.sendToRoom(room.id, 'bob joins');
    for (const e of [alice, bob, carol]) await e.sync();
    await carol.sync();

    const measuredFrom = recorder.seen.length;
    await alice.sendText('bob', 'sealed one');
    await bob.sendText('alice', 'sealed two');
    expect(await texts(bob)).toEqual(['sealed one']);
    expect(await texts(alice)).toEqual(['sealed two']);
    // A burst: the outbox sends these together, one message.sendSealedBatch.
    const burst = ['b1', 'b2', 'b3', 'b4'];
    await Promise.all(burst.map((t) => alice.sendText('bob', t)));
    expect(await texts(bob)).toEqual(burst);
    await alice.sendToRoom(room.id, 'room from alice');
    await bob.sendToRoom(room.id, 'room from bob');
    await carol.sendToRoom(room.id, 'room from carol');
    const file = join(world.root, 'photo.bin');
    writeFileSync(file, randomBytes(70_000));
    const withFile = await alice.sendText('bob', 'a file', { file });
    expect((await texts(alice)).sort()).toEqual(['room from bob', 'room from carol']);
    expect((await texts(bob)).sort()).toEqual(['a file', 'room from alice', 'room from carol']);
    expect((await texts(carol)).sort()).toEqual(['room from alice', 'room from bob']);
    // The attachment opens on bob's side: the pointer came through the sealed envelope.
    const received = (await bob.messages('alice')).find((m) => m.id === withFile.id)!;
    const out = join(world.root, 'saved.bin');
    await bob.saveAttachment(received.id, received.attachments[0]!.id, out);
    expect(readFileSync(out).equals(readFileSync(file))).toBe(true);
    // Receipts the syncs queued go out too.
    for (const e of [alice, bob, carol]) await e.sync();

    const l = linkage(recorder.seen);
    const measured = recorder.seen.slice(measuredFrom).filter((r) => SENDS.has(r.op) && r.ok);
    // Texts, room messages, the burst, the attachment message and receipts all went out.
    expect(measured.length).toBeGreaterThanOrEqual(10);
    // The burst went as a batch: it too is unattributable (below) — one batch links its items to
    // one sealed connection, which a run of lone sealed sends on that connection does as well.
    const batches = measured.filter((r) => r.op === 'message.sendSealedBatch');
    expect(batches.flatMap((r) => tokensOf(r)).length).toBeGreaterThanOrEqual(burst.length);
    const attributable = measured
      .map((r) => ({ op: r.op, why: attribution(r, l) }))
      .filter((x) => x.why !== null);
    expect(attributable).toEqual([]);
    // The attachment's upload names no sender either: the relay that sees bob download that id
    // cannot join the upload to alice's account.
    const uploads = recorder.seen.slice(measuredFrom).filter((r) => UPLOADS.has(r.op) && r.ok);
    expect(uploads).toHaveLength(1);
    expect(uploads.map((r) => ({ op: r.op, why: attribution(r, l) }))).toEqual([
      { op: 'attachment.createSealed', why: null },
    ]);
    expect(alice.uploadRoutes()).toEqual({ sealed: 1, authenticated: 0 });
    // Every accepted sealed send at all (first-contact phase included) is unattributable too.
    const sealedEver = recorder.seen.filter((r) => r.ok && r.op.startsWith('message.sendSealed'));
    expect(sealedEver.map((r) => attribution(r, l)).filter((w) => w !== null)).toEqual([]);
    // Tokens were issued to accounts and spent by senders nobody can name.
    expect(l.issued.length).toBeGreaterThan(0);
  });

  it('first contact with a stranger works, and later sends to them are sealed', async () => {
    const alice = await world.create('alice');
    const dave = await world.create('dave');
    const from = recorder.seen.length;
    await alice.sendText('dave', 'hi stranger');
    expect(await texts(dave)).toEqual(['hi stranger']);
    const firstContact = recorder.seen.slice(from).filter((r) => SENDS.has(r.op) && r.ok);
    // The first message cannot be sealed-unauthenticated: dave's key is unknown to alice.
    expect(firstContact[0]).toMatchObject({ op: 'message.send', account: alice.accountId });

    await dave.sendText('alice', 'hi alice');
    expect(await texts(alice)).toEqual(['hi alice']);
    const replyAt = recorder.seen.length;
    await alice.sendText('dave', 'now sealed');
    expect(await texts(dave)).toEqual(['now sealed']);
    const later = recorder.seen.slice(replyAt).filter((r) => SENDS.has(r.op) && r.ok);
    expect(later.length).toBeGreaterThan(0);
    expect(later.map((r) => r.op.startsWith('message.sendSealed'))).toEqual(later.map(() => true));
    const l = linkage(recorder.seen);
    expect(later.map((r) => attribution(r, l))).toEqual(later.map(() => null));
  });
});

describe('when sealed sends are refused or run out', () => {
  it('loses no token it took ahead: at close every token taken from the wallet was spent or handed back', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    // No receipts: every sealed send of alice's below is one of the texts, paid from the counted wallet.
    await alice.setReceiptSettings({ deliveryReceipts: false, readReceipts: false });
    await bob.sendText('alice', 'here is my key');
    await alice.sync();
    const before = alice.sendRoutes().sealed;
    // alice's own wallet, counted on its way in and out of the engine.
    const wallet = alice.useTokens(null)!;
    let taken = 0;
    let restored = 0;
    let takes = 0;
    // The take ahead is still under way when the engine closes: it finishes only once close has
    // begun handing the pool back.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    alice.useTokens({
      take: async (n) => {
        // Counted when asked for: the sends (batched) may all be answered before the take ahead
        // has its tokens.
        const nth = ++takes;
        const tokens = await wallet.take(n);
        taken += tokens.length;
        if (nth === 2) await gate;
        return tokens;
      },
      restore: (tokens) => {
        restored += tokens.length;
        wallet.restore!(tokens);
        release();
      },
    });
    // Enough sends to run the first pool low, so the next one is taken ahead in the background.
    const sent = Array.from({ length: (TOKEN_POOL * 3) / 4 }, (_, i) => `m${i}`);
    await Promise.all(sent.map((t) => alice.sendText('bob', t)));
    const sealed = alice.sendRoutes().sealed - before;
    expect(sealed).toBe(sent.length);
    expect(takes).toBe(2);
    await alice.close();
    expect(taken).toBeGreaterThan(sealed);
    expect(taken - restored).toBe(sealed);
    expect((await texts(bob)).slice(-sent.length).sort()).toEqual([...sent].sort());
  });

  it('a rotated delivery key cuts off the excluded contact (it falls back to authenticated), not the others', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    const carol = await world.create('carol');
    await bob.sendText('alice', 'hi alice');
    await bob.sendText('carol', 'hi carol');
    await alice.sendText('bob', 'hi bob');
    await carol.sendText('bob', 'hi bob');
    for (const e of [alice, carol, bob, alice, carol]) await e.sync();

    // Bob "blocks" alice: a fresh key for everyone who held the old one, except her.
    expect(await bob.rotateDeliveryKey([alice.accountId])).toEqual([carol.accountId]);
    await carol.sync();
    const from = recorder.seen.length;
    const before = { alice: alice.sendRoutes(), carol: carol.sendRoutes() };
    await alice.sendText('bob', 'still with the old key');
    await carol.sendText('bob', 'with the new key');
    expect((await texts(bob)).sort()).toEqual(['still with the old key', 'with the new key']);
    const sends = recorder.seen.slice(from).filter((r) => SENDS.has(r.op));
    // Alice's sealed send was refused for its key, then went over her account connection.
    expect(sends.filter((r) => r.op === 'message.sendSealed' && !r.ok)).toHaveLength(1);
    expect(
      sends.filter((r) => r.op === 'message.send' && r.ok && r.account === alice.accountId),
    ).toHaveLength(1);
    expect(alice.sendRoutes().authenticated - before.alice.authenticated).toBe(1);
    expect(carol.sendRoutes().sealed - before.carol.sealed).toBe(1);
    // Alice forgot the refused key: her next message goes straight to the authenticated path.
    const next = recorder.seen.length;
    await alice.sendText('bob', 'again');
    expect(recorder.seen.slice(next).filter((r) => r.op === 'message.sendSealed')).toEqual([]);
  });
});

describe('closing with a token refill under way', () => {
  /**
   * Alice's wallet tops up in the background while every issuance after the first (the first
   * take's own refill) is held at the relay; she closes; the held one is answered `answerAfterClose`
   * or 1.5 s after close began. Returns what the relay issued her and what her reopened wallet holds.
   * Nothing else uses her account connection meanwhile (the relay runs its requests in turn).
   */
  async function closeDuringRefill(answerAfterClose: boolean) {
    const alice = await world.create('alice');
    const table = HANDLERS as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const issue = table['tokens.issue']!;
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    let answered!: () => void;
    const heldAnswered = new Promise<void>((r) => (answered = r));
    table['tokens.issue'] = async (...args) => {
      if (++calls !== 2) return issue(...args);
      held();
      await gate;
      try {
        return await issue(...args);
      } finally {
        answered();
      }
    };
    try {
      // Alice's wallet, as her sends take from it: the first take waits for its tokens, then the
      // top-up to the stock starts in the background.
      const wallet = alice.useTokens(null)!;
      expect(await wallet.take(1)).toHaveLength(1);
      await holding;
      const closing = alice.close();
      if (answerAfterClose) {
        await closing;
        release();
      } else {
        // The relay answers a while after close began (a slow network; longer than the account
        // connection takes to close): nothing here times out.
        setTimeout(release, 1500);
        await closing;
      }
      await heldAnswered;
    } finally {
      release();
      table['tokens.issue'] = issue;
    }
    expect(calls).toBe(2);
    const issued = recorder.seen
      .filter((r) => r.op === 'tokens.issue' && r.ok && r.account === alice.accountId)
      .map((r) => (r.result as { blindSignatures: string[] }).blindSignatures.length);
    const again = await world.open('alice');
    return { issued, held: (again.useTokens(null) as unknown as { count(): number }).count() };
  }

  it('keeps the tokens the relay is issuing: close waits for the batch in flight and stores it', async () => {
    const { issued, held } = await closeDuringRefill(false);
    // The held issuance was answered and counted against alice's allowance: it is in her wallet
    // (reopened) with the rest she was issued, but the one taken; no batch was asked for after it.
    expect(issued).toHaveLength(2);
    expect(held).toBe(issued[0]! + issued[1]! - 1);
  });

  it('drops a batch the relay answers only after close gave up on it, writing nothing', async () => {
    const { issued, held } = await closeDuringRefill(true);
    expect(issued).toHaveLength(2);
    // Close waited its limit and went; the late batch was not written, the first one is intact.
    expect(held).toBe(issued[0]! - 1);
  });
});

describe('bursts of sealed sends (message.sendSealedBatch)', () => {
  /** Sealed envelopes to `to` the relay stored, lone and in batches. */
  function storedSealed(records: Seen[], to: string) {
    let lone = 0;
    let batched = 0;
    for (const r of records.filter((x) => x.ok)) {
      if (r.op === 'message.sendSealed' && r.body.to === to) lone++;
      if (r.op === 'message.sendSealedBatch') {
        const items = r.body.items as { to: string }[];
        const results = (r.result as { results: object[] }).results;
        batched += results.filter((x, i) => 'envelopeId' in x && items[i]!.to === to).length;
      }
    }
    return { lone, batched };
  }

  it('arrive in order, exactly once, in batches', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await alice.setReceiptSettings({ deliveryReceipts: false, readReceipts: false });
    await bob.sendText('alice', 'here is my key');
    await alice.sync();
    const before = alice.sendRoutes();
    const from = recorder.seen.length;
    const burst = Array.from({ length: 40 }, (_, i) => `burst ${i}`);
    await Promise.all(burst.map((t) => alice.sendText('bob', t)));
    expect(await texts(bob)).toEqual(burst);
    // Nothing twice (another sync finds nothing), all of it without identity.
    expect(await texts(bob)).toEqual([]);
    expect(alice.sendRoutes()).toEqual({
      sealed: before.sealed + burst.length,
      authenticated: before.authenticated,
    });
    const stored = storedSealed(recorder.seen.slice(from), bob.accountId);
    expect(stored.lone + stored.batched).toBe(burst.length);
    expect(stored.batched).toBeGreaterThan(0);
  });

  it('items refused in a batch go as a lone refusal would: a refused key falls back and is forgotten, a refused token falls back', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    const carol = await world.create('carol');
    await alice.setReceiptSettings({ deliveryReceipts: false, readReceipts: false });
    await bob.sendText('alice', 'key of bob');
    await carol.sendText('alice', 'key of carol');
    await alice.sync();
    await alice.sendText('carol', 'so carol holds mine');
    await carol.sync();
    // Carol cuts alice off: the key alice holds is refused from now on.
    await carol.rotateDeliveryKey([alice.accountId]);
    // The first two tokens alice's route takes are one and the same: the relay refuses its second use.
    const wallet = alice.useTokens(null)!;
    let doubled = false;
    alice.useTokens({
      take: async (n) => {
        const tokens = await wallet.take(n);
        if (!doubled && tokens.length > 1) {
          doubled = true;
          tokens[1] = tokens[0]!;
        }
        return tokens;
      },
      restore: (tokens) => wallet.restore!(tokens),
    });
    const before = alice.sendRoutes();
    const from = recorder.seen.length;
    const toBob = ['b0', 'b1', 'b2', 'b3', 'b4', 'b5'];
    const toCarol = ['c0', 'c1', 'c2'];
    // b0 and b1 are prepared first (they get the doubled token), then carol's and bob's alternate.
    await Promise.all([
      alice.sendText('bob', 'b0'),
      alice.sendText('bob', 'b1'),
      ...toCarol.flatMap((c, i) => [alice.sendText('carol', c), alice.sendText('bob', toBob[i + 2]!)]),
      alice.sendText('bob', 'b5'),
    ]);
    // Everything arrives once; the refused items came over the account connection.
    expect((await texts(bob)).sort()).toEqual(toBob);
    expect((await texts(carol)).sort()).toEqual(toCarol);
    expect(await texts(bob)).toEqual([]);
    const after = alice.sendRoutes();
    expect(after.sealed - before.sealed).toBe(toBob.length - 1);
    expect(after.authenticated - before.authenticated).toBe(toCarol.length + 1);
    const sends = recorder.seen.slice(from);
    const refusals = sends
      .filter((r) => r.ok && r.op === 'message.sendSealedBatch')
      .flatMap((r) => (r.result as { results: { refused?: string }[] }).results)
      .flatMap((x) => (x.refused === undefined ? [] : [x.refused]));
    const loneRefusals = sends.filter((r) => !r.ok && r.op === 'message.sendSealed').length;
    expect(refusals.length + loneRefusals).toBeGreaterThanOrEqual(2);
    expect(refusals.length).toBeGreaterThan(0);
    // Carol's key was forgotten: the next message to her goes straight to the account connection.
    const next = recorder.seen.length;
    await alice.sendText('carol', 'again');
    expect(recorder.seen.slice(next).filter((r) => r.op.startsWith('message.sendSealed'))).toEqual([]);
    expect(await texts(carol)).toEqual(['again']);
  });
});

describe('the daily token allowance', () => {
  it('caps sends without identity; past it messages still arrive, over the account connection', async () => {
    // A relay of its own, with an allowance of 3 tokens per account per day.
    const relay = await startRelay({ port: 0, logger: false, limits: { tokensPerDay: 3 } });
    try {
      const make = (name: string) =>
        Engine.create({
          profileDir: join(world.root, `cap-${name}`),
          keystore: testKeyStore(),
          relayUrl: relay.url,
          username: name,
        });
      const alice = await make('alice');
      const bob = await make('bob');
      try {
        await bob.sendText('alice', 'here is my key');
        await alice.sync();
        const sent = ['one', 'two', 'three', 'four', 'five'];
        for (const t of sent) await alice.sendText('bob', t);
        expect(await texts(bob)).toEqual(sent);
        // Three tokens: three envelopes went without identity (texts, or the receipt alice sent
        // for bob's message); everything after went authenticated, and nothing was lost.
        const routes = alice.sendRoutes();
        expect(routes.sealed).toBe(3);
        expect(routes.authenticated).toBeGreaterThanOrEqual(3);
        // And the relay issued alice no more than her allowance.
        const issuedToAlice = recorder.seen
          .filter((r) => r.op === 'tokens.issue' && r.ok && r.account === alice.accountId)
          .reduce((n, r) => n + (r.result as { blindSignatures: string[] }).blindSignatures.length, 0);
        expect(issuedToAlice).toBe(3);
      } finally {
        await alice.close();
        await bob.close();
      }
    } finally {
      await relay.close();
    }
  });
});

describe('the wisp CLI', () => {
  it('sends 1:1, room and file messages without identity once the users know each other', async () => {
    const cli = await createCliWorld(['alice', 'bob']);
    try {
      const profile = (n: string) => cli.profile(n);
      const ok = async (p: Promise<WispResult>) => {
        const r = await p;
        expect(r.code, r.stderr).toBe(0);
        return r;
      };
      // First contact, both ways (authenticated), then a room of the two.
      await ok(wisp(profile('alice'), ['send'], ['--to', 'bob', '--text', 'hi bob']));
      await ok(wisp(profile('bob'), ['sync']));
      await ok(wisp(profile('bob'), ['send'], ['--to', 'alice', '--text', 'hi alice']));
      await ok(wisp(profile('alice'), ['sync']));
      const room = await ok(
        wisp(profile('alice'), ['room', 'create'], ['--name', 'pair', '--members', 'bob']),
      );
      const roomId = room.lines[0]!.id as string;
      await ok(wisp(profile('bob'), ['sync']));

      const from = recorder.seen.length;
      const file = join(cli.root, 'note.bin');
      writeFileSync(file, randomBytes(5000));
      await ok(wisp(profile('alice'), ['send'], ['--to', 'bob', '--text', 'sealed by cli', '--file', file]));
      await ok(wisp(profile('alice'), ['room', 'send'], ['--room', roomId, '--text', 'room by cli']));
      const roomFile = join(cli.root, 'room.bin');
      writeFileSync(roomFile, randomBytes(1_200_000));
      await ok(
        wisp(
          profile('alice'),
          ['room', 'send'],
          ['--room', roomId, '--text', 'room file', '--file', roomFile],
        ),
      );
      await ok(wisp(profile('bob'), ['send'], ['--to', 'alice', '--text', 'reply by cli']));
      const atBob = await ok(wisp(profile('bob'), ['sync']));
      expect(atBob.lines.map((l) => l.text).sort()).toEqual(['room by cli', 'room file', 'sealed by cli']);
      // Both files arrive byte for byte, 1:1 and in the room.
      for (const [text, sentFile] of [
        ['sealed by cli', file],
        ['room file', roomFile],
      ] as const) {
        const message = atBob.lines.find((m) => m.text === text)!;
        const out = join(cli.root, `saved-${text.replace(/ /g, '-')}`);
        const attachmentId = (message.attachments as { id: string }[])[0]!.id;
        await ok(
          wisp(
            profile('bob'),
            ['attachment', 'save'],
            ['--id', message.id as string, '--attachment', attachmentId, '--out', out],
          ),
        );
        expect(readFileSync(out).equals(readFileSync(sentFile))).toBe(true);
      }
      const atAlice = await ok(wisp(profile('alice'), ['sync']));
      expect(atAlice.lines.map((l) => l.text)).toEqual(['reply by cli']);

      const l = linkage(recorder.seen);
      const sends = recorder.seen.slice(from).filter((r) => SENDS.has(r.op) && r.ok);
      // Three messages and the receipts the syncs sent back.
      expect(sends.length).toBeGreaterThanOrEqual(3);
      expect(sends.map((r) => ({ op: r.op, why: attribution(r, l) })).filter((x) => x.why !== null)).toEqual(
        [],
      );
      // The two uploads were created without identity, paid by size (the room file: two started MiB).
      const uploads = recorder.seen.slice(from).filter((r) => UPLOADS.has(r.op) && r.ok);
      expect(uploads.map((r) => ({ op: r.op, why: attribution(r, l), tokens: tokensOf(r).length }))).toEqual([
        { op: 'attachment.createSealed', why: null, tokens: 1 },
        { op: 'attachment.createSealed', why: null, tokens: 2 },
      ]);
    } finally {
      await cli.close();
    }
  });
});
