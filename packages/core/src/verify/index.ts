/** Offline verification of evidence bundles and receipts (docs/bundle-format.md). Pure: no I/O. */
export * from './bundle-format.js';
export * from './bundle-verifier.js';
export * from './receipt.js';
export * from './record-bytes.js';
export * from './record-steps.js';
export * from './subtrees.js';
