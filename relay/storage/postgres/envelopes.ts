// The PostgreSQL backend's envelope queues: enqueue under each recipient's caps (with the tokens of
// a send without identity spent in the same transaction), fetch, acknowledge, count and expire; a
// stored envelope NOTIFYs its recipient inside the transaction, so every node hears of it on commit.
import type pg from 'pg';
import type { EventEmitter } from 'node:events';
import type { EnqueueOutcome, NewEnvelope, QueueCaps, QueuedEnvelope, SpentToken } from '../types';
import { buf, hex, type PgDb } from './db';
import { AlreadySpent, insertSpent } from './tokens';

export class PgEnvelopes {
  constructor(
    private readonly db: PgDb,
    private readonly channel: string,
    private readonly wakes: EventEmitter,
  ) {}

  async enqueue(envelopes: NewEnvelope[], caps: QueueCaps): Promise<EnqueueOutcome[]> {
    return (await this.enqueueTx(envelopes, caps, null)).outcomes;
  }

  async enqueueSpending(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[],
  ): Promise<{ alreadySpent: number; outcomes: EnqueueOutcome[] }> {
    try {
      return await this.enqueueTx(envelopes, caps, tokens);
    } catch (error) {
      // Thrown inside the transaction so it rolls back: no token and no envelope written.
      if (error instanceof AlreadySpent) return { alreadySpent: error.index, outcomes: [] };
      throw error;
    }
  }

  /** One transaction: the tokens (if any) recorded spent, all or none, then the envelopes. */
  private async enqueueTx(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[] | null,
  ): Promise<{ alreadySpent: number; outcomes: EnqueueOutcome[] }> {
    const woken = new Set<string>();
    const outcomes = await this.db.tx(async (c) => {
      if (tokens) await insertSpent(c, tokens);
      const result: EnqueueOutcome[] = [];
      for (const e of envelopes) {
        const r = buf(e.recipientHash);
        const acct = (
          await c.query<{ registration_id: number }>(
            'SELECT registration_id FROM accounts WHERE id_hash = $1',
            [r],
          )
        ).rows[0];
        if (!acct) {
          result.push('noAccount');
          continue;
        }
        if (e.expectRegistrationId !== undefined && e.expectRegistrationId !== acct.registration_id) {
          result.push('stale');
          continue;
        }
        const usage = (
          await c.query<{ n: string; bytes: string }>(
            'SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM envelopes WHERE recipient_hash = $1',
            [r],
          )
        ).rows[0]!;
        if (
          Number(usage.n) + 1 > caps.maxEnvelopes ||
          Number(usage.bytes) + e.payload.byteLength > caps.maxBytes
        ) {
          result.push('full');
          continue;
        }
        await c.query(
          'INSERT INTO envelopes (id, recipient_hash, payload, size, expires_at) VALUES ($1, $2, $3, $4, $5)',
          [e.id, r, buf(e.payload), e.payload.byteLength, e.expiresAt],
        );
        await c.query('UPDATE accounts SET messages_received = messages_received + 1 WHERE id_hash = $1', [
          r,
        ]);
        woken.add(hex(e.recipientHash));
        result.push('stored');
      }
      // NOTIFY inside the transaction is delivered only if it commits.
      for (const h of woken) await c.query('SELECT pg_notify($1, $2)', [this.channel, h]);
      return result;
    });
    for (const h of woken) this.wakes.emit('wake', h);
    return { alreadySpent: -1, outcomes };
  }

  async fetch(
    recipientHash: Uint8Array,
    afterSeq: number,
    limit: number,
    now: number,
  ): Promise<QueuedEnvelope[]> {
    const rows = await this.db.q<{ seq: string; id: string; payload: Buffer; expires_at: string }>(
      `SELECT seq, id, payload, expires_at FROM envelopes
         WHERE recipient_hash = $1 AND seq > $2 AND expires_at > $3 ORDER BY seq LIMIT $4`,
      [buf(recipientHash), afterSeq, now, limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      id: r.id,
      payload: r.payload,
      expiresAt: Number(r.expires_at),
    }));
  }

  async ack(recipientHash: Uint8Array, ids: string[]): Promise<number> {
    const res = await this.db.pool.query(
      'DELETE FROM envelopes WHERE recipient_hash = $1 AND id = ANY($2::text[])',
      [buf(recipientHash), ids],
    );
    return res.rowCount ?? 0;
  }

  async count(recipientHash: Uint8Array): Promise<number> {
    const [row] = await this.db.q<{ n: string }>(
      'SELECT COUNT(*) AS n FROM envelopes WHERE recipient_hash = $1',
      [buf(recipientHash)],
    );
    return Number(row?.n ?? 0);
  }

  /** Inside a transaction: expired envelopes go; counts them. */
  async purgeIn(c: pg.PoolClient, now: number): Promise<number> {
    return (await c.query('DELETE FROM envelopes WHERE expires_at <= $1', [now])).rowCount ?? 0;
  }
}
