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

/** A commit waking more recipients than this wakes them on a later turn (as sqlite/wakeQueue.ts). */
const DEFER_WAKES_OVER = 16;

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
      // A few statements for the whole batch, not four round trips per envelope: a room of 499
      // is one read of the recipients' states and one insert of its envelopes (issue 13). Caps
      // count the envelopes of this batch as they are taken, as one-by-one inserts would.
      const states = new Map<string, { regId: number; n: number; bytes: number }>();
      const distinct = [...new Set(envelopes.map((e) => hex(e.recipientHash)))];
      if (distinct.length > 0) {
        const rows = (
          await c.query<{ id_hash: Buffer; registration_id: number; n: string; bytes: string }>(
            `SELECT a.id_hash, a.registration_id, q.n, q.bytes FROM accounts a
               CROSS JOIN LATERAL (SELECT COUNT(*) AS n, COALESCE(SUM(e.size), 0) AS bytes
                 FROM envelopes e WHERE e.recipient_hash = a.id_hash) q
               WHERE a.id_hash = ANY($1::bytea[])`,
            [distinct.map((h) => Buffer.from(h, 'hex'))],
          )
        ).rows;
        for (const row of rows) {
          states.set(row.id_hash.toString('hex'), {
            regId: row.registration_id,
            n: Number(row.n),
            bytes: Number(row.bytes),
          });
        }
      }
      const result: (EnqueueOutcome | 'spent')[] = [];
      // Each shared part is written once, with its count, if some recipient took it.
      const sharedRows = new Map<SharedPayload, { id: Buffer; refs: number; expiresAt: number }>();
      const rows = {
        id: [] as string[],
        hash: [] as Buffer[],
        payload: [] as Buffer[],
        size: [] as number[],
        expiresAt: [] as number[],
        sharedId: [] as (Buffer | null)[],
      };
      const received = new Map<string, number>();
      for (const [i, e] of envelopes.entries()) {
        if (spentBefore?.[i]) {
          result.push('spent');
          continue;
        }
        const h = hex(e.recipientHash);
        const size = e.payload.byteLength + (e.shared?.bytes.byteLength ?? 0);
        const state = states.get(h);
        if (!state) {
          result.push('noAccount');
          continue;
        }
        if (e.expectRegistrationId !== undefined && e.expectRegistrationId !== state.regId) {
          result.push('stale');
          continue;
        }
        if (state.n + 1 > caps.maxEnvelopes || state.bytes + size > caps.maxBytes) {
          result.push('full');
          continue;
        }
        state.n += 1;
        state.bytes += size;
        let sharedId: Buffer | null = null;
        if (e.shared) {
          let row = sharedRows.get(e.shared);
          if (!row) {
            row = { id: randomBytes(16), refs: 0, expiresAt: e.expiresAt };
            sharedRows.set(e.shared, row);
          }
          row.refs++;
          sharedId = row.id;
        }
        rows.id.push(e.id);
        rows.hash.push(buf(e.recipientHash));
        rows.payload.push(buf(e.payload));
        rows.size.push(size);
        rows.expiresAt.push(e.expiresAt);
        rows.sharedId.push(sharedId);
        received.set(h, (received.get(h) ?? 0) + 1);
        woken.add(h);
        result.push('stored');
      }
      for (const [shared, row] of sharedRows) {
        await c.query('INSERT INTO shared_payloads (id, payload, refs, expires_at) VALUES ($1, $2, $3, $4)', [
          row.id,
          buf(shared.bytes),
          row.refs,
          row.expiresAt,
        ]);
      }
      if (rows.id.length > 0) {
        // In the batch's order, so one recipient's envelopes get their sequence numbers in order.
        await c.query(
          `INSERT INTO envelopes (id, recipient_hash, payload, size, expires_at, shared_id)
             SELECT id, recipient_hash, payload, size, expires_at, shared_id
               FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::int[], $5::bigint[], $6::bytea[])
                 WITH ORDINALITY AS t(id, recipient_hash, payload, size, expires_at, shared_id, n)
               ORDER BY n`,
          [rows.id, rows.hash, rows.payload, rows.size, rows.expiresAt, rows.sharedId],
        );
        await c.query(
          `UPDATE accounts a SET messages_received = a.messages_received + r.n
             FROM unnest($1::bytea[], $2::int[]) AS r(h, n) WHERE a.id_hash = r.h`,
          [[...received.keys()].map((h) => Buffer.from(h, 'hex')), [...received.values()]],
        );
        // NOTIFY inside the transaction is delivered only if it commits.
        await c.query('SELECT pg_notify($1, h) FROM unnest($2::text[]) AS h', [this.channel, [...woken]]);
      }
      return result;
    });
    // A multi-recipient send's many wakes (each a queue read) start after its sender's answer.
    const wake = () => {
      for (const h of woken) this.wakes.emit('wake', h);
    };
    if (woken.size > DEFER_WAKES_OVER) setImmediate(wake);
    else wake();
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
