/** The event catalogue: types, validated parsing of catalogue files, and the lookup set used on ingest. */
export * from './catalog-types.js';
export * from './catalog-set.js';
export * from './parse-catalog.js';
export * from './check-tenant-catalog.js';
export * from './subject-rule.js';
