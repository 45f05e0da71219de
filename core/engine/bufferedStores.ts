// A write-buffering layer over the libsignal stores. Decryption advances ratchets and consumes
// prekeys; buffering those writes lets the engine commit them in the same SQLite transaction as
// the decrypted message and the inbox mark, so a crash can neither lose a message (state advanced,
// message not stored) nor process one twice. A failed decryption simply discards the buffer.
import {
  IdentityChange,
  IdentityKeyStore,
  KyberPreKeyStore,
  PreKeyStore,
  SenderKeyStore,
  SessionStore,
  SignedPreKeyStore,
  type Direction,
  type KyberPreKeyRecord,
  type PreKeyRecord,
  type PrivateKey,
  type ProtocolAddress,
  type PublicKey,
  type SenderKeyRecord,
  type SessionRecord,
  type SignedPreKeyRecord,
  type Uuid,
} from '@signalapp/libsignal-client';
import type { SignalStores } from './signalCrypto';

type Op = () => Promise<unknown>;

/** The buffered writes of one batch, shared by the six store views below. */
interface Buffer_ {
  sessions: Map<string, SessionRecord>;
  identities: Map<string, PublicKey>;
  removedPreKeys: Set<number>;
  senderKeys: Map<string, SenderKeyRecord>;
  ops: Op[];
  replacedIdentities: Set<string>;
}

const addrKey = (a: ProtocolAddress): string => `${a.name()}.${a.deviceId()}`;

export class BufferedSignalStores implements SignalStores {
  private readonly buf: Buffer_ = {
    sessions: new Map(),
    identities: new Map(),
    removedPreKeys: new Set(),
    senderKeys: new Map(),
    ops: [],
    replacedIdentities: new Set(),
  };

  /** Accounts whose stored identity key was replaced by a different one during this batch. */
  get replacedIdentities(): ReadonlySet<string> {
    return this.buf.replacedIdentities;
  }

  readonly session: SessionStore;
  readonly identity: IdentityKeyStore;
  readonly preKey: PreKeyStore;
  readonly signedPreKey: SignedPreKeyStore;
  readonly kyberPreKey: KyberPreKeyStore;
  readonly senderKey: SenderKeyStore;

  constructor(base: SignalStores) {
    const self = this.buf;
    this.session = new (class extends SessionStore {
      async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
        self.sessions.set(addrKey(name), record);
        self.ops.push(() => base.session.saveSession(name, record));
      }
      async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
        return self.sessions.get(addrKey(name)) ?? base.session.getSession(name);
      }
      async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
        const out: SessionRecord[] = [];
        for (const a of addresses) {
          const r = await this.getSession(a);
          if (r === null) throw new Error(`no session for ${a.name()}`);
          out.push(r);
        }
        return out;
      }
    })();
    this.identity = new (class extends IdentityKeyStore {
      async getIdentityKey(): Promise<PrivateKey> {
        return base.identity.getIdentityKey();
      }
      async getLocalRegistrationId(): Promise<number> {
        return base.identity.getLocalRegistrationId();
      }
      async saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
        const existing = await this.getIdentity(name);
        self.identities.set(addrKey(name), key);
        self.ops.push(() => base.identity.saveIdentity(name, key));
        if (existing !== null && !existing.equals(key)) {
          self.replacedIdentities.add(name.name());
          return IdentityChange.ReplacedExisting;
        }
        return IdentityChange.NewOrUnchanged;
      }
      async isTrustedIdentity(name: ProtocolAddress, key: PublicKey, direction: Direction): Promise<boolean> {
        const buffered = self.identities.get(addrKey(name));
        if (buffered !== undefined)
          return buffered.equals(key) || base.identity.isTrustedIdentity(name, key, direction);
        return base.identity.isTrustedIdentity(name, key, direction);
      }
      async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
        return self.identities.get(addrKey(name)) ?? base.identity.getIdentity(name);
      }
    })();
    this.preKey = new (class extends PreKeyStore {
      async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
        self.ops.push(() => base.preKey.savePreKey(id, record));
      }
      async getPreKey(id: number): Promise<PreKeyRecord> {
        if (self.removedPreKeys.has(id)) throw new Error(`prekey ${id} was already used`);
        return base.preKey.getPreKey(id);
      }
      async removePreKey(id: number): Promise<void> {
        self.removedPreKeys.add(id);
        self.ops.push(() => base.preKey.removePreKey(id));
      }
    })();
    this.signedPreKey = new (class extends SignedPreKeyStore {
      async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
        self.ops.push(() => base.signedPreKey.saveSignedPreKey(id, record));
      }
      async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
        return base.signedPreKey.getSignedPreKey(id);
      }
    })();
    this.kyberPreKey = new (class extends KyberPreKeyStore {
      async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
        self.ops.push(() => base.kyberPreKey.saveKyberPreKey(id, record));
      }
      async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
        return base.kyberPreKey.getKyberPreKey(id);
      }
      async markKyberPreKeyUsed(id: number, signedPreKeyId: number, baseKey: PublicKey): Promise<void> {
        // The base store checks for replays of a last-resort key; it must see the attempt now.
        self.ops.push(() => base.kyberPreKey.markKyberPreKeyUsed(id, signedPreKeyId, baseKey));
      }
    })();
    this.senderKey = new (class extends SenderKeyStore {
      async saveSenderKey(
        sender: ProtocolAddress,
        distributionId: Uuid,
        record: SenderKeyRecord,
      ): Promise<void> {
        self.senderKeys.set(`${addrKey(sender)}/${distributionId}`, record);
        self.ops.push(() => base.senderKey.saveSenderKey(sender, distributionId, record));
      }
      async getSenderKey(sender: ProtocolAddress, distributionId: Uuid): Promise<SenderKeyRecord | null> {
        return (
          self.senderKeys.get(`${addrKey(sender)}/${distributionId}`) ??
          base.senderKey.getSenderKey(sender, distributionId)
        );
      }
    })();
  }

  /** Applies the buffered writes, in order, to the base stores (call inside the transaction). */
  async flush(): Promise<void> {
    const ops = this.buf.ops;
    this.buf.ops = [];
    for (const op of ops) await op();
  }
}
