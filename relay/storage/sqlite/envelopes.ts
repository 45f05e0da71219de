// The SQLite backend's envelope queues: enqueue under each recipient's caps (with the tokens of a
// send without identity spent in the same write), fetch, acknowledge, count and expire, and the
// wakes that push a stored envelope to its recipient's connection. A multi-recipient send's shared
// part is stored once (shared_payloads) and counted down as its envelopes go.
import type Database from 'better-sqlite3-multiple-ciphers';
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type {
  EnqueueOutcome,
  NewEnvelope,
  QueueCaps,
  QueuedEnvelope,
  SharedPayload,
  SpentToken,
} from '../types';
import { buf, hex } from './bytes';
import type { SqliteTokens } from './tokens';
import { DEFER_WAKES_OVER, WakeQueue, type Wake } from './wakeQueue';
import type { Write } from './writer';

export class SqliteEnvelopes {
  private readonly st;

  constructor(
    db: Database.Database,
    private readonly write: Write,
    private readonly tokens: SqliteTokens,
    wakes: EventEmitter,
  ) {
    this.st = {
      // One statement per stored envelope instead of two: the recipient's registration id (NULL
      // when there is no such account) and its queue usage.
      recipientState: db.prepare(
        `SELECT a.registration_id AS regId, COUNT(e.seq) AS n, COALESCE(SUM(e.size), 0) AS bytes
           FROM accounts a LEFT JOIN envelopes e ON e.recipient_hash = a.id_hash WHERE a.id_hash = ?`,
      ),
      insertEnvelope: db.prepare(
        'INSERT INTO envelopes (id, recipient_hash, payload, size, expires_at, shared_id) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      insertShared: db.prepare(
        'INSERT INTO shared_payloads (id, payload, refs, expires_at) VALUES (?, ?, ?, ?)',
      ),
      setRefs: db.prepare('UPDATE shared_payloads SET refs = ? WHERE id = ?'),
      bumpReceived: db.prepare(
        'UPDATE accounts SET messages_received = messages_received + 1 WHERE id_hash = ?',
      ),
      fetchQueued: db.prepare(
        `SELECT e.seq, e.id, e.payload, e.shared_id, s.payload AS shared, e.expires_at FROM envelopes e
           LEFT JOIN shared_payloads s ON s.id = e.shared_id
           WHERE e.recipient_hash = ? AND e.seq > ? AND e.expires_at > ? ORDER BY e.seq LIMIT ?`,
      ),
      ackOne: db.prepare('DELETE FROM envelopes WHERE id = ? AND recipient_hash = ? RETURNING shared_id'),
      countQueued: db.prepare('SELECT COUNT(*) FROM envelopes WHERE recipient_hash = ?').pluck(),
      purgeEnvelopes: db.prepare('DELETE FROM envelopes WHERE expires_at <= ?'),
      // Every envelope of a shared part has its deadline, so it expires with them; one left
      // without references (none should be) goes too.
      purgeShared: db.prepare('DELETE FROM shared_payloads WHERE expires_at <= ? OR refs <= 0'),
    };
    this.release = sharedRelease(db);
    this.wakeQueue = new WakeQueue(wakes);
  }

  private readonly wakeQueue: WakeQueue;

  /** Inside a write: the shared parts of envelopes just deleted lose one reference each. */
  private readonly release: (sharedIds: Buffer[]) => void;

  async enqueue(envelopes: NewEnvelope[], caps: QueueCaps): Promise<EnqueueOutcome[]> {
    // 'spent' comes only with `each`.
    return (await this.enqueueWrite(envelopes, caps, null)).outcomes as EnqueueOutcome[];
  }

  enqueueSpending(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[],
  ): Promise<{ alreadySpent: number; outcomes: EnqueueOutcome[] }> {
    return this.enqueueWrite(envelopes, caps, tokens) as Promise<{
      alreadySpent: number;
      outcomes: EnqueueOutcome[];
    }>;
  }

  enqueueSpendingEach(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[],
  ): Promise<(EnqueueOutcome | 'spent')[]> {
    return this.enqueueWrite(envelopes, caps, tokens, true).then((r) => r.outcomes);
  }

  /**
   * One write: the tokens (if any) recorded spent, all or none, then the envelopes if they were
   * new; with `each`, token i pays for envelope i alone and a spent one refuses only its envelope.
   */
  private enqueueWrite(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[] | null,
    each = false,
  ): Promise<{ alreadySpent: number; outcomes: (EnqueueOutcome | 'spent')[] }> {
    const seqs = new Map<NewEnvelope, number>();
    const store = () => {
      seqs.clear();
      const spentBefore = tokens && each ? this.tokens.spendEachNow(tokens) : null;
      if (tokens && !each) {
        // Checked and recorded inside the write, so no concurrent spend (a write of the same group
        // commit, or another connection) can pass this check too: writes run one after another.
        const alreadySpent = this.tokens.spendNow(tokens);
        if (alreadySpent >= 0) return { alreadySpent, outcomes: [] as EnqueueOutcome[] };
      }
      const result: (EnqueueOutcome | 'spent')[] = [];
      // Each shared part is written with the first envelope stored that needs it, and its count
      // set once all are in: nothing is written for a part no recipient took.
      const sharedRows = new Map<SharedPayload, { id: Buffer; refs: number }>();
      for (const [i, e] of envelopes.entries()) {
        if (spentBefore?.[i]) {
          result.push('spent');
          continue;
        }
        const r = buf(e.recipientHash);
        const size = e.payload.byteLength + (e.shared?.bytes.byteLength ?? 0);
        const state = this.st.recipientState.get(r) as { regId: number | null; n: number; bytes: number };
        const regId = state.regId;
        if (regId === null) {
          result.push('noAccount');
          continue;
        }
        if (e.expectRegistrationId !== undefined && e.expectRegistrationId !== regId) {
          result.push('stale');
          continue;
        }
        if (state.n + 1 > caps.maxEnvelopes || state.bytes + size > caps.maxBytes) {
          result.push('full');
          continue;
        }
        let sharedId: Buffer | null = null;
        if (e.shared) {
          let row = sharedRows.get(e.shared);
          if (!row) {
            row = { id: randomBytes(16), refs: 0 };
            this.st.insertShared.run(row.id, buf(e.shared.bytes), 0, e.expiresAt);
            sharedRows.set(e.shared, row);
          }
          row.refs++;
          sharedId = row.id;
        }
        const seq = Number(
          this.st.insertEnvelope.run(e.id, r, buf(e.payload), size, e.expiresAt, sharedId).lastInsertRowid,
        );
        seqs.set(e, seq);
        this.st.bumpReceived.run(r);
        result.push('stored');
      }
      for (const row of sharedRows.values()) this.st.setRefs.run(row.refs, row.id);
      return { alreadySpent: -1, outcomes: result };
    };
    // Recipients are woken as soon as the commit is in the WAL, before the fsync: delivery needs
    // no durability (the recipient acknowledges after its own commit); only the sender's answer
    // does. Wakes leave in commit order (wakeQueue.ts), so one recipient's come in sequence order.
    // A multi-recipient send's many pushes wait until its sender has the answer (issue 13).
    const wakesOf = ({ outcomes: result }: { outcomes: (EnqueueOutcome | 'spent')[] }): Wake[] =>
      envelopes.flatMap((e, i) =>
        result[i] !== 'stored'
          ? []
          : [
              {
                hashHex: hex(e.recipientHash),
                envelope: {
                  seq: seqs.get(e)!,
                  id: e.id,
                  payload: e.shared ? Buffer.concat([e.payload, e.shared.bytes]) : e.payload,
                  expiresAt: e.expiresAt,
                },
              },
            ],
      );
    if (envelopes.length <= DEFER_WAKES_OVER) {
      return this.write(store, true, (stored) => this.wakeQueue.now(wakesOf(stored)));
    }
    let held: { release: () => void } | null = null;
    const written = this.write(store, true, (stored) => {
      held = this.wakeQueue.hold(wakesOf(stored));
    });
    // Released once the write settled (the fsync done or failed: the commit is in the WAL either
    // way); the drain starts on a later turn, after the sender's answer has gone out.
    const release = () => held?.release();
    written.then(release, release);
    return written;
  }

  async fetch(
    recipientHash: Uint8Array,
    afterSeq: number,
    limit: number,
    now: number,
  ): Promise<QueuedEnvelope[]> {
    const rows = this.st.fetchQueued.all(buf(recipientHash), afterSeq, now, limit) as {
      seq: number;
      id: string;
      payload: Buffer;
      shared_id: Buffer | null;
      shared: Buffer | null;
      expires_at: number;
    }[];
    return rows.flatMap((r) =>
      // A shared part is never missing while an envelope points at it; such a row is skipped.
      r.shared_id !== null && r.shared === null
        ? []
        : [
            {
              seq: r.seq,
              id: r.id,
              payload: r.shared ? Buffer.concat([r.payload, r.shared]) : r.payload,
              expiresAt: r.expires_at,
            },
          ],
    );
  }

  ack(recipientHash: Uint8Array, ids: string[]): Promise<number> {
    const r = buf(recipientHash);
    // Not fsynced: an acknowledgement lost to a power cut only means one redelivery, which the
    // client drops by envelope id.
    return this.write(() => {
      const shared: Buffer[] = [];
      let deleted = 0;
      for (const id of ids) {
        const row = this.st.ackOne.get(id, r) as { shared_id: Buffer | null } | undefined;
        if (!row) continue;
        deleted++;
        if (row.shared_id) shared.push(row.shared_id);
      }
      this.release(shared);
      return deleted;
    }, false);
  }

  async count(recipientHash: Uint8Array): Promise<number> {
    return this.st.countQueued.get(buf(recipientHash)) as number;
  }

  /** Inside a write: expired envelopes go, and the shared parts that expired with them; counts the envelopes. */
  purgeNow(now: number): number {
    const envelopes = this.st.purgeEnvelopes.run(now).changes;
    this.st.purgeShared.run(now);
    return envelopes;
  }
}

/**
 * Inside a write: each shared part named loses one reference per time it is named, and goes (its
 * bytes overwritten: secure_delete) once none is left.
 */
function sharedRelease(db: Database.Database): (sharedIds: Buffer[]) => void {
  const drop = db.prepare('UPDATE shared_payloads SET refs = refs - ? WHERE id = ?');
  const sweep = db.prepare('DELETE FROM shared_payloads WHERE id = ? AND refs <= 0');
  return (sharedIds) => {
    const counts = new Map<string, { id: Buffer; n: number }>();
    for (const id of sharedIds) {
      const key = id.toString('hex');
      const entry = counts.get(key) ?? { id, n: 0 };
      entry.n++;
      counts.set(key, entry);
    }
    for (const { id, n } of counts.values()) {
      drop.run(n, id);
      sweep.run(id);
    }
  };
}

/** Inside a write, before an account's envelopes are deleted: their shared parts lose their references. */
export function releaseSharedOf(db: Database.Database, recipientHash: Buffer): void {
  const ids = db
    .prepare('SELECT shared_id FROM envelopes WHERE recipient_hash = ? AND shared_id IS NOT NULL')
    .pluck()
    .all(recipientHash) as Buffer[];
  sharedRelease(db)(ids);
}
