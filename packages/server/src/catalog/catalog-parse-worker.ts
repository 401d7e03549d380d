/**
 * Worker thread of {@link CatalogParser}: parses catalogue texts with `parseCatalogText`, so a large or hostile
 * catalogue (seconds of YAML parsing) never holds up the server's thread, which serves ingest and `/healthz`.
 */
import { parentPort } from 'node:worker_threads';
import { catalogEntryLines, isTamgaError, parseCatalogText } from '@tamga/core';
import type { CatalogParseResult, CatalogParseTask } from './catalog-parse-protocol.js';

parentPort?.on('message', ({ id, text, source }: CatalogParseTask) => {
  let result: CatalogParseResult;
  try {
    const doc = parseCatalogText(text, source);
    result = { id, doc, lines: catalogEntryLines(doc) };
  } catch (error) {
    result = isTamgaError(error)
      ? { id, error: { code: error.code, message: error.message, details: { ...error.details } } }
      : { id, error: { code: 'INTERNAL', message: String((error as Error).message), details: {} } };
  }
  parentPort?.postMessage(result);
});

// Modules loaded: the parser starts timing parses from here.
parentPort?.postMessage({ ready: true });
