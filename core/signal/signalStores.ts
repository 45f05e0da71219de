// libsignal's protocol stores on the profile database. libsignal calls them asynchronously; each
// method is one synchronous statement underneath, so a store call can never interleave with another.
import {
  Direction,
  IdentityChange,
  IdentityKeyPair,
  IdentityKeyStore,
  KyberPreKeyRecord,
  KyberPreKeyStore,
  PreKeyRecord,
  PreKeyStore,
  PrivateKey,
  ProtocolAddress,
  PublicKey,
  SenderKeyRecord,
  SenderKeyStore,
  SessionRecord,
  SessionStore,
  SignedPreKeyRecord,
  SignedPreKeyStore,
  type Uuid,
} from '@signalapp/libsignal-client';
import { WispError } from '../../common/errors';
import type { Store } from '../store/store';

/** "accountId.deviceId": the key a session or sender key is stored under. */
export function addressKey(address: ProtocolAddress): string {
  return `${address.name()}.${address.deviceId()}`;
}

function bytes(buffer: Buffer): Uint8Array<ArrayBuffer> {
  // A Buffer that is exactly its own ArrayBuffer (SignalRepo's session records) needs no copy.
  if (
    buffer.buffer instanceof ArrayBuffer &&
    buffer.byteOffset === 0 &&
    buffer.byteLength === buffer.buffer.byteLength
  )
    return new Uint8Array(buffer.buffer);
  // libsignal wants a Uint8Array over a plain ArrayBuffer; copy out of Node's pooled Buffer.
  const copy = new Uint8Array(buffer.byteLength);
  copy.set(buffer);
  return copy;
}

export class DbSessionStore extends SessionStore {
  constructor(private readonly store: Store) {
    super();
  }

  override async saveSession(name: ProtocolAddress, record: SessionRecord): Promise<void> {
    this.store.signal.saveSession(addressKey(name), name.name(), name.deviceId(), record.serialize());
  }

  override async getSession(name: ProtocolAddress): Promise<SessionRecord | null> {
    const record = this.store.signal.getSession(addressKey(name));
    return record ? SessionRecord.deserialize(bytes(record)) : null;
  }

  /** Used by multi-recipient sealed sender: every address must have a session. */
  override async getExistingSessions(addresses: ProtocolAddress[]): Promise<SessionRecord[]> {
    return addresses.map((address) => {
      const record = this.store.signal.getSession(addressKey(address));
      if (!record) throw new WispError('NotFound', 'no session with one of the recipients');
      return SessionRecord.deserialize(bytes(record));
    });
  }
}

/**
 * Our identity comes from local_identity; remote identities live in contacts. Trust on first use;
 * a changed key is accepted on receive (and flagged loudly by saveIdentity), but refused for sending
 * until it has been saved — i.e. until the engine has seen and recorded the change.
 */
export class DbIdentityKeyStore extends IdentityKeyStore {
  #keyPair: IdentityKeyPair | undefined;

  constructor(private readonly store: Store) {
    super();
  }

  #identity(): IdentityKeyPair {
    this.#keyPair ??= IdentityKeyPair.deserialize(bytes(this.store.identity.require().identityKeyPair));
    return this.#keyPair;
  }

  override async getIdentityKey(): Promise<PrivateKey> {
    return this.#identity().privateKey;
  }

  override async getLocalRegistrationId(): Promise<number> {
    return this.store.identity.require().registrationId;
  }

  override async saveIdentity(name: ProtocolAddress, key: PublicKey): Promise<IdentityChange> {
    const result = this.store.contacts.saveIdentityKey(name.name(), key.serialize());
    return result === 'replaced' ? IdentityChange.ReplacedExisting : IdentityChange.NewOrUnchanged;
  }

  override async isTrustedIdentity(
    name: ProtocolAddress,
    key: PublicKey,
    direction: Direction,
  ): Promise<boolean> {
    const stored = this.store.contacts.get(name.name())?.identityKey;
    if (!stored) return true;
    if (Buffer.from(key.serialize()).equals(stored)) return true;
    return direction === Direction.Receiving;
  }

  override async getIdentity(name: ProtocolAddress): Promise<PublicKey | null> {
    const stored = this.store.contacts.get(name.name())?.identityKey;
    return stored ? PublicKey.deserialize(bytes(stored)) : null;
  }
}

export class DbPreKeyStore extends PreKeyStore {
  constructor(private readonly store: Store) {
    super();
  }

  override async savePreKey(id: number, record: PreKeyRecord): Promise<void> {
    this.store.signal.savePreKey(id, record.serialize());
  }

  override async getPreKey(id: number): Promise<PreKeyRecord> {
    const record = this.store.signal.getPreKey(id);
    if (!record) throw new WispError('NotFound', `no prekey ${id}`);
    return PreKeyRecord.deserialize(bytes(record));
  }

  override async removePreKey(id: number): Promise<void> {
    this.store.signal.removePreKey(id);
  }
}

export class DbSignedPreKeyStore extends SignedPreKeyStore {
  constructor(private readonly store: Store) {
    super();
  }

  override async saveSignedPreKey(id: number, record: SignedPreKeyRecord): Promise<void> {
    this.store.signal.saveSignedPreKey(id, record.serialize());
  }

  override async getSignedPreKey(id: number): Promise<SignedPreKeyRecord> {
    const record = this.store.signal.getSignedPreKey(id);
    if (!record) throw new WispError('NotFound', `no signed prekey ${id}`);
    return SignedPreKeyRecord.deserialize(bytes(record));
  }
}

export class DbKyberPreKeyStore extends KyberPreKeyStore {
  constructor(private readonly store: Store) {
    super();
  }

  override async saveKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    this.store.signal.saveKyberPreKey(id, record.serialize(), false);
  }

  /** A last-resort Kyber prekey is reusable; it is never deleted on use. */
  async saveLastResortKyberPreKey(id: number, record: KyberPreKeyRecord): Promise<void> {
    this.store.signal.saveKyberPreKey(id, record.serialize(), true);
  }

  override async getKyberPreKey(id: number): Promise<KyberPreKeyRecord> {
    const found = this.store.signal.getKyberPreKey(id);
    if (!found) throw new WispError('NotFound', `no Kyber prekey ${id}`);
    return KyberPreKeyRecord.deserialize(bytes(found.record));
  }

  /**
   * A one-time Kyber prekey is deleted after use. A last-resort one stays, but the same
   * (kyber, signed prekey, base key) triple twice is a replayed session setup and is refused.
   */
  override async markKyberPreKeyUsed(
    kyberPreKeyId: number,
    signedPreKeyId: number,
    baseKey: PublicKey,
  ): Promise<void> {
    this.store.transaction(() => {
      const found = this.store.signal.getKyberPreKey(kyberPreKeyId);
      if (!found) return;
      if (!found.lastResort) {
        this.store.signal.removeKyberPreKey(kyberPreKeyId);
        return;
      }
      if (!this.store.signal.recordKyberBaseKey(kyberPreKeyId, signedPreKeyId, baseKey.serialize())) {
        throw new WispError(
          'DecryptionFailed',
          'a last-resort Kyber prekey was reused with the same base key',
        );
      }
    });
  }
}

export class DbSenderKeyStore extends SenderKeyStore {
  constructor(private readonly store: Store) {
    super();
  }

  override async saveSenderKey(
    sender: ProtocolAddress,
    distributionId: Uuid,
    record: SenderKeyRecord,
  ): Promise<void> {
    this.store.signal.saveSenderKey(addressKey(sender), distributionId, record.serialize());
  }

  override async getSenderKey(
    sender: ProtocolAddress,
    distributionId: Uuid,
  ): Promise<SenderKeyRecord | null> {
    const record = this.store.signal.getSenderKey(addressKey(sender), distributionId);
    return record ? SenderKeyRecord.deserialize(bytes(record)) : null;
  }
}

/** All six stores for one profile, as libsignal's functions take them. */
export interface SignalStores {
  readonly identity: DbIdentityKeyStore;
  readonly session: DbSessionStore;
  readonly preKey: DbPreKeyStore;
  readonly signedPreKey: DbSignedPreKeyStore;
  readonly kyberPreKey: DbKyberPreKeyStore;
  readonly senderKey: DbSenderKeyStore;
}

export function signalStoresFor(store: Store): SignalStores {
  return {
    identity: new DbIdentityKeyStore(store),
    session: new DbSessionStore(store),
    preKey: new DbPreKeyStore(store),
    signedPreKey: new DbSignedPreKeyStore(store),
    kyberPreKey: new DbKyberPreKeyStore(store),
    senderKey: new DbSenderKeyStore(store),
  };
}
