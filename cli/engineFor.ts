// Turns the CLI's common options (--profile, --keystore, the passphrase sources) into an open engine.
// There is no silent fallback from the keychain: its error names the passphrase option. The SOCKS5
// proxy comes from --proxy, else $WISP_PROXY, and is checked before a profile is opened or made.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { WispError } from '../common/errors';
import { Engine, type EngineApi } from '../core/engine';
import { checkRelayUrl } from '../core/relayClient/relayClient';
import { proxyFrom } from '../core/relayClient/relayRoute';
import { keyStoreFor, type KeyStore } from '../core/vault';
import type { Values } from './commands';
import { resolvePassphrase } from './passphrase';

export function profileDirOf(values: Values): string {
  const given = typeof values.profile === 'string' ? values.profile : process.env.WISP_PROFILE;
  return resolve(given && given.length > 0 ? given : 'profiles/default');
}

/**
 * The key store the options name. --passphrase-file/--passphrase-fd alone select the passphrase
 * store; with --keystore keychain they are a contradiction, not something to ignore. `creating`
 * asks a typed passphrase twice.
 */
export async function keyStoreOf(values: Values, creating: boolean): Promise<KeyStore> {
  const file = typeof values['passphrase-file'] === 'string' ? values['passphrase-file'] : undefined;
  const fd = typeof values['passphrase-fd'] === 'string' ? values['passphrase-fd'] : undefined;
  const passphraseGiven = file !== undefined || fd !== undefined;
  const choice =
    typeof values.keystore === 'string' ? values.keystore : passphraseGiven ? 'passphrase' : 'keychain';
  if (choice === 'keychain') {
    if (passphraseGiven) {
      throw new WispError(
        'InvalidInput',
        '--passphrase-file and --passphrase-fd need --keystore passphrase',
        {
          recovery: 'Drop --keystore keychain, or the passphrase option.',
        },
      );
    }
    return keyStoreFor({ kind: 'keychain' });
  }
  if (choice === 'passphrase') {
    const passphrase = await resolvePassphrase({
      file,
      fd,
      env: process.env.WISP_PASSPHRASE,
      confirm: creating,
    });
    return keyStoreFor({ kind: 'passphrase', passphrase });
  }
  throw new WispError('InvalidInput', '--keystore must be keychain or passphrase');
}

/**
 * The proxy for this run: --proxy wins over $WISP_PROXY; an empty value means a direct connection.
 * Validated here, so a typo fails before anything opens (and nothing goes out directly instead).
 */
export function proxyOf(values: Values): string | null {
  const given = typeof values.proxy === 'string' ? values.proxy : process.env.WISP_PROXY;
  const proxy = given === undefined || given === '' ? null : given;
  proxyFrom(proxy);
  return proxy;
}

export async function createEngine(
  values: Values,
  relayUrl: string,
  username: string | undefined,
): Promise<EngineApi> {
  checkRelayUrl(relayUrl); // a bad or remote ws:// address fails before any profile is made
  const proxy = proxyOf(values);
  const profileDir = profileDirOf(values);
  return Engine.create({
    profileDir,
    keystore: await keyStoreOf(values, true),
    relayUrl,
    proxy,
    ...(username === undefined ? {} : { username }),
  });
}

export async function openEngine(values: Values): Promise<EngineApi> {
  const proxy = proxyOf(values);
  const profileDir = profileDirOf(values);
  if (!existsSync(profileDir)) {
    throw new WispError('ProfileNotFound', `no profile at ${profileDir}`, {
      recovery: 'Create one with `wisp init --relay wss://HOST --username NAME`, or pass --profile DIR.',
    });
  }
  return Engine.open({ profileDir, keystore: await keyStoreOf(values, false), proxy });
}
