// Turns the CLI's common options (--profile, --keystore, WISP_PASSPHRASE) into an open engine.
// There is no silent fallback from the keychain: its error names the passphrase option.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { WispError } from '../common/errors';
import { Engine, type EngineApi } from '../core/engine';
import { checkRelayUrl } from '../core/relayClient/relayClient';
import { keyStoreFor, type KeyStore } from '../core/vault';
import type { Values } from './commands';

export function profileDirOf(values: Values): string {
  const given = typeof values.profile === 'string' ? values.profile : process.env.WISP_PROFILE;
  return resolve(given && given.length > 0 ? given : 'profiles/default');
}

export function keyStoreOf(values: Values): KeyStore {
  const choice = typeof values.keystore === 'string' ? values.keystore : 'keychain';
  if (choice === 'keychain') return keyStoreFor({ kind: 'keychain' });
  if (choice === 'passphrase') {
    const passphrase = process.env.WISP_PASSPHRASE;
    if (passphrase === undefined || passphrase.length === 0) {
      throw new WispError('InvalidInput', '--keystore passphrase needs the passphrase in WISP_PASSPHRASE', {
        recovery: 'Set WISP_PASSPHRASE in the environment.',
      });
    }
    return keyStoreFor({ kind: 'passphrase', passphrase });
  }
  throw new WispError('InvalidInput', '--keystore must be keychain or passphrase');
}

export async function createEngine(
  values: Values,
  relayUrl: string,
  username: string | undefined,
): Promise<EngineApi> {
  checkRelayUrl(relayUrl); // a bad or remote ws:// address fails before any profile is made
  const profileDir = profileDirOf(values);
  return Engine.create({
    profileDir,
    keystore: keyStoreOf(values),
    relayUrl,
    ...(username === undefined ? {} : { username }),
  });
}

export async function openEngine(values: Values): Promise<EngineApi> {
  const profileDir = profileDirOf(values);
  if (!existsSync(profileDir)) {
    throw new WispError('ProfileNotFound', `no profile at ${profileDir}`, {
      recovery: 'Create one with `wisp init --relay ws://HOST:PORT --username NAME`, or pass --profile DIR.',
    });
  }
  return Engine.open({ profileDir, keystore: keyStoreOf(values) });
}
