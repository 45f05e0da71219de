// The local account: one row holding our identity key pair, registration id, relay and trust root.
import { WispError } from '../../../common/errors';
import { sql } from '../sql';
import type { WritableDb } from '../database';
import type { LocalIdentity } from '../types';

interface Row {
  account_id: string;
  device_id: number;
  username: string | null;
  identity_key_pair: Buffer;
  registration_id: number;
  relay_url: string;
  trust_root: Buffer | null;
  created_at: number;
}

export class IdentityRepo {
  constructor(private readonly db: WritableDb) {}

  get(): LocalIdentity | undefined {
    const row = this.db.get<Row>(sql`SELECT * FROM local_identity WHERE id = 1`);
    return (
      row && {
        accountId: row.account_id,
        deviceId: row.device_id,
        username: row.username,
        identityKeyPair: row.identity_key_pair,
        registrationId: row.registration_id,
        relayUrl: row.relay_url,
        trustRoot: row.trust_root,
        createdAt: row.created_at,
      }
    );
  }

  /** Throws when none exists: callers past `init` may rely on it. */
  require(): LocalIdentity {
    const identity = this.get();
    if (!identity) {
      throw new WispError('NotFound', 'this profile has no identity yet', {
        recovery: 'Run `wisp init` first.',
      });
    }
    return identity;
  }

  /** Creates the identity once; a second call is refused so a key pair is never silently replaced. */
  create(identity: Omit<LocalIdentity, 'createdAt'> & { createdAt?: number }): void {
    if (this.get()) throw new WispError('ProfileExists', 'this profile already has an identity');
    this.db.run(sql`
      INSERT INTO local_identity (id, account_id, device_id, username, identity_key_pair, registration_id, relay_url, trust_root, created_at)
      VALUES (1, ${identity.accountId}, ${identity.deviceId}, ${identity.username}, ${identity.identityKeyPair},
              ${identity.registrationId}, ${identity.relayUrl}, ${identity.trustRoot}, ${identity.createdAt ?? Date.now()})`);
  }

  setUsername(username: string | null): void {
    this.db.run(sql`UPDATE local_identity SET username = ${username} WHERE id = 1`);
  }

  setRelay(relayUrl: string, trustRoot: Uint8Array | null): void {
    this.db.run(
      sql`UPDATE local_identity SET relay_url = ${relayUrl}, trust_root = ${trustRoot} WHERE id = 1`,
    );
  }

  /** Used by backup import on a fresh profile. */
  replace(identity: LocalIdentity): void {
    this.db.transaction(() => {
      this.db.run(sql`DELETE FROM local_identity`);
      this.create(identity);
    });
  }
}
