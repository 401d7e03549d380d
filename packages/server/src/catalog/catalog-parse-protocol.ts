import type { CatalogDocument } from '@tamga/core';

/** Messages between {@link CatalogParser} and its worker thread (`catalog-parse-worker.ts`). */

/** A catalogue text to parse. */
export interface CatalogParseTask {
  readonly id: number;
  readonly text: string;
  readonly source: string;
}

/** The parsed document with its entries' lines, or the coded error the parse raised. */
export type CatalogParseResult =
  | { readonly id: number; readonly doc: CatalogDocument; readonly lines: (number | null)[] }
  | { readonly id: number; readonly error: { readonly code: string; readonly message: string; readonly details: Record<string, unknown> } };
