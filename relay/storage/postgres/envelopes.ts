// The PostgreSQL backend's envelope queues: enqueue under each recipient's caps (with the tokens of
// a send without identity spent in the same transaction), fetch, acknowledge, count and expire; a
// stored envelope NOTIFYs its recipient inside the transaction, so every node hears of it on commit.
// A multi-recipient send's shared part is stored once (shared_payloads) and counted down as its
// envelopes go.
import type pg from 'pg';
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
import { buf, hex, type PgDb } from './db';
import { AlreadySpent, insertSpent, insertSpentEach } from './tokens';

export class PgEnvelopes {
  constructor(
    private readonly db: PgDb,
    private readonly channel: string,
    private readonly wakes: EventEmitter,
  ) {}

  async enqueue(envelopes: NewEnvelope[], caps: QueueCaps): Promise<EnqueueOutcome[]> {
    // 'spent' comes only with `each`.
    return (await this.enqueueTx(envelopes, caps, null)).outcomes as EnqueueOutcome[];
  }

  async enqueueSpending(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[],
  ): Promise<{ alreadySpent: number; outcomes: EnqueueOutcome[] }> {
    try {
      return (await this.enqueueTx(envelopes, caps, tokens)) as {
        alreadySpent: number;
        outcomes: EnqueueOutcome[];
      };
    } catch (error) {
      // Thrown inside the transaction so it rolls back: no token and no envelope written.
      if (error instanceof AlreadySpent) return { alreadySpent: error.index, outcomes: [] };
      throw error;
    }
  }

  async enqueueSpendingEach(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[],
  ): Promise<(EnqueueOutcome | 'spent')[]> {
    return (await this.enqueueTx(envelopes, caps, tokens, true)).outcomes;
  }

  /**
   * One transaction: the tokens (if any) recorded spent, all or none, then the envelopes; with
   * `each`, token i pays for envelope i alone and a spent one refuses only its envelope.
   */
  private async enqueueTx(
    envelopes: NewEnvelope[],
    caps: QueueCaps,
    tokens: readonly SpentToken[] | null,
    each = false,
  ): Promise<{ alreadySpent: number; outcomes: (EnqueueOutcome | 'spent')[] }> {
    const woken = new Set<string>();
    const outcomes = await this.db.tx(async (c) => {
      const spentBefore = tokens && each ? await insertSpentEach(c, tokens) : null;
      if (tokens && !each) await insertSpent(c, tokens);
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
        if (Number(usage.n) + 1 > caps.maxEnvelopes || Number(usage.bytes) + size > caps.maxBytes) {
          result.push('full');
          continue;
        }
        let sharedId: Buffer | null = null;
        if (e.shared) {
          let row = sharedRows.get(e.shared);
          if (!row) {
            row = { id: randomBytes(16), refs: 0 };
            await c.query(
              'INSERT INTO shared_payloads (id, payload, refs, expires_at) VALUES ($1, $2, 0, $3)',
              [row.id, buf(e.shared.bytes), e.expiresAt],
            );
            sharedRows.set(e.shared, row);
          }
          row.refs++;
          sharedId = row.id;
        }
        await c.query(
          'INSERT INTO envelopes (id, recipient_hash, payload, size, expires_at, shared_id) VALUES ($1, $2, $3, $4, $5, $6)',
          [e.id, r, buf(e.payload), size, e.expiresAt, sharedId],
        );
        await c.query('UPDATE accounts SET messages_received = messages_received + 1 WHERE id_hash = $1', [
          r,
        ]);
        woken.add(hex(e.recipientHash));
        result.push('stored');
      }
      for (const row of sharedRows.values())
        await c.query('UPDATE shared_payloads SET refs = $1 WHERE id = $2', [row.refs, row.id]);
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
    const rows = await this.db.q<{
      seq: string;
      id: string;
      payload: Buffer;
      shared_id: Buffer | null;
      shared: Buffer | null;
      expires_at: string;
    }>(
      `SELECT e.seq, e.id, e.payload, e.shared_id, s.payload AS shared, e.expires_at FROM envelopes e
         LEFT JOIN shared_payloads s ON s.id = e.shared_id
         WHERE e.recipient_hash = $1 AND e.seq > $2 AND e.expires_at > $3 ORDER BY e.seq LIMIT $4`,
      [buf(recipientHash), afterSeq, now, limit],
    );
    return rows.flatMap((r) =>
      // A shared part is never missing while an envelope points at it; such a row is skipped.
      r.shared_id !== null && r.shared === null
        ? []
        : [
            {
              seq: Number(r.seq),
              id: r.id,
              payload: r.shared ? Buffer.concat([r.payload, r.shared]) : r.payload,
              expiresAt: Number(r.expires_at),
            },
          ],
    );
  }

  async ack(recipientHash: Uint8Array, ids: string[]): Promise<number> {
    return this.db.tx(async (c) => {
      const { rows } = await c.query<{ shared_id: Buffer | null }>(
        'DELETE FROM envelopes WHERE recipient_hash = $1 AND id = ANY($2::text[]) RETURNING shared_id',
        [buf(recipientHash), ids],
      );
      await releaseShared(
        c,
        rows.flatMap((r) => (r.shared_id ? [r.shared_id] : [])),
      );
      return rows.length;
    });
  }

  async count(recipientHash: Uint8Array): Promise<number> {
    const [row] = await this.db.q<{ n: string }>(
      'SELECT COUNT(*) AS n FROM envelopes WHERE recipient_hash = $1',
      [buf(recipientHash)],
    );
    return Number(row?.n ?? 0);
  }

  /** Inside a transaction: expired envelopes go, and the shared parts that expired with them; counts the envelopes. */
  async purgeIn(c: pg.PoolClient, now: number): Promise<number> {
    const envelopes = (await c.query('DELETE FROM envelopes WHERE expires_at <= $1', [now])).rowCount ?? 0;
    // Every envelope of a shared part has its deadline; one left without references goes too.
    await c.query('DELETE FROM shared_payloads WHERE expires_at <= $1 OR refs <= 0', [now]);
    return envelopes;
  }
}

/**
 * Inside a transaction: each shared part named loses one reference per time it is named, and goes
 * once none is left. One row at a time in a fixed order: the row lock makes concurrent acks of the
 * same part (on any node) count down one after the other, and the order keeps them from deadlocking.
 */
export async function releaseShared(c: pg.PoolClient, sharedIds: Buffer[]): Promise<void> {
  const counts = new Map<string, number>();
  for (const id of sharedIds) counts.set(id.toString('hex'), (counts.get(id.toString('hex')) ?? 0) + 1);
  for (const key of [...counts.keys()].sort()) {
    const id = Buffer.from(key, 'hex');
    const { rows } = await c.query<{ refs: number }>(
      'UPDATE shared_payloads SET refs = refs - $1 WHERE id = $2 RETURNING refs',
      [counts.get(key), id],
    );
    if (rows[0] && rows[0].refs <= 0) await c.query('DELETE FROM shared_payloads WHERE id = $1', [id]);
  }
}

/** Inside a transaction, before an account's envelopes are deleted: their shared parts lose their references. */
export async function releaseSharedOf(c: pg.PoolClient, recipientHash: Buffer): Promise<void> {
  const { rows } = await c.query<{ shared_id: Buffer }>(
    'SELECT shared_id FROM envelopes WHERE recipient_hash = $1 AND shared_id IS NOT NULL',
    [recipientHash],
  );
  await releaseShared(
    c,
    rows.map((r) => r.shared_id),
  );
}
