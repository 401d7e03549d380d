import type Database from 'better-sqlite3';
import { TamgaError } from '@tamga/core';
import type { Destination } from '../../forward/destination.js';
import { MAX_REASON_LENGTH } from '../../forward/forward-store.js';
import type { DeadLetter, DeliveryProgress, DeliveryStatus, ForwardStore, LogCursor } from '../../forward/forward-store.js';
import { destinationExists, settingsText, statusParams, toDeadLetter, toDestination, toStatus } from '../forward-rows.js';
import type { DeadLetterRow, DestinationRow, StatusRow } from '../forward-rows.js';
import { wrapSqliteError } from './sqlite-errors.js';
import { SQLITE_FORWARD_SCHEMA } from './sqlite-forward-schema.js';
import type { SqliteJournalStore } from './sqlite-journal-store.js';

/**
 * Forwarding destinations, cursors, counts and dead letters in the journal's SQLite file, on the journal store's
 * connection ({@link SqliteJournalStore.database}). One process writes the file, so it always delivers every
 * destination (no lead to take).
 */
export class SqliteForwardStore implements ForwardStore {
  readonly kind = 'sqlite';
  readonly #db: Database.Database;

  /** Creates the forwarding tables when missing, on the journal store's connection. */
  constructor(journalStore: SqliteJournalStore) {
    this.#db = journalStore.database;
    try {
      this.#db.exec(SQLITE_FORWARD_SCHEMA);
    } catch (error) {
      throw wrapSqliteError(error, 'create the forwarding tables');
    }
  }

  #run<T>(what: string, fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      if (error instanceof TamgaError) return Promise.reject(error);
      return Promise.reject(wrapSqliteError(error, what));
    }
  }

  #bumpRevision(): void {
    this.#db.prepare('UPDATE forward_revision SET revision = revision + 1 WHERE id = 1').run();
  }

  #nameTaken(name: string, id: string): boolean {
    return this.#db.prepare('SELECT 1 FROM forward_destinations WHERE name = ? AND id <> ?').get(name, id) !== undefined;
  }

  listDestinations(): Promise<Destination[]> {
    return this.#run('list forwarding destinations', () =>
      (this.#db.prepare('SELECT * FROM forward_destinations ORDER BY name').all() as DestinationRow[]).map(toDestination),
    );
  }

  getDestination(id: string): Promise<Destination | undefined> {
    return this.#run('read a forwarding destination', () => {
      const row = this.#db.prepare('SELECT * FROM forward_destinations WHERE id = ?').get(id) as DestinationRow | undefined;
      return row && toDestination(row);
    });
  }

  createDestination(d: Destination, cursors: readonly LogCursor[]): Promise<void> {
    return this.#run('store a forwarding destination', () =>
      this.#db.transaction(() => {
        if (this.#nameTaken(d.name, d.id)) throw destinationExists(d.name);
        this.#db
          .prepare('INSERT INTO forward_destinations (id, name, settings, origin, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(d.id, d.name, settingsText(d), d.origin, d.version, d.createdAt, d.updatedAt);
        const insert = this.#db.prepare('INSERT INTO forward_cursors (destination_id, log_id, next_seq) VALUES (?, ?, ?)');
        for (const c of cursors) insert.run(d.id, c.logId, c.nextSeq);
        this.#bumpRevision();
      }).immediate(),
    );
  }

  updateDestination(d: Destination): Promise<boolean> {
    return this.#run('change a forwarding destination', () =>
      this.#db.transaction(() => {
        if (this.#nameTaken(d.name, d.id)) throw destinationExists(d.name);
        const changes = this.#db
          .prepare('UPDATE forward_destinations SET name = ?, settings = ?, origin = ?, version = ?, updated_at = ? WHERE id = ?')
          .run(d.name, settingsText(d), d.origin, d.version, d.updatedAt, d.id).changes;
        if (changes > 0) this.#bumpRevision();
        return changes > 0;
      }).immediate(),
    );
  }

  deleteDestination(id: string): Promise<boolean> {
    return this.#run('delete a forwarding destination', () =>
      this.#db.transaction(() => {
        const changes = this.#db.prepare('DELETE FROM forward_destinations WHERE id = ?').run(id).changes;
        this.#db.prepare('DELETE FROM forward_cursors WHERE destination_id = ?').run(id);
        this.#db.prepare('DELETE FROM forward_status WHERE destination_id = ?').run(id);
        if (changes > 0) this.#bumpRevision();
        return changes > 0;
      }).immediate(),
    );
  }

  getCursors(id: string): Promise<LogCursor[]> {
    return this.#run('read forwarding cursors', () =>
      (this.#db.prepare('SELECT log_id, next_seq FROM forward_cursors WHERE destination_id = ? ORDER BY log_id').all(id) as { log_id: number; next_seq: number }[]).map(
        (r) => ({ logId: r.log_id, nextSeq: r.next_seq }),
      ),
    );
  }

  saveProgress(id: string, p: DeliveryProgress): Promise<void> {
    return this.#run('save forwarding progress', () =>
      this.#db.transaction(() => {
        if (this.#db.prepare('SELECT 1 FROM forward_destinations WHERE id = ?').get(id) === undefined) return;
        const cursor = this.#db.prepare(
          `INSERT INTO forward_cursors (destination_id, log_id, next_seq) VALUES (?, ?, ?)
           ON CONFLICT (destination_id, log_id) DO UPDATE SET next_seq = max(next_seq, excluded.next_seq)`,
        );
        for (const c of p.cursors) cursor.run(id, c.logId, c.nextSeq);
        const letter = this.#db.prepare(
          'INSERT INTO forward_dead_letters (destination_id, log_id, seq, record_id, event, tenant_id, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        );
        for (const d of p.deadLetters) letter.run(id, d.logId, d.seq, d.recordId, d.event, d.tenantId, d.reason.slice(0, MAX_REASON_LENGTH), d.at);
        this.#db
          .prepare(
            `INSERT INTO forward_status (destination_id, delivered, skipped, dead_lettered, failures, last_delivered_at, last_error_at, last_error,
               down_since, node_id, updated_at)
             VALUES (@id, @delivered, @skipped, @deadLettered, @failures, @lastDeliveredAt, @lastErrorAt, @lastError, @downSince, @nodeId, @at)
             ON CONFLICT (destination_id) DO UPDATE SET
               delivered = delivered + excluded.delivered, skipped = skipped + excluded.skipped,
               dead_lettered = dead_lettered + excluded.dead_lettered, failures = failures + excluded.failures,
               last_delivered_at = CASE WHEN @setDelivered THEN excluded.last_delivered_at ELSE last_delivered_at END,
               last_error_at = CASE WHEN @setError THEN excluded.last_error_at ELSE last_error_at END,
               last_error = CASE WHEN @setError THEN excluded.last_error ELSE last_error END,
               down_since = CASE WHEN @setDown THEN excluded.down_since ELSE down_since END,
               node_id = excluded.node_id, updated_at = excluded.updated_at`,
          )
          .run(statusParams(id, p));
      }).immediate(),
    );
  }

  getStatus(id: string): Promise<DeliveryStatus> {
    return this.#run('read forwarding status', () => toStatus(this.#db.prepare('SELECT * FROM forward_status WHERE destination_id = ?').get(id) as StatusRow | undefined));
  }

  listDeadLetters(id: string, limit: number, afterId = 0): Promise<DeadLetter[]> {
    return this.#run('list dead letters', () =>
      (this.#db.prepare('SELECT * FROM forward_dead_letters WHERE destination_id = ? AND id > ? ORDER BY id LIMIT ?').all(id, afterId, limit) as DeadLetterRow[]).map(
        toDeadLetter,
      ),
    );
  }

  revision(): Promise<number> {
    return this.#run('read the forwarding revision', () => (this.#db.prepare('SELECT revision FROM forward_revision WHERE id = 1').get() as { revision: number }).revision);
  }
}
