// Issue 14: which connection creates an attachment (core/engine/attachmentRoute.ts). Between
// contacts it goes without identity, paid by size from the send wallet; without tokens, with
// refused tokens, or on a relay that lacks attachment.createSealed, it falls back to the account
// connection as before, loses no token the relay did not spend, and the file still arrives whole.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WispError } from '../../../common/errors';
import { HANDLERS, type SessionState } from '../../../relay/handlers';
import type { Engine } from '../../../core/engine';
import type { TokenSource } from '../../../core/engine/sealedRoute';
import { createWorld, type TestWorld } from '../../helpers/engine/fixtures';

type Handler = (ctx: unknown, s: SessionState, b: unknown) => Promise<unknown>;
const table = HANDLERS as unknown as Record<string, Handler>;
const OPS = ['attachment.create', 'attachment.createSealed'] as const;
const originals = Object.fromEntries(OPS.map((op) => [op, table[op]!]));

/** Every attachment creation the relay answered: op, whether an account was on the connection, tokens. */
let created: { op: string; account: string | null; ok: boolean; tokens: number }[];

beforeEach(() => {
  created = [];
  for (const op of OPS) {
    const handler = originals[op]!;
    table[op] = async (ctx, s, body) => {
      const tokens = ((body as { tokens?: string[] }).tokens ?? []).length;
      try {
        const result = await handler(ctx, s, body);
        created.push({ op, account: s.account?.id ?? null, ok: true, tokens });
        return result;
      } catch (error) {
        created.push({ op, account: s.account?.id ?? null, ok: false, tokens });
        throw error;
      }
    };
  }
});

let world: TestWorld;
beforeEach(async () => {
  world = await createWorld();
});
afterEach(async () => {
  await world.close();
  Object.assign(table, originals);
});

/** alice and bob have exchanged delivery keys: alice's sends to bob go without identity. */
async function contacts(): Promise<{ alice: Engine; bob: Engine }> {
  const alice = await world.create('alice');
  const bob = await world.create('bob');
  await alice.sendText('bob', 'hi bob');
  await bob.sync();
  await bob.sendText('alice', 'hi alice');
  await alice.sync();
  return { alice, bob };
}

/** Sends `bytes` from alice to bob and checks bob saves exactly them. */
async function sendFile(alice: Engine, bob: Engine, bytes: Buffer): Promise<void> {
  const file = join(world.root, `f-${randomBytes(4).toString('hex')}.bin`);
  writeFileSync(file, bytes);
  const sent = await alice.sendText('bob', 'a file', { file });
  await bob.sync();
  const received = (await bob.messages('alice')).find((m) => m.id === sent.id)!;
  const out = `${file}.saved`;
  await bob.saveAttachment(received.id, received.attachments[0]!.id, out);
  expect(readFileSync(out).equals(bytes)).toBe(true);
}

/** Wraps a token source to count what it hands out and gets back. */
function counted(source: TokenSource) {
  const c = { taken: 0, restored: 0 };
  const wrapped: TokenSource = {
    take: async (n) => {
      const t = await source.take(n);
      c.taken += t.length;
      return t;
    },
    restore: (t) => {
      c.restored += t.length;
      source.restore?.(t);
    },
  };
  return { c, wrapped };
}

describe('an attachment between contacts', () => {
  it('is created without identity, paying one token per started MiB of ciphertext', async () => {
    const { alice, bob } = await contacts();
    await sendFile(alice, bob, randomBytes(1024 * 1024 + 10));
    expect(created).toEqual([{ op: 'attachment.createSealed', account: null, ok: true, tokens: 2 }]);
    expect(alice.uploadRoutes()).toEqual({ sealed: 1, authenticated: 0 });
  });

  it('without tokens is created on the account connection, as before', async () => {
    const { alice, bob } = await contacts();
    alice.useTokens(null);
    await sendFile(alice, bob, randomBytes(5000));
    expect(created).toEqual([{ op: 'attachment.create', account: alice.accountId, ok: true, tokens: 0 }]);
    expect(alice.uploadRoutes()).toEqual({ sealed: 0, authenticated: 1 });
  });

  it('to a stranger (no delivery key) spends no token on it', async () => {
    const alice = await world.create('alice');
    const bob = await world.create('bob');
    await sendFile(alice, bob, randomBytes(5000));
    expect(created.map((r) => r.op)).toEqual(['attachment.create']);
    expect(alice.uploadRoutes()).toEqual({ sealed: 0, authenticated: 1 });
  });

  it('on a relay without attachment.createSealed falls back, and its tokens go back to the wallet', async () => {
    const { alice, bob } = await contacts();
    // What a relay of before this op answers: the op is not in its table.
    table['attachment.createSealed'] = async (_ctx, s) => {
      created.push({ op: 'attachment.createSealed', account: s.account?.id ?? null, ok: false, tokens: 1 });
      throw new WispError('InvalidInput', 'malformed request: unknown op');
    };
    const wallet = alice.useTokens(null)!;
    const { c, wrapped } = counted(wallet);
    alice.useTokens(wrapped);
    const sealedBefore = alice.sendRoutes().sealed;
    await sendFile(alice, bob, randomBytes(5000));
    expect(created.map((r) => [r.op, r.ok])).toEqual([
      ['attachment.createSealed', false],
      ['attachment.create', true],
    ]);
    expect(alice.uploadRoutes()).toEqual({ sealed: 0, authenticated: 1 });
    // The message itself still went without identity; the refused attachment's token came back.
    expect(alice.sendRoutes().sealed).toBeGreaterThan(sealedBefore);
    expect(c.restored).toBe(1);
  });

  it('with tokens the relay refuses falls back; the refused tokens are not handed back', async () => {
    const { alice, bob } = await contacts();
    const junk = () => randomBytes(2 + 32 + 32 + 32 + 256);
    const restored: Uint8Array[] = [];
    alice.useTokens({
      take: async (n) => Array.from({ length: n }, junk),
      restore: (t) => void restored.push(...t),
    });
    await sendFile(alice, bob, randomBytes(5000));
    expect(created.map((r) => [r.op, r.ok])).toEqual([
      ['attachment.createSealed', false],
      ['attachment.create', true],
    ]);
    expect(alice.uploadRoutes()).toEqual({ sealed: 0, authenticated: 1 });
    expect(restored.length).toBe(0);
  });
});
