// Delivery keys: recipient consent for sends without identity. Our key (32 random bytes) goes to a
// contact inside the encrypted channel when we reach out to them; the relay holds only its hash and
// refuses a send without identity that does not present it. Contacts' keys arrive the same way.
// Everything lives in the encrypted store (settings rows); docs/ENGINE.md, "Two connections".
import { createHash, randomBytes } from 'node:crypto';
import type { Content } from '../../common/content';
import { DELIVERY_KEY_CONTEXT } from '../../common/wire';
import type { Store } from '../store';
import type { RelayClient } from '../relayClient/relayClient';
import { newContentId } from './ids';

const OWN_KEY = 'deliveryKeys.own';
const PEER_KEY = (accountId: string) => `deliveryKeys.peer.${accountId}`;

interface OwnKey {
  /** base64 of the 32 bytes. */
  key: string;
  /** Bumped on every rotation; a contact holds our current key when its `given` equals it. */
  version: number;
  /** The relay holds this key's hash (deliveryKey.set answered). */
  published: boolean;
}

interface PeerRecord {
  /** The key this contact gave us (base64), if any. */
  theirs: string | null;
  /** The version of our key we queued for them, 0 for none. */
  given: number;
}

/** SHA-256(utf8(DELIVERY_KEY_CONTEXT) ‖ key): what deliveryKey.set publishes (relay/sealed.ts). */
export function deliveryKeyHash(key: Uint8Array): Buffer {
  return createHash('sha256').update(DELIVERY_KEY_CONTEXT).update(key).digest();
}

/** Content types the user chose to send: sending one gives the recipient our key (consent). */
const REACHING_OUT: ReadonlySet<Content['type']> = new Set(['text', 'timers', 'room.update']);

export class DeliveryKeys {
  /** Peer records read so far (every change goes through here, so the cache stays right). */
  private readonly peers = new Map<string, PeerRecord>();
  private ownCache: OwnKey | null = null;

  constructor(private readonly store: () => Store) {}

  /** Whether sending `type` to someone counts as reaching out to them (so they get our key). */
  static reachesOut(type: Content['type']): boolean {
    return REACHING_OUT.has(type);
  }

  private own(): OwnKey {
    if (this.ownCache) return this.ownCache;
    let own = this.store().settings.get<OwnKey>(OWN_KEY);
    if (!own) {
      own = { key: randomBytes(32).toString('base64'), version: 1, published: false };
      this.store().settings.set(OWN_KEY, own);
    }
    this.ownCache = own;
    return own;
  }

  private peer(accountId: string): PeerRecord {
    let record = this.peers.get(accountId);
    if (!record) {
      record = this.store().settings.get<PeerRecord>(PEER_KEY(accountId)) ?? { theirs: null, given: 0 };
      this.peers.set(accountId, record);
    }
    return record;
  }

  private setPeer(accountId: string, record: PeerRecord): void {
    this.peers.set(accountId, record);
    this.store().settings.set(PEER_KEY(accountId), record);
  }

  /** Publishes our key's hash once (after creation or a rotation); a no-op when the relay has it. */
  async publish(relay: RelayClient): Promise<void> {
    const own = this.own();
    if (own.published) return;
    await relay.request('deliveryKey.set', {
      keyHash: deliveryKeyHash(Buffer.from(own.key, 'base64')).toString('base64'),
    });
    // Only if no rotation happened meanwhile (that one publishes its own key).
    if (this.own().key === own.key) {
      this.ownCache = { ...own, published: true };
      this.store().settings.set(OWN_KEY, this.ownCache);
    }
  }

  /** The key `accountId` gave us, or null: without it, sends to them go the authenticated way. */
  theirs(accountId: string): string | null {
    return this.peer(accountId).theirs;
  }

  /** Stores the key a contact sent us (replacing an older one). */
  accept(accountId: string, key: string): void {
    this.setPeer(accountId, { ...this.peer(accountId), theirs: key });
  }

  /** The relay refused the key we hold for `accountId` (rotated): forget it until a new one comes. */
  forget(accountId: string): void {
    if (this.peer(accountId).theirs === null) return;
    this.setPeer(accountId, { ...this.peer(accountId), theirs: null });
  }

  /** Of `accountIds`, those we have not yet queued our current key for. */
  lacking(accountIds: readonly string[]): string[] {
    const version = this.own().version;
    return accountIds.filter((id) => this.peer(id).given !== version);
  }

  /** Our current key (base64), to ride inside a message to someone who lacks it. */
  current(): string {
    return this.own().key;
  }

  /** Records that these contacts were sent our current key (in the transaction of that send). */
  markGiven(accountIds: readonly string[]): void {
    const version = this.own().version;
    for (const id of accountIds) {
      if (this.peer(id).given !== version) this.setPeer(id, { ...this.peer(id), given: version });
    }
  }

  /**
   * The content that gives `accountId` our current key, and the record that it was queued (call it
   * in the transaction that puts the content in the outbox).
   */
  offer(accountId: string, now: number): Content {
    const own = this.own();
    this.setPeer(accountId, { ...this.peer(accountId), given: own.version });
    return { v: 1, type: 'delivery-key', id: newContentId(), sentAt: now, roomId: null, key: own.key };
  }

  /**
   * A fresh key (after blocking someone): the old one stops working once the new hash is
   * published. Returns who must get the new one: every contact that held the old one, but `except`.
   */
  rotate(contacts: readonly string[], except: readonly string[] = []): string[] {
    const holders = contacts.filter((id) => this.peer(id).given > 0 && !except.includes(id));
    const next: OwnKey = {
      key: randomBytes(32).toString('base64'),
      version: this.own().version + 1,
      published: false,
    };
    this.store().settings.set(OWN_KEY, next);
    this.ownCache = next;
    // The excluded stay marked as holding nothing current, so reaching out to them again is a
    // deliberate act that gives them the new key.
    return holders;
  }
}

/**
 * Rotates our delivery key, publishes the new hash, and queues the new key for every contact that
 * held the old one except `except` (the one just blocked). Run inside the engine's serial chain.
 */
export async function rotateDeliveryKey(
  keys: DeliveryKeys,
  d: { store: Store; relay: RelayClient; now: number; encode(content: Content): Uint8Array },
  except: readonly string[] = [],
): Promise<string[]> {
  const holders = keys.rotate(
    d.store.contacts.list().map((c) => c.accountId),
    except,
  );
  await keys.publish(d.relay);
  d.store.transaction(() => {
    for (const to of holders) {
      const content = keys.offer(to, d.now);
      d.store.outbox.enqueue(
        { messageId: null, recipientId: to, kind: 'direct', payload: d.encode(content), expiresAt: null },
        d.now,
      );
    }
  });
  return holders;
}
