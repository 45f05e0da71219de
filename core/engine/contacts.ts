// Contacts: looking a name up (bound to the account the relay names), our own username, the
// contact list, safety numbers and the verified flag.
import { Fingerprint, PublicKey, type IdentityKeyPair } from '@signalapp/libsignal-client';
import type { ContactView, EngineEvent, SafetyNumberView } from '../../common/engine';
import { WispError } from '../../common/errors';
import type { Store } from '../store';
import type { RelayClient } from '../relayClient/relayClient';
import { UUID_RE, type IdentityGuard } from './identityGuard';
import { uuidBytes } from './ids';
import { addressOf, b64, type SignalStores } from './signalCrypto';
import { contactView } from './views';

const SAFETY_NUMBER_ITERATIONS = 5200;

/** What the contact operations need from the engine. */
export interface ContactsDeps {
  readonly store: Store;
  readonly signal: SignalStores;
  readonly accountId: string;
  readonly identityKeyPair: IdentityKeyPair;
  readonly guard: IdentityGuard;
  assertOpen(): void;
  relayClient(): RelayClient;
  /** Our username changed at the relay (null: released). */
  setOwnUsername(username: string | null): void;
  emit(event: EngineEvent): void;
}

export class Contacts {
  constructor(private readonly d: ContactsDeps) {}

  /** The user looks a name up: bound to the account the relay names, gated like a send. */
  async lookup(username: string): Promise<ContactView> {
    this.d.assertOpen();
    const contact = UUID_RE.test(username)
      ? await this.d.guard.find(username)
      : await this.d.guard.forSend(username, false);
    return contactView(contact);
  }

  async setUsername(username: string | null): Promise<void> {
    this.d.assertOpen();
    if (username === null) {
      await this.d.relayClient().request('username.release', {});
      this.d.store.identity.setUsername(null);
      this.d.setOwnUsername(null);
      return;
    }
    const result = await this.d.relayClient().request('username.set', { username });
    this.d.store.identity.setUsername(result.username);
    this.d.setOwnUsername(result.username);
  }

  async contacts(): Promise<ContactView[]> {
    this.d.assertOpen();
    return this.d.store.contacts.list().map(contactView);
  }

  async safetyNumber(name: string): Promise<SafetyNumberView> {
    this.d.assertOpen();
    const contact = await this.d.guard.find(name);
    const remote =
      (await this.d.signal.identity.getIdentity(addressOf(contact.accountId))) ??
      (contact.identityKey ? PublicKey.deserialize(new Uint8Array(contact.identityKey)) : null);
    if (remote === null) throw new WispError('NotFound', 'no identity key known for that contact yet');
    const fingerprint = Fingerprint.new(
      SAFETY_NUMBER_ITERATIONS,
      2,
      uuidBytes(this.d.accountId),
      this.d.identityKeyPair.publicKey,
      uuidBytes(contact.accountId),
      remote,
    );
    const fresh = this.d.store.contacts.get(contact.accountId)!;
    return {
      accountId: contact.accountId,
      username: contact.username,
      digits: fingerprint.displayableFingerprint().toString(),
      scannable: b64(fingerprint.scannableFingerprint().toBuffer()),
      verified: fresh.verified,
      identityChanged: fresh.identityChanged,
    };
  }

  async setVerified(name: string, verified: boolean): Promise<ContactView> {
    this.d.assertOpen();
    const contact = await this.d.guard.find(name);
    this.d.store.contacts.setVerified(contact.accountId, verified);
    this.d.store.contacts.markAdded(contact.accountId);
    const view = contactView(this.d.store.contacts.get(contact.accountId)!);
    this.d.emit({ type: 'contact.changed', contact: view });
    return view;
  }

  /** libsignal saw a new identity key for this account (on receive, or in a fetched bundle). */
  flagIdentityChange(accountId: string): void {
    const contact = this.d.store.contacts.get(accountId);
    if (contact) this.d.emit({ type: 'identity.changed', contact: contactView(contact) });
  }
}
