/**
 * @tamga/sdk — the client of Tamga's HTTP API for producers and readers. Depends on `@tamga/core` only; takes an
 * injectable `fetch`.
 */
export * from './tamga-client.js';
export * from './tamga-api-error.js';
export * from './retry-policy.js';
export * from './tamga-event.js';
