// A stranger's way to make a victim reset a session: a sealed envelope that opens (valid sender
// certificate, addressed to the victim's identity) around a well-formed pairwise message the victim
// has no session for. And a count of the bundle fetches that resets cost, as a proxy saw them.
import {
  Aci,
  CiphertextMessageType,
  ContentHint,
  PreKeySignalMessage,
  ProtocolAddress,
  PublicKey,
  UnidentifiedSenderMessageContent,
  sealedSenderEncrypt,
  signalDecryptPreKey,
  signalEncrypt,
  type CiphertextMessage,
} from '@signalapp/libsignal-client';
import type { TamperProxy } from './tamperProxy';
import { SignalUser } from '../relay/signalUser';

const utf8 = (s: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(s, 'utf8'));

/**
 * A well-formed pairwise (Whisper) message between two throwaway accounts on the relay at
 * `relayUrl`. Wrapped in a stranger's sealed envelope to a victim it opens, names the stranger, and
 * cannot decrypt: the victim has no session with them, which is what a session reset is for.
 */
export async function whisperTemplate(relayUrl: string): Promise<CiphertextMessage> {
  const a = await SignalUser.register(relayUrl);
  const b = await SignalUser.register(relayUrl);
  await a.startSession(b.accountId);
  const first = await signalEncrypt(
    utf8('x'),
    b.address,
    a.address,
    a.stores.session,
    a.stores.identityStore,
  );
  await signalDecryptPreKey(
    PreKeySignalMessage.deserialize(first.serialize()),
    a.address,
    b.address,
    b.stores.session,
    b.stores.identityStore,
    b.stores.preKey,
    b.stores.signed,
    b.stores.kyber,
  );
  const reply = await signalEncrypt(
    utf8('y'),
    a.address,
    b.address,
    b.stores.session,
    b.stores.identityStore,
  );
  await a.client.close();
  await b.client.close();
  if (reply.type() !== (CiphertextMessageType.Whisper as number))
    throw new Error('expected a Whisper message');
  return reply;
}

export interface Victim {
  accountId: string;
  address: ProtocolAddress;
  identityKey: PublicKey;
}

/** The victim as any relay user can learn it: a username lookup. */
export async function victimNamed(username: string, asker: SignalUser): Promise<Victim> {
  const found = await asker.client.call('username.lookup', { username });
  return {
    accountId: found.accountId,
    address: ProtocolAddress.new(Aci.fromUuid(found.accountId), 1),
    identityKey: PublicKey.deserialize(new Uint8Array(Buffer.from(found.identityKey, 'base64'))),
  };
}

/** `stranger` sends the victim one sealed envelope whose inner message does not decrypt. */
export async function sendUndecryptable(
  stranger: SignalUser,
  victim: Victim,
  inner: CiphertextMessage,
): Promise<void> {
  await stranger.stores.identityStore.saveIdentity(victim.address, victim.identityKey);
  const usmc = UnidentifiedSenderMessageContent.new(
    inner,
    await stranger.senderCertificate(),
    ContentHint.Default,
    null,
  );
  const payload = await sealedSenderEncrypt(usmc, victim.address, stranger.stores.identityStore);
  await stranger.client.call('message.send', {
    to: victim.accountId,
    payload: Buffer.from(payload).toString('base64'),
  });
}

/** Bundle fetches the client behind `proxy` made for any of `accounts`. */
export function bundleFetches(proxy: TamperProxy, accounts: readonly string[]): number {
  return proxy.clientFrames
    .map((f) => JSON.parse(f) as { op?: string; body?: { accountId?: string } })
    .filter((f) => f.op === 'prekeys.bundle' && accounts.includes(f.body?.accountId ?? '')).length;
}
