// The engine's own-account operations on real profiles and a real relay: deleting the account
// shreds the profile and its keychain entry only after the relay confirmed; moving the database
// key to another key store (a new passphrase, keychain → passphrase) proves the old one first.
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../core/engine';
import { readMetadata } from '../../../core/profile';
import { KeychainKeyStore, PassphraseKeyStore, loadKeytar, newDatabaseKey } from '../../../core/vault';
import { kindOf } from '../../helpers/errors';
import { FAST_SCRYPT } from '../../helpers/store/tempProfile';
import { createWorld, testKeyStore, type TestWorld } from '../../helpers/engine/fixtures';

const SERVICE = `wisp-test-${randomUUID()}`;
const keychain = new KeychainKeyStore({ service: SERVICE });
async function keychainMissing(): Promise<string | null> {
  try {
    await keychain.discard(await keychain.seal('probe', newDatabaseKey()));
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
const unavailable = await keychainMissing();
const passphrase = (p: string) => new PassphraseKeyStore(p, { scrypt: FAST_SCRYPT });

let world: TestWorld;
beforeAll(async () => {
  world = await createWorld();
});
afterAll(async () => {
  await world.close();
});

describe('deleting the account', () => {
  it('unregisters at the relay, then removes the profile folder; the name is free again', async () => {
    const name = `del${randomUUID().slice(0, 8)}`;
    const gone = await world.create(name);
    const peer = await world.create(`peer${randomUUID().slice(0, 8)}`);
    expect((await peer.lookup(name)).accountId).toBe(gone.accountId);
    await gone.deleteAccount();
    expect(existsSync(world.profileDir(name))).toBe(false);
    // The peer's own cached contact aside, the relay no longer knows the name.
    const fresh = await world.create(name);
    expect(fresh.accountId).not.toBe(gone.accountId);
    await fresh.close();
    await peer.close();
  });

  it('wipes nothing when the relay cannot confirm the deletion', async () => {
    const name = `keep${randomUUID().slice(0, 8)}`;
    const kept = await world.create(name);
    await world.stopRelay();
    try {
      expect(await kindOf(kept.deleteAccount())).toBe('RelayUnavailable');
    } finally {
      await world.restartRelay();
    }
    await kept.close();
    expect(readdirSync(world.profileDir(name))).toContain('wisp.db');
    const reopened = await world.open(name);
    expect(reopened.accountId).toBe(kept.accountId);
    await reopened.close();
  });
});

describe('moving the database key to another key store', () => {
  it('changes the passphrase only with the current one, and then opens with the new one alone', async () => {
    const name = `pp${randomUUID().slice(0, 8)}`;
    const engine = await world.create(name);
    expect(
      await kindOf(engine.changeKeyStore(passphrase('the new passphrase'), passphrase('not the old one'))),
    ).toBe('WrongPassphrase');
    await engine.changeKeyStore(passphrase('the new passphrase'), testKeyStore());
    await engine.close();
    const dir = world.profileDir(name);
    expect(await kindOf(Engine.open({ profileDir: dir, keystore: testKeyStore() }))).toBe('WrongPassphrase');
    const reopened = await Engine.open({ profileDir: dir, keystore: passphrase('the new passphrase') });
    expect(reopened.accountId).toBe(engine.accountId);
    await reopened.close();
  });

  describe.skipIf(unavailable !== null)(
    `with a real keyring${unavailable === null ? '' : ` [skipped: ${unavailable}]`}`,
    () => {
      it('moves a keychain profile to a passphrase and removes the keychain entry', async () => {
        const dir = world.profileDir(`kc${randomUUID().slice(0, 8)}`);
        const engine = await Engine.create({ profileDir: dir, keystore: keychain, relayUrl: world.relayUrl });
        const before = readMetadata(dir).key;
        expect(before.kind).toBe('keychain');
        await engine.changeKeyStore(passphrase('now a passphrase'));
        await engine.close();
        const keytar = await loadKeytar();
        const account = (before as { account: string }).account;
        expect(await keytar.getPassword(SERVICE, account)).toBeNull();
        expect(readMetadata(dir).key.kind).toBe('passphrase');
        const reopened = await Engine.open({ profileDir: dir, keystore: passphrase('now a passphrase') });
        await reopened.deleteAccount();
      });

      it("deletes a keychain profile's keychain entry with the folder", async () => {
        const dir = world.profileDir(`kd${randomUUID().slice(0, 8)}`);
        const engine = await Engine.create({ profileDir: dir, keystore: keychain, relayUrl: world.relayUrl });
        const sealed = readMetadata(dir).key as { account: string };
        const keytar = await loadKeytar();
        expect(await keytar.getPassword(SERVICE, sealed.account)).not.toBeNull();
        await engine.deleteAccount();
        expect(await keytar.getPassword(SERVICE, sealed.account)).toBeNull();
        expect(existsSync(dir)).toBe(false);
      });
    },
  );
});
