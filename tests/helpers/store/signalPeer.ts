// A libsignal participant on a real profile: identity, prekeys (one-time, signed, Kyber), a
// prekey bundle, and 1:1 encrypt/decrypt through the database-backed stores.
import { randomInt, randomUUID } from 'node:crypto';
import {
  CiphertextMessageType,
  IdentityKeyPair,
  KEMKeyPair,
  KyberPreKeyRecord,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PrivateKey,
  ProtocolAddress,
  SignalMessage,
  SignedPreKeyRecord,
  processPreKeyBundle,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
} from '@signalapp/libsignal-client';
import type { Profile } from '../../../core/profile/index';
import { signalStoresFor, type SignalStores } from '../../../core/signal/index';

export interface Envelope {
  readonly type: CiphertextMessageType;
  readonly body: Uint8Array<ArrayBuffer>;
}

export class SignalPeer {
  readonly stores: SignalStores;
  readonly address: ProtocolAddress;

  constructor(readonly profile: Profile) {
    this.stores = signalStoresFor(profile.store);
    this.address = ProtocolAddress.new(profile.store.identity.require().accountId, 1);
  }

  get accountId(): string {
    return this.address.name();
  }

  /** Creates the identity in a fresh profile. */
  static initIdentity(profile: Profile): void {
    const keyPair = IdentityKeyPair.generate();
    profile.store.identity.create({
      accountId: randomUUID(),
      deviceId: 1,
      username: null,
      identityKeyPair: Buffer.from(keyPair.serialize()),
      registrationId: randomInt(1, 16380),
      relayUrl: 'ws://127.0.0.1:0',
      trustRoot: null,
    });
  }

  /** Generates and stores one of each prekey, signed by the identity key, and returns the bundle. */
  async bundle(
    ids: { preKey: number; signed: number; kyber: number },
    options: { kyberLastResort?: boolean } = {},
  ): Promise<PreKeyBundle> {
    const identity = await this.stores.identity.getIdentityKeyPair();
    const preKey = PrivateKey.generate();
    await this.stores.preKey.savePreKey(
      ids.preKey,
      PreKeyRecord.new(ids.preKey, preKey.getPublicKey(), preKey),
    );
    const signed = PrivateKey.generate();
    const signedSignature = identity.privateKey.sign(signed.getPublicKey().serialize());
    await this.stores.signedPreKey.saveSignedPreKey(
      ids.signed,
      SignedPreKeyRecord.new(ids.signed, Date.now(), signed.getPublicKey(), signed, signedSignature),
    );
    const kem = KEMKeyPair.generate();
    const kyberSignature = identity.privateKey.sign(kem.getPublicKey().serialize());
    const kyberRecord = KyberPreKeyRecord.new(ids.kyber, Date.now(), kem, kyberSignature);
    if (options.kyberLastResort)
      await this.stores.kyberPreKey.saveLastResortKyberPreKey(ids.kyber, kyberRecord);
    else await this.stores.kyberPreKey.saveKyberPreKey(ids.kyber, kyberRecord);
    return PreKeyBundle.new(
      await this.stores.identity.getLocalRegistrationId(),
      1,
      ids.preKey,
      preKey.getPublicKey(),
      ids.signed,
      signed.getPublicKey(),
      signedSignature,
      identity.publicKey,
      ids.kyber,
      kem.getPublicKey(),
      kyberSignature,
    );
  }

  async startSession(remote: ProtocolAddress, bundle: PreKeyBundle): Promise<void> {
    await processPreKeyBundle(bundle, remote, this.address, this.stores.session, this.stores.identity);
  }

  async encrypt(remote: ProtocolAddress, text: string): Promise<Envelope> {
    const message = await signalEncrypt(
      new TextEncoder().encode(text),
      remote,
      this.address,
      this.stores.session,
      this.stores.identity,
    );
    return { type: message.type() as CiphertextMessageType, body: message.serialize() };
  }

  async decrypt(remote: ProtocolAddress, envelope: Envelope): Promise<string> {
    const { session, identity, preKey, signedPreKey, kyberPreKey } = this.stores;
    const plain =
      envelope.type === CiphertextMessageType.PreKey
        ? await signalDecryptPreKey(
            PreKeySignalMessage.deserialize(envelope.body),
            remote,
            this.address,
            session,
            identity,
            preKey,
            signedPreKey,
            kyberPreKey,
          )
        : await signalDecrypt(
            SignalMessage.deserialize(envelope.body),
            remote,
            this.address,
            session,
            identity,
          );
    return new TextDecoder().decode(plain);
  }
}
