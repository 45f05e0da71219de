// Who a typed name or account id reaches (issue 9). Names come only from the relay's answers to this
// device's own lookups and are unique locally; a name that now resolves to another account, a key
// that differs from the pinned one, or an unacknowledged identity change stops a send with a typed
// IdentityChanged error until the user explicitly accepts it. A lookup never replaces a pinned key.
import type { EngineEvent } from '../../common/engine';
import { WispError, isWispError } from '../../common/errors';
import { DEFAULT_WIRE_LIMITS } from '../../common/wire';
import { loggerFor } from '../log';
import type { Contact, Store } from '../store';
import { contactView } from './views';

const log = loggerFor('engine');
/** Room size above which gateMembers reads all contacts at once instead of each member's. */
const BULK_GATE_MEMBERS = 64;

/** Member names of one room update checked with the relay at most. */
const MEMBER_NAMES_PER_UPDATE = 20;
/** Names per directory.lookup request (the wire limit, maxDirectoryBatch). */
const DIRECTORY_BATCH = DEFAULT_WIRE_LIMITS.maxDirectoryBatch;

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RelayNameAnswer {
  accountId: string;
  identityKey: Buffer;
}

export interface IdentityGuardDeps {
  store: Store;
  selfId: string;
  clock: () => number;
  /** username.lookup at the relay. */
  lookup(name: string): Promise<RelayNameAnswer>;
  /** directory.lookup at the relay: one answer (or null) per name, in order. */
  lookupMany(names: string[]): Promise<(RelayNameAnswer | null)[]>;
  emit(event: EngineEvent): void;
}

export const IDENTITY_RECOVERY =
  'Compare safety numbers with them (wisp verify --with NAME) over a channel you trust; to send anyway, ' +
  'repeat the command with --accept-identity-change (in the app: "Send anyway").';

function identityChanged(message: string): WispError {
  return new WispError('IdentityChanged', message, { recovery: IDENTITY_RECOVERY });
}

export class IdentityGuard {
  /** Username lookups in flight, by lower-cased name: a burst of sends shares one. */
  private readonly lookups = new Map<string, Promise<RelayNameAnswer>>();
  /** Sender names already checked with the relay in this engine (sender/name). */
  private readonly namesChecked = new Set<string>();

  constructor(private readonly deps: IdentityGuardDeps) {}

  private get store(): Store {
    return this.deps.store;
  }

  /**
   * The contact a typed name or account id refers to, without gating (safety numbers, verify,
   * message lists, room membership). A name not known locally is asked of the relay and bound.
   */
  async find(target: string): Promise<Contact> {
    if (UUID_RE.test(target)) return this.byAccountId(target);
    const known = this.store.contacts.byUsername(target);
    if (known) return known;
    const answer = await this.ask(target);
    return this.bind(target, answer);
  }

  /**
   * `find` for many targets (creating or growing a room): the names not known locally are asked of
   * the relay in directory batches, not one lookup each, so a full room stays within the relay's
   * limits. Any name the relay does not know fails the whole call before anything is bound.
   */
  async findMany(targets: readonly string[]): Promise<Contact[]> {
    const unknown = [
      ...new Set(
        targets
          .filter((t) => !UUID_RE.test(t) && !this.store.contacts.byUsername(t))
          .map((t) => t.toLowerCase()),
      ),
    ];
    if (unknown.length <= 1) {
      const out: Contact[] = [];
      for (const t of targets) out.push(await this.find(t));
      return out;
    }
    const answers = new Map<string, RelayNameAnswer>();
    for (let i = 0; i < unknown.length; i += DIRECTORY_BATCH) {
      const names = unknown.slice(i, i + DIRECTORY_BATCH);
      const found = await this.deps.lookupMany(names);
      names.forEach((name, j) => {
        const answer = found[j];
        if (!answer) throw new WispError('NotFound', `no account has the username ${name}`);
        if (answer.accountId === this.deps.selfId)
          throw new WispError('InvalidInput', 'that username is your own');
        answers.set(name, answer);
      });
    }
    // One commit for the lot (a full room binds 499 names), not one per name.
    this.store.transaction(() => {
      for (const [name, answer] of answers) this.bind(name, answer);
    });
    return targets.map((t) => (UUID_RE.test(t) ? this.byAccountId(t) : this.store.contacts.byUsername(t)!));
  }

  /**
   * The contact a send to `target` goes to. Names are re-resolved at the relay (offline: the local
   * binding); the send is stopped with IdentityChanged when the name moved to another account, the
   * relay's key differs from the pinned one, or the contact's key changed and nobody acknowledged
   * it — unless `accept` (the user's explicit confirmation), which binds the name to its new holder
   * and acknowledges the change. The pinned key is never replaced by a lookup.
   */
  async forSend(target: string, accept: boolean): Promise<Contact> {
    if (UUID_RE.test(target)) return this.added(this.gateFlag(this.byAccountId(target), accept));
    const local = this.store.contacts.byUsername(target);
    let answer: RelayNameAnswer;
    try {
      answer = await this.ask(target);
    } catch (error) {
      // Offline or rate-limited: the name as we already know it is the best answer we have.
      if (local && (isWispError(error, 'RelayUnavailable') || isWispError(error, 'RelayRateLimited')))
        return this.added(this.gateFlag(local, accept));
      throw error;
    }
    const holder = this.store.contacts.get(answer.accountId);
    const moved = local !== undefined && local.accountId !== answer.accountId;
    const pinMismatch = holder?.identityKey != null && !holder.identityKey.equals(answer.identityKey);
    if (!accept && (moved || pinMismatch || holder?.identityChanged === true)) {
      const known = local ?? holder;
      if (known) this.deps.emit({ type: 'identity.changed', contact: contactView(known) });
      log.warn({ moved, pinMismatch }, 'a send was stopped: the identity behind a name changed');
      throw identityChanged(
        moved
          ? `the username ${target} now belongs to a different account than the contact you know`
          : `the safety number with ${target} changed`,
      );
    }
    // The everyday case, the name still where we knew it with the pinned key: no write at all.
    const unchanged =
      local !== undefined && !moved && holder?.identityKey?.equals(answer.identityKey) === true;
    const contact = unchanged ? local : this.bind(target, answer, moved ? local : undefined);
    if (accept && contact.identityChanged) this.store.contacts.acknowledgeIdentityChange(contact.accountId);
    return this.added(contact);
  }

  /** The user reached out to this contact (rooms from them are conversations, not requests). */
  private added(contact: Contact): Contact {
    this.store.contacts.markAdded(contact.accountId);
    return this.store.contacts.get(contact.accountId)!;
  }

  /** Stops a send to a contact whose key changed and was not acknowledged (accept acknowledges). */
  gateFlag(contact: Contact, accept: boolean): Contact {
    if (contact.identityChanged) {
      if (!accept) {
        this.deps.emit({ type: 'identity.changed', contact: contactView(contact) });
        throw identityChanged(`the safety number with ${contact.username ?? contact.accountId} changed`);
      }
      this.store.contacts.acknowledgeIdentityChange(contact.accountId);
    }
    return this.store.contacts.get(contact.accountId)!;
  }

  /**
   * gateFlag for every member of a room before a send to it. A large room reads all contacts once
   * instead of one lookup per member (a full room has 499).
   */
  gateMembers(members: readonly string[], accept: boolean): void {
    const byId =
      members.length > BULK_GATE_MEMBERS
        ? new Map(this.store.contacts.list().map((c) => [c.accountId, c]))
        : null;
    for (const member of members) {
      const contact = byId ? byId.get(member) : this.store.contacts.get(member);
      if (contact) this.gateFlag(contact, accept);
    }
  }

  /**
   * A sender's claimed name (content.senderName): checked with our own relay lookup. It becomes the
   * username only when the relay maps it to that sender and no other local contact holds it; anything
   * else keeps it as an unconfirmed hint, shown apart and never used to resolve a typed name.
   */
  async noteSenderName(sender: string, claimed: string): Promise<void> {
    if (await this.confirmName(sender, claimed)) return;
    const before = this.store.contacts.get(sender);
    if (before?.username) return;
    this.store.contacts.ensure(sender, this.deps.clock());
    this.store.contacts.setNameHint(sender, claimed.toLowerCase());
    const after = this.store.contacts.get(sender)!;
    if (after.nameHint !== before?.nameHint)
      this.deps.emit({ type: 'contact.changed', contact: contactView(after) });
  }

  /**
   * Names a room update lists for members we know no name for: each checked with our own relay
   * lookup like a sender name (a few per update, so a long list cannot flood the relay). What the
   * relay does not confirm is only noted as a hint once the update is applied.
   */
  async confirmMemberNames(
    members: readonly { accountId: string; username: string | null }[],
  ): Promise<void> {
    let asked = 0;
    for (const m of members) {
      if (asked >= MEMBER_NAMES_PER_UPDATE) return;
      if (m.accountId === this.deps.selfId || m.username === null) continue;
      if (this.store.contacts.get(m.accountId)?.username) continue;
      asked += 1;
      await this.confirmName(m.accountId, m.username);
    }
  }

  /**
   * True when our relay lookup of `claimed` answers `accountId` and no other local contact holds the
   * name: the name is then bound to that account. Asked once per account and name per engine.
   */
  private async confirmName(accountId: string, claimed: string): Promise<boolean> {
    const key = `${accountId}/${claimed.toLowerCase()}`;
    if (this.namesChecked.has(key))
      return this.store.contacts.get(accountId)?.username === claimed.toLowerCase();
    this.namesChecked.add(key);
    try {
      const found = await this.deps.lookup(claimed);
      const holder = this.store.contacts.byUsername(claimed);
      if (found.accountId !== accountId || (holder !== undefined && holder.accountId !== accountId))
        return false;
      const before = this.store.contacts.get(accountId);
      const contact = this.store.contacts.upsert(accountId, claimed.toLowerCase(), this.deps.clock());
      this.store.contacts.setNameHint(accountId, null);
      if (before?.username !== contact.username)
        this.deps.emit({ type: 'contact.changed', contact: contactView(contact) });
      return true;
    } catch (error) {
      log.info({ kind: isWispError(error) ? error.kind : 'Internal' }, 'could not confirm a name');
      return false;
    }
  }

  private byAccountId(id: string): Contact {
    const known = this.store.contacts.get(id.toLowerCase());
    if (!known) throw new WispError('NotFound', 'no contact with that account id');
    return known;
  }

  private ask(name: string): Promise<RelayNameAnswer> {
    const key = name.toLowerCase();
    const inFlight = this.lookups.get(key);
    if (inFlight) return inFlight;
    const lookup = this.deps
      .lookup(name)
      .then((answer) => {
        if (answer.accountId === this.deps.selfId)
          throw new WispError('InvalidInput', 'that username is your own');
        return answer;
      })
      .finally(() => this.lookups.delete(key));
    this.lookups.set(key, lookup);
    return lookup;
  }

  /**
   * The relay said `name` is `answer.accountId`: the name is bound to that account (leaving any other
   * contact; `previous` keeps it as a hint so the old conversation stays recognisable) and its key
   * is pinned if none was.
   */
  private bind(name: string, answer: RelayNameAnswer, previous?: Contact): Contact {
    const existing = this.store.contacts.get(answer.accountId);
    const contact = this.store.transaction(() => {
      const now = this.deps.clock();
      this.store.contacts.upsert(answer.accountId, name.toLowerCase(), now);
      this.store.contacts.setNameHint(answer.accountId, null);
      if (previous) this.store.contacts.setNameHint(previous.accountId, previous.username);
      this.store.contacts.pinIdentityKey(answer.accountId, answer.identityKey, now);
      return this.store.contacts.get(answer.accountId)!;
    });
    if (!existing || existing.username !== contact.username)
      this.deps.emit({ type: 'contact.changed', contact: contactView(contact) });
    if (previous) {
      const old = this.store.contacts.get(previous.accountId);
      if (old) this.deps.emit({ type: 'contact.changed', contact: contactView(old) });
    }
    return contact;
  }
}
