// The engine's use of libsignal: prekey generation, PQXDH session set-up from a relay bundle,
// sealed-sender encryption for 1:1 and rooms (sender keys), and sealed-sender decryption with the
// certificate checked against the relay's pinned trust root. No storage or network here.
import { randomInt } from 'node:crypto';
import {
  CiphertextMessageType,
  ErrorCode,
  LibSignalErrorBase,
  ContentHint,
  groupDecrypt,
  groupEncrypt,
  IdentityKeyPair,
  KEMKeyPair,
  KEMPublicKey,
  KyberPreKeyRecord,
  PreKeyBundle,
  PreKeyRecord,
  PreKeySignalMessage,
  PrivateKey,
  processPreKeyBundle,
  ProtocolAddress,
  PublicKey,
  sealedSenderDecryptToUsmc,
  sealedSenderEncrypt,
  sealedSenderMultiRecipientEncrypt,
  SenderCertificate,
  SenderKeyDistributionMessage,
  processSenderKeyDistributionMessage,
  signalDecrypt,
  signalDecryptPreKey,
  signalEncrypt,
  SignalMessage,
  SignedPreKeyRecord,
  UnidentifiedSenderMessageContent,
  type IdentityKeyStore,
  type KyberPreKeyStore,
  type PreKeyStore,
  type SenderKeyStore,
  type SessionStore,
  type SignedPreKeyStore,
} from '@signalapp/libsignal-client';
import { WispError } from '../../common/errors';
import type { OpBody, OpResult } from '../../common/wire';

/** Every account has exactly one device. */
export const DEVICE_ID = 1;

export interface SignalStores {
  session: SessionStore;
  identity: IdentityKeyStore;
  preKey: PreKeyStore;
  signedPreKey: SignedPreKeyStore;
  kyberPreKey: KyberPreKeyStore;
  senderKey: SenderKeyStore;
}

export function addressOf(accountId: string): ProtocolAddress {
  return ProtocolAddress.new(accountId, DEVICE_ID);
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const fromB64 = (text: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(text, 'base64'));

/** The highest registration id: Signal's generators stay in 1..16380, as the store's CHECK does. */
export const MAX_REGISTRATION_ID = 16380;

export function newRegistrationId(): number {
  return randomInt(1, MAX_REGISTRATION_ID + 1);
}

export function newIdentity(): IdentityKeyPair {
  return IdentityKeyPair.generate();
}

export interface GeneratedPreKeys {
  upload: OpBody<'prekeys.upload'>;
  /** Persist these before uploading, so a key the relay hands out is always known locally. */
  preKeys: PreKeyRecord[];
  kyberPreKeys: KyberPreKeyRecord[];
  signedPreKey: SignedPreKeyRecord | null;
  lastResortKyberPreKey: KyberPreKeyRecord | null;
}

/**
 * One-time EC and Kyber prekeys with ids from `firstId` on; with `withSigned`, also a new signed
 * prekey and a last-resort Kyber key (ids `firstId + count` and `+1`). Ids wrap inside 24 bits.
 */
export function generatePreKeys(
  identity: PrivateKey,
  firstId: number,
  count: number,
  withSigned: boolean,
  now: number,
): GeneratedPreKeys {
  const idAt = (i: number): number => 1 + ((firstId - 1 + i) % 0xfffffe);
  const preKeys: PreKeyRecord[] = [];
  const kyberPreKeys: KyberPreKeyRecord[] = [];
  for (let i = 0; i < count; i++) {
    const priv = PrivateKey.generate();
    preKeys.push(PreKeyRecord.new(idAt(i), priv.getPublicKey(), priv));
    const kem = KEMKeyPair.generate();
    kyberPreKeys.push(
      KyberPreKeyRecord.new(idAt(i), now, kem, identity.sign(kem.getPublicKey().serialize())),
    );
  }
  let signedPreKey: SignedPreKeyRecord | null = null;
  let lastResortKyberPreKey: KyberPreKeyRecord | null = null;
  if (withSigned) {
    const priv = PrivateKey.generate();
    const pub = priv.getPublicKey();
    signedPreKey = SignedPreKeyRecord.new(idAt(count), now, pub, priv, identity.sign(pub.serialize()));
    const kem = KEMKeyPair.generate();
    lastResortKyberPreKey = KyberPreKeyRecord.new(
      idAt(count + 1),
      now,
      kem,
      identity.sign(kem.getPublicKey().serialize()),
    );
  }
  const upload: OpBody<'prekeys.upload'> = {
    preKeys: preKeys.map((r) => ({ keyId: r.id(), publicKey: b64(r.publicKey().serialize()) })),
    kyberPreKeys: kyberPreKeys.map((r) => ({
      keyId: r.id(),
      publicKey: b64(r.publicKey().serialize()),
      signature: b64(r.signature()),
    })),
  };
  if (signedPreKey) {
    upload.signedPreKey = {
      keyId: signedPreKey.id(),
      publicKey: b64(signedPreKey.publicKey().serialize()),
      signature: b64(signedPreKey.signature()),
    };
  }
  if (lastResortKyberPreKey) {
    upload.lastResortKyberPreKey = {
      keyId: lastResortKyberPreKey.id(),
      publicKey: b64(lastResortKyberPreKey.publicKey().serialize()),
      signature: b64(lastResortKyberPreKey.signature()),
    };
  }
  return { upload, preKeys, kyberPreKeys, signedPreKey, lastResortKyberPreKey };
}

/** libsignal's PreKeyBundle for a bundle as the relay serves it (`prekeys.bundle`). */
export function preKeyBundleFromWire(bundle: OpResult<'prekeys.bundle'>): PreKeyBundle {
  const pre = bundle.preKey;
  return PreKeyBundle.new(
    bundle.registrationId,
    bundle.deviceId,
    pre ? pre.keyId : null,
    pre ? PublicKey.deserialize(fromB64(pre.publicKey)) : null,
    bundle.signedPreKey.keyId,
    PublicKey.deserialize(fromB64(bundle.signedPreKey.publicKey)),
    fromB64(bundle.signedPreKey.signature),
    PublicKey.deserialize(fromB64(bundle.identityKey)),
    bundle.kyberPreKey.keyId,
    KEMPublicKey.deserialize(fromB64(bundle.kyberPreKey.publicKey)),
    fromB64(bundle.kyberPreKey.signature),
  );
}

/** Starts a PQXDH session with a bundle fetched from the relay (signatures are checked by libsignal). */
export async function startSession(
  bundle: OpResult<'prekeys.bundle'>,
  localAccountId: string,
  stores: SignalStores,
  now: number,
): Promise<void> {
  const libBundle = preKeyBundleFromWire(bundle);
  try {
    await processPreKeyBundle(
      libBundle,
      addressOf(bundle.accountId),
      addressOf(localAccountId),
      stores.session,
      stores.identity,
      new Date(now),
    );
  } catch (cause) {
    throw new WispError('DecryptionFailed', "the contact's prekey bundle is invalid", { cause });
  }
}

export async function hasSession(accountId: string, stores: SignalStores, now: number): Promise<boolean> {
  const record = await stores.session.getSession(addressOf(accountId));
  return record !== null && record.hasCurrentState(new Date(now));
}

/** 1:1 sealed sender: the relay learns only the recipient. */
export async function sealTo(
  plaintext: Uint8Array<ArrayBuffer>,
  recipient: string,
  localAccountId: string,
  cert: SenderCertificate,
  stores: SignalStores,
  now: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const address = addressOf(recipient);
  const ciphertext = await signalEncrypt(
    plaintext,
    address,
    addressOf(localAccountId),
    stores.session,
    stores.identity,
    new Date(now),
  );
  const usmc = UnidentifiedSenderMessageContent.new(ciphertext, cert, ContentHint.Default, null);
  return sealedSenderEncrypt(usmc, address, stores.identity);
}

/** The sender-key distribution message for our chain in a room (created on first use). */
export async function senderKeyDistribution(
  localAccountId: string,
  distributionId: string,
  stores: SignalStores,
): Promise<Uint8Array<ArrayBuffer>> {
  const skdm = await SenderKeyDistributionMessage.create(
    addressOf(localAccountId),
    distributionId,
    stores.senderKey,
  );
  return skdm.serialize();
}

export async function processDistribution(
  sender: string,
  distribution: Uint8Array<ArrayBuffer>,
  stores: SignalStores,
): Promise<void> {
  const skdm = SenderKeyDistributionMessage.deserialize(distribution);
  await processSenderKeyDistributionMessage(addressOf(sender), skdm, stores.senderKey);
}

/**
 * A room message: encrypted once with our sender key, then sealed to every member in one
 * multi-recipient sealed-sender message (the relay splits it; it learns recipients, not the sender).
 */
export async function sealToRoom(
  plaintext: Uint8Array<ArrayBuffer>,
  recipients: string[],
  localAccountId: string,
  distributionId: string,
  groupId: Uint8Array<ArrayBuffer>,
  cert: SenderCertificate,
  stores: SignalStores,
): Promise<Uint8Array<ArrayBuffer>> {
  const ciphertext = await groupEncrypt(
    addressOf(localAccountId),
    distributionId,
    stores.senderKey,
    plaintext,
  );
  const usmc = UnidentifiedSenderMessageContent.new(ciphertext, cert, ContentHint.Default, groupId);
  return sealedSenderMultiRecipientEncrypt({
    content: usmc,
    recipients: recipients.map(addressOf),
    identityStore: stores.identity,
    sessionStore: stores.session,
  });
}

/**
 * The outer sealed-sender layer opened and the certificate is valid, but the inner message did not
 * decrypt: the sender is known, which is what a session reset needs.
 */
export class InnerDecryptionError extends WispError {
  readonly sender: string;
  /** True when the session itself is unusable (not a replay of something already decrypted). */
  readonly sessionBroken: boolean;
  constructor(sender: string, sessionBroken: boolean, cause: unknown) {
    super('DecryptionFailed', 'the message could not be decrypted', { cause });
    this.sender = sender;
    this.sessionBroken = sessionBroken;
  }
}

export interface Unsealed {
  sender: string;
  plaintext: Uint8Array<ArrayBuffer>;
  /** Set on room (sender-key) messages. */
  groupId: Uint8Array<ArrayBuffer> | null;
  /** The sender's identity key as certified by the relay. */
  senderKey: PublicKey;
}

/**
 * Checks sender certificates against the pinned trust root. A sender uses one short-lived
 * certificate for every message until it expires, and the same bytes always verify the same way,
 * so the two signature checks (the server certificate by the trust root, the sender certificate by
 * the server key) run once per distinct certificate; its expiry is compared on every message.
 */
export class SenderCertificateChecker {
  /** Certificate bytes (base64) → its expiration, for certificates whose signatures verified. */
  readonly #verified = new Map<string, number>();

  constructor(
    private readonly trustRoot: PublicKey,
    private readonly capacity = 512,
  ) {}

  isValid(cert: SenderCertificate, now: number): boolean {
    const key = Buffer.from(cert.serialize()).toString('base64');
    const expiration = this.#verified.get(key);
    if (expiration !== undefined) return now <= expiration; // libsignal: expired when now > expiration
    if (!cert.validate(this.trustRoot, now)) return false;
    if (this.#verified.size >= this.capacity) {
      const oldest = this.#verified.keys().next().value;
      if (oldest !== undefined) this.#verified.delete(oldest);
    }
    this.#verified.set(key, cert.expiration());
    return true;
  }
}

/**
 * Opens a sealed envelope: outer layer with our identity key, sender certificate against the
 * pinned trust root, then the inner ciphertext with the session (or the sender key for rooms).
 * Any failure is DecryptionFailed; libsignal leaves session state untouched on failure.
 */
export async function unseal(
  payload: Uint8Array<ArrayBuffer>,
  certificates: SenderCertificateChecker,
  localAccountId: string,
  stores: SignalStores,
  now: number,
): Promise<Unsealed> {
  let usmc: UnidentifiedSenderMessageContent;
  try {
    usmc = await sealedSenderDecryptToUsmc(payload, stores.identity);
  } catch (cause) {
    throw new WispError('DecryptionFailed', 'the envelope could not be opened', { cause });
  }
  const cert = usmc.senderCertificate();
  if (!certificates.isValid(cert, now)) {
    throw new WispError('DecryptionFailed', 'the sender certificate is not valid');
  }
  const sender = cert.senderUuid();
  if (sender === localAccountId) {
    throw new WispError('DecryptionFailed', 'an envelope claims to be from ourselves');
  }
  const address = addressOf(sender);
  const local = addressOf(localAccountId);
  let plaintext: Uint8Array<ArrayBuffer>;
  try {
    switch (usmc.msgType() as CiphertextMessageType) {
      case CiphertextMessageType.PreKey:
        plaintext = await signalDecryptPreKey(
          PreKeySignalMessage.deserialize(usmc.contents()),
          address,
          local,
          stores.session,
          stores.identity,
          stores.preKey,
          stores.signedPreKey,
          stores.kyberPreKey,
        );
        break;
      case CiphertextMessageType.Whisper:
        plaintext = await signalDecrypt(
          SignalMessage.deserialize(usmc.contents()),
          address,
          local,
          stores.session,
          stores.identity,
        );
        break;
      case CiphertextMessageType.SenderKey:
        plaintext = await groupDecrypt(address, stores.senderKey, usmc.contents());
        break;
      default:
        throw new WispError('DecryptionFailed', 'unsupported ciphertext type');
    }
  } catch (cause) {
    if (cause instanceof WispError) throw cause;
    const duplicate = cause instanceof LibSignalErrorBase && cause.code === ErrorCode.DuplicatedMessage;
    const pairwise = usmc.msgType() === (CiphertextMessageType.Whisper as number);
    throw new InnerDecryptionError(sender, pairwise && !duplicate, cause);
  }
  // The certificate's key must be the identity the session is with: a valid certificate for one
  // account must not carry messages encrypted by another.
  const known = await stores.identity.getIdentity(address);
  if (known === null || !known.equals(cert.key())) {
    throw new WispError('DecryptionFailed', "the sender certificate does not match the sender's identity");
  }
  return { sender, plaintext, groupId: usmc.groupId(), senderKey: cert.key() };
}

export function parseSenderCertificate(base64: string): SenderCertificate {
  return SenderCertificate.deserialize(fromB64(base64));
}

export { b64, fromB64 };
