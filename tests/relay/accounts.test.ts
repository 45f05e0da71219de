// Accounts and authentication: random ids, challenge signatures with the identity key (wrong and
// replayed ones refused), usernames (case-insensitive, unique, change, release, lookup).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityKeyPair } from '@signalapp/libsignal-client';
import { startRelay, type RunningRelay } from '../../relay';
import { SIGNING_CONTEXT } from '../../common/wire';
import { SignalUser, bytes } from '../helpers/relay/signalUser';
import { WireClient, WireCallError } from '../helpers/relay/wireClient';

let relay: RunningRelay;
beforeAll(async () => {
  relay = await startRelay({ port: 0, logger: false });
});
afterAll(async () => {
  await relay.close();
});

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof WireCallError) return e.kind;
    throw e;
  }
}

/** A registered user, and a new anonymous connection holding a fresh auth challenge. */
async function challenged() {
  const a = await SignalUser.register(relay.url);
  const c = await WireClient.connect(relay.url);
  const { nonce } = await c.call('auth.challenge', {});
  return { a, c, nonce };
}

describe('registration and authentication', () => {
  it('assigns each registration a distinct random v4 UUID', async () => {
    const a = await SignalUser.register(relay.url);
    const b = await SignalUser.register(relay.url);
    expect(a.accountId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.accountId).not.toBe(b.accountId);
    await a.client.close();
    await b.client.close();
  });

  it('authenticates a new connection with a signed challenge', async () => {
    const a = await SignalUser.register(relay.url);
    const c = await a.reconnect(relay.url);
    const info = await c.call('account.info', {});
    expect(info.accountId).toBe(a.accountId);
    expect(info.createdOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await c.close();
  });

  it('refuses a signature made by another identity key', async () => {
    const { a, c, nonce } = await challenged();
    const other = IdentityKeyPair.generate();
    const sig = other.privateKey.sign(
      Buffer.concat([Buffer.from(SIGNING_CONTEXT.auth), bytes(nonce), Buffer.from(a.accountId)]),
    );
    expect(await kindOf(c.call('auth', { accountId: a.accountId, nonce, signature: b64(sig) }))).toBe(
      'Unauthorized',
    );
    expect(await kindOf(c.call('account.info', {}))).toBe('Unauthorized');
    await c.close();
    await a.client.close();
  });

  it('refuses a replayed auth message, on the same and on another connection', async () => {
    const { a, c: c1, nonce } = await challenged();
    const body = a.authBody(nonce);
    expect(await kindOf(c1.call('auth', body))).toBe('ok');
    // Same connection, same nonce: it was consumed.
    const c2 = await WireClient.connect(relay.url);
    expect(await kindOf(c2.call('auth', body))).toBe('Unauthorized');
    // Another connection with its own fresh challenge: the old signature is for the old nonce.
    await c2.call('auth.challenge', {});
    expect(await kindOf(c2.call('auth', body))).toBe('Unauthorized');
    await c1.close();
    await c2.close();
    await a.client.close();
  });

  it('consumes a challenge on a failed attempt, so a correct retry needs a new one', async () => {
    const { a, c, nonce } = await challenged();
    const good = a.authBody(nonce);
    expect(await kindOf(c.call('auth', { ...good, signature: b64(new Uint8Array(64)) }))).toBe(
      'Unauthorized',
    );
    expect(await kindOf(c.call('auth', good))).toBe('Unauthorized');
    await c.close();
    await a.client.close();
  });

  it('refuses registration whose signature does not match the identity key', async () => {
    const c = await WireClient.connect(relay.url);
    const { nonce } = await c.call('auth.challenge', {});
    const id = IdentityKeyPair.generate();
    const wrong = IdentityKeyPair.generate().privateKey.sign(
      Buffer.concat([Buffer.from(SIGNING_CONTEXT.register), bytes(nonce)]),
    );
    const res = c.call('register', {
      identityKey: b64(id.publicKey.serialize()),
      registrationId: 7,
      nonce,
      signature: b64(wrong),
    });
    expect(await kindOf(res)).toBe('Unauthorized');
    await c.close();
  });

  it('refuses ops that need authentication on an anonymous connection', async () => {
    const c = await WireClient.connect(relay.url);
    for (const op of ['account.info', 'certificate.sender', 'prekeys.count'] as const) {
      expect(await kindOf(c.call(op, {}))).toBe('Unauthorized');
    }
    await c.close();
  });
});

describe('usernames', () => {
  it('sets, looks up case-insensitively, refuses duplicates, changes and releases', async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const alice = await SignalUser.register(relay.url);
    const bob = await SignalUser.register(relay.url);
    expect((await alice.client.call('username.set', { username: `Alice.${suffix}` })).username).toBe(
      `alice.${suffix}`,
    );

    const found = await bob.client.call('username.lookup', { username: `ALICE.${suffix}` });
    expect(found.accountId).toBe(alice.accountId);
    expect(found.identityKey).toBe(b64(alice.identity.publicKey.serialize()));
    expect(found.registrationId).toBe(alice.registrationId);

    expect(await kindOf(bob.client.call('username.set', { username: `alice.${suffix.toUpperCase()}` }))).toBe(
      'UsernameTaken',
    );

    // Changing frees the old name.
    await alice.client.call('username.set', { username: `al_${suffix}` });
    expect(await kindOf(bob.client.call('username.lookup', { username: `alice.${suffix}` }))).toBe(
      'NotFound',
    );
    expect((await bob.client.call('username.set', { username: `alice.${suffix}` })).username).toBe(
      `alice.${suffix}`,
    );

    await alice.client.call('username.release', {});
    expect(await kindOf(bob.client.call('username.lookup', { username: `al_${suffix}` }))).toBe('NotFound');
    expect((await alice.client.call('account.info', {})).username).toBeNull();
    await alice.client.close();
    await bob.client.close();
  });

  it('rejects usernames outside 3–32 of a-z 0-9 _ .', async () => {
    const a = await SignalUser.register(relay.url);
    for (const username of ['ab', 'x'.repeat(33), 'has space', 'émile', 'semi;colon']) {
      expect(await kindOf(a.client.call('username.set', { username }))).toBe('InvalidInput');
    }
    await a.client.close();
  });
});
