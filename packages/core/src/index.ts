/**
 * @tamga/core — the pure integrity core of Tamga: errors, the event record, canonical JSON (RFC 8785),
 * record HMAC, the RFC 9162 Merkle tree and proofs, C2SP signed-note checkpoints, catalogue types, and the
 * parser of the business platform's text logs (seed 003). No I/O.
 */
export * from './errors.js';
export * from './record/event-input.js';
export * from './record/ip-address.js';
export * from './record/record.js';
export * from './record/tenant-id.js';
export * from './record/timestamp.js';
export * from './record/uuid.js';
export * from './canonical/canonical-json.js';
export * from './merkle/hasher.js';
export * from './merkle/compact-range.js';
export * from './merkle/proof.js';
export * from './merkle/verify.js';
export * from './checkpoint/signed-note.js';
export * from './checkpoint/checkpoint.js';
export * from './checkpoint/cosignature.js';
export * from './signature/record-hmac.js';
export * from './catalog/index.js';
export * from './verify/index.js';
export * from './asset-event/asset-event.js';
export * from './platform-log/index.js';
