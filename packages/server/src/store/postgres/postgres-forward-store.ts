import pg from 'pg';
import { TamgaError } from '@tamga/core';
import type { Destination } from '../../forward/destination.js';
import { MAX_REASON_LENGTH } from '../../forward/forward-store.js';
import type { DeadLetter, DeliveryProgress, DeliveryStatus, ForwardStore, LogCursor } from '../../forward/forward-store.js';
import { destinationExists, settingsText, statusParams, toDeadLetter, toDestination, toStatus } from '../forward-rows.js';
import type { DeadLetterRow, DestinationRow, StatusRow } from '../forward-rows.js';
import { POSTGRES_FORWARD_SCHEMA } from './postgres-forward-schema.js';
import { inPostgresTransaction, wrapPostgresError } from './postgres-errors.js';
import type { PostgresJournalStore } from './postgres-journal-store.js';
import { SCHEMA_LOCK_CLASS } from './postgres-schema.js';

/** Advisory lock key (first half) of the lead of one forwarding destination: 'TMGF'. */
export const FORWARD_LOCK_CLASS = 0x544d4746;

/** How long a held lead is trusted without asking the lead session whether it is still alive, ms. */
const LEAD_CHECK_MS = 1_000;

/**
 * Forwarding destinations, cursors, counts and dead letters in the journal's PostgreSQL schema, on the journal
 * store's pool. Several nodes share them; exactly one delivers each destination: the node that holds the
 * destination's session-level advisory lock on its lead session (a dedicated connection outside the pool, the same
 * mechanism as checkpoint signing). When that node dies its session ends, the locks go, and the next node to ask
 * takes the destination over from its stored cursor.
 */
export class PostgresForwardStore implements ForwardStore {
  readonly kind = 'postgres';
  readonly #pool: pg.Pool;
  readonly #schema: string;
  /** Dedicated session holding the destinations' locks. */
  #lead: pg.Client | undefined;
  readonly #held = new Set<string>();
  #checkedAt = 0;
  #leadQueue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(pool: pg.Pool, schema: string) {
    this.#pool = pool;
    this.#schema = schema;
  }

  /** Creates the forwarding tables when missing (in the journal store's schema) and returns the store. */
  static async open(journalStore: PostgresJournalStore): Promise<PostgresForwardStore> {
    const store = new PostgresForwardStore(journalStore.pool, journalStore.schema);
    try {
      await inPostgresTransaction(journalStore.pool, async (client) => {
        // Same lock as the journal's migration: CREATE … IF NOT EXISTS is not safe against a concurrent create.
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SCHEMA_LOCK_CLASS, journalStore.schema]);
        await client.query(POSTGRES_FORWARD_SCHEMA);
      });
    } catch (error) {
      throw wrapPostgresError(error, 'create the forwarding tables');
    }
    return store;
  }

  async #query<R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.#pool.query<R>(sql, params)).rows;
    } catch (error) {
      throw wrapPostgresError(error, what);
    }
  }

  async #transaction<T>(what: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    try {
      return await inPostgresTransaction(this.#pool, fn);
    } catch (error) {
      if (error instanceof TamgaError) throw error;
      throw wrapPostgresError(error, what);
    }
  }

  async #lockNames(client: pg.PoolClient, name: string, id: string): Promise<void> {
    // Serializes changes of destinations, so the name check and the write see the same table.
    await client.query('SELECT revision FROM forward_revision WHERE id = 1 FOR UPDATE');
    const taken = await client.query('SELECT 1 FROM forward_destinations WHERE name = $1 AND id <> $2', [name, id]);
    if (taken.rowCount !== 0) throw destinationExists(name);
  }

  listDestinations(): Promise<Destination[]> {
    return this.#query<DestinationRow>('list forwarding destinations', 'SELECT * FROM forward_destinations ORDER BY name').then((rows) => rows.map(toDestination));
  }

  async getDestination(id: string): Promise<Destination | undefined> {
    const [row] = await this.#query<DestinationRow>('read a forwarding destination', 'SELECT * FROM forward_destinations WHERE id = $1', [id]);
    return row && toDestination(row);
  }

  createDestination(d: Destination, cursors: readonly LogCursor[]): Promise<void> {
    return this.#transaction('store a forwarding destination', async (client) => {
      await this.#lockNames(client, d.name, d.id);
      await client.query(
        'INSERT INTO forward_destinations (id, name, settings, origin, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [d.id, d.name, settingsText(d), d.origin, d.version, d.createdAt, d.updatedAt],
      );
      if (cursors.length > 0) {
        await client.query(
          'INSERT INTO forward_cursors (destination_id, log_id, next_seq) SELECT $1, * FROM unnest($2::bigint[], $3::bigint[])',
          [d.id, cursors.map((c) => c.logId), cursors.map((c) => c.nextSeq)],
        );
      }
      await client.query('UPDATE forward_revision SET revision = revision + 1 WHERE id = 1');
    });
  }

  updateDestination(d: Destination): Promise<boolean> {
    return this.#transaction('change a forwarding destination', async (client) => {
      await this.#lockNames(client, d.name, d.id);
      const result = await client.query(
        'UPDATE forward_destinations SET name = $1, settings = $2, origin = $3, version = $4, updated_at = $5 WHERE id = $6',
        [d.name, settingsText(d), d.origin, d.version, d.updatedAt, d.id],
      );
      if (result.rowCount === 0) return false;
      await client.query('UPDATE forward_revision SET revision = revision + 1 WHERE id = 1');
      return true;
    });
  }

  deleteDestination(id: string): Promise<boolean> {
    return this.#transaction('delete a forwarding destination', async (client) => {
      await client.query('SELECT revision FROM forward_revision WHERE id = 1 FOR UPDATE');
      const result = await client.query('DELETE FROM forward_destinations WHERE id = $1', [id]);
      await client.query('DELETE FROM forward_cursors WHERE destination_id = $1', [id]);
      await client.query('DELETE FROM forward_status WHERE destination_id = $1', [id]);
      if (result.rowCount === 0) return false;
      await client.query('UPDATE forward_revision SET revision = revision + 1 WHERE id = 1');
      return true;
    });
  }

  async getCursors(id: string): Promise<LogCursor[]> {
    const rows = await this.#query<{ log_id: number; next_seq: number }>(
      'read forwarding cursors',
      'SELECT log_id, next_seq FROM forward_cursors WHERE destination_id = $1 ORDER BY log_id',
      [id],
    );
    return rows.map((r) => ({ logId: Number(r.log_id), nextSeq: Number(r.next_seq) }));
  }

  saveProgress(id: string, p: DeliveryProgress): Promise<void> {
    return this.#transaction('save forwarding progress', async (client) => {
      // A destination deleted meanwhile keeps nothing (FOR SHARE: a delete waits for this save, or this save for it).
      const exists = await client.query('SELECT 1 FROM forward_destinations WHERE id = $1 FOR SHARE', [id]);
      if (exists.rowCount === 0) return;
      if (p.cursors.length > 0) {
        await client.query(
          `INSERT INTO forward_cursors (destination_id, log_id, next_seq) SELECT $1, * FROM unnest($2::bigint[], $3::bigint[])
           ON CONFLICT (destination_id, log_id) DO UPDATE SET next_seq = GREATEST(forward_cursors.next_seq, excluded.next_seq)`,
          [id, p.cursors.map((c) => c.logId), p.cursors.map((c) => c.nextSeq)],
        );
      }
      if (p.deadLetters.length > 0) {
        const d = p.deadLetters;
        await client.query(
          `INSERT INTO forward_dead_letters (destination_id, log_id, seq, record_id, event, tenant_id, reason, created_at)
           SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::int[], $6::text[], $7::text[], $8::bigint[])`,
          [
            id,
            d.map((l) => l.logId),
            d.map((l) => l.seq),
            d.map((l) => l.recordId),
            d.map((l) => l.event),
            d.map((l) => l.tenantId),
            d.map((l) => l.reason.slice(0, MAX_REASON_LENGTH)),
            d.map((l) => l.at),
          ],
        );
      }
      const s = statusParams(id, p);
      await client.query(
        `INSERT INTO forward_status AS s (destination_id, delivered, skipped, dead_lettered, failures, last_delivered_at, last_error_at, last_error,
           down_since, node_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (destination_id) DO UPDATE SET
           delivered = s.delivered + excluded.delivered, skipped = s.skipped + excluded.skipped,
           dead_lettered = s.dead_lettered + excluded.dead_lettered, failures = s.failures + excluded.failures,
           last_delivered_at = CASE WHEN $12 = 1 THEN excluded.last_delivered_at ELSE s.last_delivered_at END,
           last_error_at = CASE WHEN $13 = 1 THEN excluded.last_error_at ELSE s.last_error_at END,
           last_error = CASE WHEN $13 = 1 THEN excluded.last_error ELSE s.last_error END,
           down_since = CASE WHEN $14 = 1 THEN excluded.down_since ELSE s.down_since END,
           node_id = excluded.node_id, updated_at = excluded.updated_at`,
        [s.id, s.delivered, s.skipped, s.deadLettered, s.failures, s.lastDeliveredAt, s.lastErrorAt, s.lastError, s.downSince, s.nodeId, s.at, s.setDelivered, s.setError, s.setDown],
      );
    });
  }

  async getStatus(id: string): Promise<DeliveryStatus> {
    const [row] = await this.#query<StatusRow>('read forwarding status', 'SELECT * FROM forward_status WHERE destination_id = $1', [id]);
    return toStatus(row);
  }

  async listDeadLetters(id: string, limit: number, afterId = 0): Promise<DeadLetter[]> {
    const rows = await this.#query<DeadLetterRow>(
      'list dead letters',
      'SELECT * FROM forward_dead_letters WHERE destination_id = $1 AND id > $2 ORDER BY id LIMIT $3',
      [id, afterId, limit],
    );
    return rows.map(toDeadLetter);
  }

  async revision(): Promise<number> {
    const [row] = await this.#query<{ revision: number }>('read the forwarding revision', 'SELECT revision FROM forward_revision WHERE id = 1');
    return Number(row?.revision ?? 0);
  }

  /**
   * Whether this process delivers the destination: it holds, or now takes, the destination's advisory lock on the
   * lead session. A held lock is trusted for {@link LEAD_CHECK_MS}; then the session is asked whether it is still
   * alive (a lost connection lost every lock with it).
   *
   * @throws StoreError `STORE_UNAVAILABLE` when the database cannot be reached.
   */
  tryLeadDestination(id: string): Promise<boolean> {
    const next = this.#leadQueue.then(() => this.#tryLead(id));
    this.#leadQueue = next.catch(() => undefined);
    return next;
  }

  async #tryLead(id: string): Promise<boolean> {
    if (this.#closed) return false;
    try {
      if (this.#lead !== undefined && Date.now() - this.#checkedAt > LEAD_CHECK_MS) {
        await this.#lead.query('SELECT 1');
        this.#checkedAt = Date.now();
      }
      if (this.#held.has(id) && this.#lead !== undefined) return true;
      if (this.#lead === undefined) {
        const client = new pg.Client(this.#pool.options);
        client.on('error', () => {
          if (this.#lead === client) this.#dropLead();
        });
        this.#lead = client;
        await client.connect();
        this.#checkedAt = Date.now();
      }
      const result = await this.#lead.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [
        FORWARD_LOCK_CLASS,
        `${this.#schema}/${id}`,
      ]);
      const locked = result.rows[0]!.locked;
      if (locked) this.#held.add(id);
      return locked;
    } catch (error) {
      this.#dropLead();
      throw wrapPostgresError(error, 'take the lead of a forwarding destination');
    }
  }

  releaseDestination(id: string): Promise<void> {
    const next = this.#leadQueue.then(async () => {
      if (!this.#held.delete(id) || this.#lead === undefined) return;
      await this.#lead.query('SELECT pg_advisory_unlock($1, hashtext($2))', [FORWARD_LOCK_CLASS, `${this.#schema}/${id}`]).catch(() => this.#dropLead());
    });
    this.#leadQueue = next.catch(() => undefined);
    return next;
  }

  #dropLead(): void {
    const client = this.#lead;
    this.#lead = undefined;
    this.#held.clear();
    if (client !== undefined) void client.end().catch(() => undefined);
  }

  /** Ends the lead session: every destination it led is free for another node at once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#leadQueue;
    const lead = this.#lead;
    this.#lead = undefined;
    this.#held.clear();
    await lead?.end().catch(() => undefined);
  }
}
