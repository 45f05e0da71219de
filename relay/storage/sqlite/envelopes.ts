// The SQLite backend's envelope queues: enqueue under each recipient's caps (with the tokens of a
// send without identity spent in the same write), fetch, acknowledge, count and expire, and the
// wakes that push a stored envelope to its recipient's connection.
import type Database from 'better-sqlite3-multiple-ciphers';
import type { EventEmitter } from 'node:events';
import type { EnqueueOutcome, NewEnvelope, QueueCaps, QueuedEnvelope, SpentToken } from '../types';
import { buf, hex } from './bytes';
import type { SqliteTokens } from './tokens';
import type { Write } from './writer';

export class SqliteEnvelopes {
  private readonly st;

  constructor(
    db: Database.Database,
    private readonly write: Write,
    private readonly tokens: SqliteTokens,
    private readonly wakes: EventEmitter,
  ) {
    this.st = {
      // One statement per stored envelope instead of two: the recipient's registration id (NULL
      // when there is no such account) and its queue usage.
      recipientState: db.prepare(
        `SELECT a.registration_id AS regId, COUNT(e.seq) AS n, COALESCE(SUM(e.size), 0) AS bytes
           FROM accounts a LEFT JOIN envelopes e ON e.recipient_hash = a.id_hash WHERE a.id_hash = ?`,
      ),
      insertEnvelope: db.prepare(
        'INSERT INTO envelopes (id, recipient_hash, payload, size, expires_at) VALUES (?, ?, ?, ?, ?)',
      ),
      bumpReceived: db.prepare(
        'UPDATE accounts SET messages_received = messages_received + 1 WHERE id_hash = ?',
      ),
      fetchQueued: db.prepare(
        `SELECT seq, id, payload, expires_at FROM envelopes
           WHERE recipient_hash = ? AND seq > ? AND expires_at > ? ORDER BY seq LIMIT ?`,
      ),
      ackOne: db.prepare('DELETE FROM envelopes WHERE id = ? AND recipient_hash = ?'),
      countQueued: db.prepare('SELECT COUNT(*) FROM envelopes WHERE recipient_hash = ?').pluck(),
      purgeEnvelopes: db.prepare('DELETE FROM envelopes WHERE expires_at <= ?'),
    };
  }

  async enqueue(envelopes: NewEnvelope[], caps: QueueCaps): Promise<EnqueueOutcome[]> {
    return (await this.enqueueWrite(envelopes, caps, null)).outcomes;
  }

  enqueueSpending(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[],
  ): Promise<{ alreadySpent: number; outcomes: EnqueueOutcome[] }> {
    return this.enqueueWrite(envelopes, caps, tokens);
  }

  /** One write: the tokens (if any) recorded spent, all or none, then the envelopes if they were new. */
  private enqueueWrite(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[] | null,
  ): Promise<{ alreadySpent: number; outcomes: EnqueueOutcome[] }> {
    const seqs = new Map<NewEnvelope, number>();
    const store = () => {
      seqs.clear();
      if (tokens) {
        // Checked and recorded inside the write, so no concurrent spend (a write of the same group
        // commit, or another connection) can pass this check too: writes run one after another.
        const alreadySpent = this.tokens.spendNow(tokens);
        if (alreadySpent >= 0) return { alreadySpent, outcomes: [] as EnqueueOutcome[] };
      }
      const result: EnqueueOutcome[] = [];
      for (const e of envelopes) {
        const r = buf(e.recipientHash);
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
        if (state.n + 1 > caps.maxEnvelopes || state.bytes + e.payload.byteLength > caps.maxBytes) {
          result.push('full');
          continue;
        }
        const seq = Number(
          this.st.insertEnvelope.run(e.id, r, buf(e.payload), e.payload.byteLength, e.expiresAt)
            .lastInsertRowid,
        );
        seqs.set(e, seq);
        this.st.bumpReceived.run(r);
        result.push('stored');
      }
      return { alreadySpent: -1, outcomes: result };
    };
    // Recipients are woken as soon as the commit is in the WAL, before the fsync: delivery needs
    // no durability (the recipient acknowledges after its own commit); only the sender's answer
    // does. Flushes run in commit order, so wakes for one recipient come in sequence order.
    const wake = ({ outcomes: result }: { outcomes: EnqueueOutcome[] }) =>
      envelopes.forEach((e, i) => {
        if (result[i] !== 'stored') return;
        this.wakes.emit('wake', hex(e.recipientHash), {
          seq: seqs.get(e)!,
          id: e.id,
          payload: e.payload,
          expiresAt: e.expiresAt,
        });
      });
    return this.write(store, true, wake);
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
      expires_at: number;
    }[];
    return rows.map((r) => ({ seq: r.seq, id: r.id, payload: r.payload, expiresAt: r.expires_at }));
  }

  ack(recipientHash: Uint8Array, ids: string[]): Promise<number> {
    const r = buf(recipientHash);
    // Not fsynced: an acknowledgement lost to a power cut only means one redelivery, which the
    // client drops by envelope id.
    return this.write(() => {
      let deleted = 0;
      for (const id of ids) deleted += this.st.ackOne.run(id, r).changes;
      return deleted;
    }, false);
  }

  async count(recipientHash: Uint8Array): Promise<number> {
    return this.st.countQueued.get(buf(recipientHash)) as number;
  }

  /** Inside a write: expired envelopes go; counts them. */
  purgeNow(now: number): number {
    return this.st.purgeEnvelopes.run(now).changes;
  }
}
