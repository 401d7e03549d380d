/**
 * @tamga/server — the Tamga service: journal use cases, stores (SQLite, PostgreSQL), HTTP API.
 */
export * from './auth/api-key-auth.js';
export * from './catalog/load-builtin-catalogs.js';
export * from './config/tamga-config.js';
export * from './http/build-server.js';
export * from './http/problem.js';
export * from './journal/checkpointer.js';
export * from './journal/journal.js';
export * from './journal/journal-store.js';
export * from './journal/prover.js';
export * from './keys/key-ring.js';
export * from './store/postgres/postgres-journal-store.js';
export * from './store/sqlite/sqlite-journal-store.js';
export * from './tamga-server.js';
