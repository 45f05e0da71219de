// A new account: the profile on disk, the identity, the relay registration and the optional
// username, written only once the relay has said yes. A failure anywhere leaves no half profile.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ATTACHMENTS_DIR, DATABASE_FILE, METADATA_FILE, createProfile, type Profile } from '../profile';
import { RelayClient } from '../relayClient/relayClient';
import { RelayRoute, type ProxyAddress } from '../relayClient/relayRoute';
import { DEVICE_ID, newIdentity, newRegistrationId } from './signalCrypto';
import type { EngineCreateOptions } from './index';

/** What the engine is built from once the relay account exists (its connection still open). */
export interface NewAccount {
  profile: Profile;
  relay: RelayClient;
}

/**
 * Creates the profile and the relay account, then runs `finish` (the engine's first prekey upload)
 * with the registering connection still open. If any step throws, the profile is closed and removed
 * (a failed init — relay down, name taken — must not block a retry), and the error is rethrown.
 */
export async function createAccount<T>(
  options: EngineCreateOptions,
  proxy: ProxyAddress | null,
  clock: () => number,
  finish: (account: NewAccount) => Promise<T>,
): Promise<T> {
  const route = new RelayRoute(options.relayUrl, proxy);
  const existedBefore = existsSync(options.profileDir);
  const profile = await createProfile(options.profileDir, options.keystore);
  try {
    const identity = newIdentity();
    const registrationId = newRegistrationId();
    const relay = new RelayClient({
      url: route,
      accountId: null,
      sign: (m) => identity.privateKey.sign(m),
      reconnect: false,
    });
    try {
      await relay.connect();
      const info = await relay.request('server.info', {});
      const accountId = await relay.register(identity.publicKey.serialize(), registrationId);
      let username: string | null = null;
      if (options.username !== undefined) {
        username = (await relay.request('username.set', { username: options.username })).username;
      }
      profile.store.identity.create({
        accountId,
        deviceId: DEVICE_ID,
        username,
        identityKeyPair: Buffer.from(identity.serialize()),
        registrationId,
        relayUrl: options.relayUrl,
        trustRoot: Buffer.from(info.trustRoot, 'base64'),
        createdAt: clock(),
      });
      return await finish({ profile, relay });
    } finally {
      await relay.close();
    }
  } catch (error) {
    profile.close();
    await removeHalfProfile(options.profileDir, existedBefore);
    throw error;
  }
}

async function removeHalfProfile(dir: string, existedBefore: boolean): Promise<void> {
  if (!existedBefore) {
    await rm(dir, { recursive: true, force: true });
    return;
  }
  for (const name of [
    METADATA_FILE,
    DATABASE_FILE,
    `${DATABASE_FILE}-wal`,
    `${DATABASE_FILE}-shm`,
    ATTACHMENTS_DIR,
  ]) {
    await rm(join(dir, name), { recursive: true, force: true });
  }
}
