// A test user with a real libsignal identity and in-memory protocol stores: registers and
// authenticates against a relay, uploads prekeys, and seals/opens messages with sealed sender.
import {
  Aci,
  CiphertextMessageType,
  ContentHint,
  Direction,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KEMKeyPair,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyRecord,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SenderCertificate,
  SenderKeyDistributionMessage,
  SenderKeyRecord,
  SenderKeyStore,
  SessionRecord,
  SessionStore,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  UnidentifiedSenderMessageContent,
  groupDecrypt,
  groupEncrypt,
  processPreKeyBundle,
  processSenderKeyDistributionMessage,
  sealedSenderDecryptMessage,
  sealedSenderDecryptToUsmc,
  sealedSenderEncryptMessage,
  sealedSenderMultiRecipientEncrypt,
  type Uuid,
} from '@signalapp/libsignal-client';
import { SIGNING_CONTEXT, type AccountId, type OpBody } from '../../../common/wire';
import { preKeyBundleFromWire } from '../../../core/engine/signalCrypto';
import { WireClient } from './wireClient';

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
export const bytes = (s: string): Uint8Array<ArrayBuffer> => {
  const b = Buffer.from(s, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};
const utf8 = (s: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(s, 'utf8'));
const concat = (...parts: Uint8Array[]): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.concat(parts));

class MemoryStores {
  readonly sessions = new Map<string, SessionRecord>();
  readonly identities = new Map<string, PublicKey>();
  readonly preKeys = new Map<number, PreKeyRecord>();
  readonly signedPreKeys = new Map<number, SignedPreKeyRecord>();
  readonly kyberPreKeys = new Map<number, KyberPreKeyRecord>();
  readonly senderKeys = new Map<string, SenderKeyRecord>();
}

function makeStores(identity: IdentityKeyPair, registrationId: number, m: MemoryStores) {
  const session = new (class extends SessionStore {
    async saveSession(name: ProtocolAddress, record: SessionRecord) {
      m.sessions.set(name.toString(), record);
    }
    async getSession(name: ProtocolAddress) {
      return m.sessions.get(name.toString()) ?? null;
    }
    async getExistingSessions(addresses: ProtocolAddress[]) {
      return addresses.map((a) => {
        const s = m.sessions.get(a.toString());
        if (!s) throw new Error(`no session for ${a.toString()}`);
        return s;
      });
    }
  })();
  const identityStore = new (class extends IdentityKeyStore {
    async getIdentityKey() {
      return identity.privateKey;
    }
    async getLocalRegistrationId() {
      return registrationId;
    }
    async saveIdentity(name: ProtocolAddress, key: PublicKey) {
      const old = m.identities.get(name.name());
      m.identities.set(name.name(), key);
      return old && !old.equals(key) ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged;
    }
    async isTrustedIdentity(name: ProtocolAddress, key: PublicKey, _direction: Direction) {
      const old = m.identities.get(name.name());
      return !old || old.equals(key);
    }
    async getIdentity(name: ProtocolAddress) {
      return m.identities.get(name.name()) ?? null;
    }
  })();
  const preKey = new (class extends PreKeyStore {
    async savePreKey(id: number, record: PreKeyRecord) {
      m.preKeys.set(id, record);
    }
    async getPreKey(id: number) {
      const r = m.preKeys.get(id);
      if (!r) throw new Error('no prekey');
      return r;
    }
    async removePreKey(id: number) {
      m.preKeys.delete(id);
    }
  })();
  const signed = new (class extends SignedPreKeyStore {
    async saveSignedPreKey(id: number, record: SignedPreKeyRecord) {
      m.signedPreKeys.set(id, record);
    }
    async getSignedPreKey(id: number) {
      const r = m.signedPreKeys.get(id);
      if (!r) throw new Error('no signed prekey');
      return r;
    }
  })();
  const kyber = new (class extends KyberPreKeyStore {
    async saveKyberPreKey(id: number, record: KyberPreKeyRecord) {
      m.kyberPreKeys.set(id, record);
    }
    async getKyberPreKey(id: number) {
      const r = m.kyberPreKeys.get(id);
      if (!r) throw new Error('no kyber prekey');
      return r;
    }
    async markKyberPreKeyUsed() {}
  })();
  const senderKey = new (class extends SenderKeyStore {
    async saveSenderKey(sender: ProtocolAddress, distributionId: Uuid, record: SenderKeyRecord) {
      m.senderKeys.set(`${sender.toString()}:${String(distributionId)}`, record);
    }
    async getSenderKey(sender: ProtocolAddress, distributionId: Uuid) {
      return m.senderKeys.get(`${sender.toString()}:${String(distributionId)}`) ?? null;
    }
  })();
  return { session, identityStore, preKey, signed, kyber, senderKey };
}

/** Protocol stores in memory for `identity` (a benchmark floor, or a test peer without a relay). */
export function inMemoryStores(identity: IdentityKeyPair, registrationId: number) {
  return makeStores(identity, registrationId, new MemoryStores());
}

export class SignalUser {
  readonly identity = IdentityKeyPair.generate();
  readonly registrationId = 1 + Math.floor(Math.random() * 16000);
  private readonly mem = new MemoryStores();
  readonly stores = makeStores(this.identity, this.registrationId, this.mem);
  accountId!: AccountId;
  client!: WireClient;
  trustRoot!: PublicKey;
  private nextPreKeyId = 1;
  private cert: Promise<SenderCertificate> | null = null;

  /** Connects, registers (challenge signed with the identity key) and uploads prekeys. */
  static async register(
    url: string,
    opts: { username?: string; preKeys?: number; localAddress?: string } = {},
  ): Promise<SignalUser> {
    const user = new SignalUser();
    user.client = await WireClient.connect(url, opts.localAddress ? { localAddress: opts.localAddress } : {});
    const { nonce } = await user.client.call('auth.challenge', {});
    const signature = user.identity.privateKey.sign(concat(utf8(SIGNING_CONTEXT.register), bytes(nonce)));
    const { accountId } = await user.client.call('register', {
      identityKey: b64(user.identity.publicKey.serialize()),
      registrationId: user.registrationId,
      nonce,
      signature: b64(signature),
    });
    user.accountId = accountId;
    user.trustRoot = PublicKey.deserialize(bytes((await user.client.call('server.info', {})).trustRoot));
    if (opts.username) await user.client.call('username.set', { username: opts.username });
    await user.client.call('prekeys.upload', user.makePreKeys(opts.preKeys ?? 2, true));
    return user;
  }

  get address(): ProtocolAddress {
    return ProtocolAddress.new(Aci.fromUuid(this.accountId), 1);
  }

  /** The body of an `auth` request for `nonce` on a fresh connection. */
  authBody(nonce: string): OpBody<'auth'> {
    const sig = this.identity.privateKey.sign(
      concat(utf8(SIGNING_CONTEXT.auth), bytes(nonce), utf8(this.accountId)),
    );
    return { accountId: this.accountId, nonce, signature: b64(sig) };
  }

  /** Opens a new authenticated connection (closing the old one unless keepOld). */
  async reconnect(url: string, keepOld = false): Promise<WireClient> {
    if (!keepOld) await this.client.close();
    const client = await WireClient.connect(url);
    const { nonce } = await client.call('auth.challenge', {});
    await client.call('auth', this.authBody(nonce));
    this.client = client;
    return client;
  }

  /** Prekey upload body with fresh keys (private halves kept in the stores). */
  makePreKeys(count: number, withSignedAndLastResort: boolean): OpBody<'prekeys.upload'> {
    const body: OpBody<'prekeys.upload'> = { preKeys: [], kyberPreKeys: [] };
    if (withSignedAndLastResort) {
      const sk = PrivateKey.generate();
      const id = this.nextPreKeyId++;
      const sig = this.identity.privateKey.sign(sk.getPublicKey().serialize());
      this.mem.signedPreKeys.set(id, SignedPreKeyRecord.new(id, Date.now(), sk.getPublicKey(), sk, sig));
      body.signedPreKey = { keyId: id, publicKey: b64(sk.getPublicKey().serialize()), signature: b64(sig) };
      const kp = KEMKeyPair.generate();
      const kid = this.nextPreKeyId++;
      const ksig = this.identity.privateKey.sign(kp.getPublicKey().serialize());
      this.mem.kyberPreKeys.set(kid, KyberPreKeyRecord.new(kid, Date.now(), kp, ksig));
      body.lastResortKyberPreKey = {
        keyId: kid,
        publicKey: b64(kp.getPublicKey().serialize()),
        signature: b64(ksig),
      };
    }
    for (let i = 0; i < count; i++) {
      const k = PrivateKey.generate();
      const id = this.nextPreKeyId++;
      this.mem.preKeys.set(id, PreKeyRecord.new(id, k.getPublicKey(), k));
      body.preKeys!.push({ keyId: id, publicKey: b64(k.getPublicKey().serialize()) });
      const kp = KEMKeyPair.generate();
      const kid = this.nextPreKeyId++;
      const ksig = this.identity.privateKey.sign(kp.getPublicKey().serialize());
      this.mem.kyberPreKeys.set(kid, KyberPreKeyRecord.new(kid, Date.now(), kp, ksig));
      body.kyberPreKeys!.push({
        keyId: kid,
        publicKey: b64(kp.getPublicKey().serialize()),
        signature: b64(ksig),
      });
    }
    return body;
  }

  /** One certificate request however many seals run at once. */
  senderCertificate(): Promise<SenderCertificate> {
    this.cert ??= this.client
      .call('certificate.sender', {})
      .then((r) => SenderCertificate.deserialize(bytes(r.certificate)));
    return this.cert;
  }

  /**
   * Fetches the peer's bundle from the relay and starts a PQXDH session, filed under `asAccount`
   * when given (tests use that to address an account the relay does not know).
   */
  async startSession(peer: AccountId, asAccount: string = peer): Promise<void> {
    const bundle = preKeyBundleFromWire(await this.client.call('prekeys.bundle', { accountId: peer }));
    const address = ProtocolAddress.new(Aci.fromUuid(asAccount), 1);
    await processPreKeyBundle(bundle, address, this.address, this.stores.session, this.stores.identityStore);
  }

  /** Sealed sender v1 ciphertext of `text` for `peer` (session must exist), base64. */
  async seal(peer: AccountId, text: string): Promise<string> {
    const address = ProtocolAddress.new(Aci.fromUuid(peer), 1);
    const ct = await sealedSenderEncryptMessage(
      utf8(text),
      address,
      await this.senderCertificate(),
      this.stores.session,
      this.stores.identityStore,
    );
    return b64(ct);
  }

  /** Decrypts a sealed sender v1 envelope: the sender comes only from inside the ciphertext. */
  async open(payloadB64: string): Promise<{ sender: string; text: string }> {
    const r = await sealedSenderDecryptMessage(
      bytes(payloadB64),
      this.trustRoot,
      Date.now(),
      null,
      this.accountId,
      1,
      this.stores.session,
      this.stores.identityStore,
      this.stores.preKey,
      this.stores.signed,
      this.stores.kyber,
    );
    return { sender: r.senderUuid(), text: Buffer.from(r.message()).toString('utf8') };
  }

  // ---- rooms: sender keys inside multi-recipient sealed sender ----------------------------------

  createSenderKeyDistribution(distributionId: string): Promise<SenderKeyDistributionMessage> {
    return SenderKeyDistributionMessage.create(this.address, distributionId, this.stores.senderKey);
  }

  async acceptSenderKeyDistribution(from: AccountId, skdm: Uint8Array<ArrayBuffer>): Promise<void> {
    await processSenderKeyDistributionMessage(
      ProtocolAddress.new(Aci.fromUuid(from), 1),
      SenderKeyDistributionMessage.deserialize(skdm),
      this.stores.senderKey,
    );
  }

  /** Multi-recipient sealed sender (v2) of a group message to `members` (sessions must exist). */
  async sealForRoom(distributionId: string, members: AccountId[], text: string): Promise<string> {
    const ct = await groupEncrypt(this.address, distributionId, this.stores.senderKey, utf8(text));
    const content = UnidentifiedSenderMessageContent.new(
      ct,
      await this.senderCertificate(),
      ContentHint.Default,
      null,
    );
    const out = await sealedSenderMultiRecipientEncrypt({
      content,
      recipients: members.map((m) => ProtocolAddress.new(Aci.fromUuid(m), 1)),
      identityStore: this.stores.identityStore,
      sessionStore: this.stores.session,
    });
    return b64(out);
  }

  /** Opens a room message split for us by the relay. */
  async openRoom(payloadB64: string): Promise<{ sender: string; text: string }> {
    const usmc = await sealedSenderDecryptToUsmc(bytes(payloadB64), this.stores.identityStore);
    const cert = usmc.senderCertificate();
    if (!cert.validate(this.trustRoot, Date.now()))
      throw new Error('sender certificate does not chain to the trust root');
    if (usmc.msgType() !== Number(CiphertextMessageType.SenderKey))
      throw new Error('not a sender-key message');
    const sender = ProtocolAddress.new(Aci.fromUuid(cert.senderUuid()), 1);
    const plain = await groupDecrypt(sender, this.stores.senderKey, usmc.contents());
    return { sender: cert.senderUuid(), text: Buffer.from(plain).toString('utf8') };
  }
}
