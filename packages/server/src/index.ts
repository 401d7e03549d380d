/**
 * @tamga/server — the Tamga service: journal use cases, stores (SQLite, PostgreSQL), HTTP API.
 */
export * from './auth/api-key-auth.js';
export * from './auth/access-config.js';
export * from './auth/access-control.js';
export * from './auth/access-input.js';
export * from './auth/access-store.js';
export * from './auth/password-policy.js';
export * from './catalog/catalog-items.js';
export * from './catalog/catalog-registry.js';
export * from './catalog/catalog-store.js';
export * from './catalog/load-builtin-catalogs.js';
export * from './catalog/tenant-catalog.js';
export * from './config/tamga-config.js';
export * from './http/build-server.js';
export * from './http/http-config.js';
export * from './http/problem.js';
export * from './evidence/checkpoint-sinks.js';
export * from './evidence/evidence-config.js';
export * from './evidence/evidence-service.js';
export * from './evidence/self-check.js';
export * from './evidence/start-evidence.js';
export * from './journal/checkpointer.js';
export * from './journal/journal.js';
export * from './journal/journal-store.js';
export * from './journal/prover.js';
export * from './keys/key-ring.js';
export * from './keys/key-journal.js';
export * from './open-access-control.js';
export * from './store/postgres/postgres-catalog-store.js';
export * from './store/postgres/postgres-journal-store.js';
export * from './store/sqlite/sqlite-catalog-store.js';
export * from './store/sqlite/sqlite-journal-store.js';
export * from './store/store-config.js';
export * from './tamga-server.js';
