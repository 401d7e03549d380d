import type { WorkerOptions } from './destination-worker.js';

/** Where the forwarding thread finds the journal: the same SQLite file, or the same PostgreSQL schema. */
export type ForwardThreadStore = { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'postgres'; readonly url: string; readonly schema: string };

/** What the main thread hands the forwarding thread at its start. */
export interface ForwardThreadData {
  readonly store: ForwardThreadStore;
  /** The keys directory (HMAC keys: record checks and sealed secrets). */
  readonly keysDir: string;
  readonly nodeId: string;
  readonly version: string;
  readonly options: Partial<WorkerOptions> & { readonly sweepMs?: number };
}

/** Messages from the main thread. `id` pairs a request with its reply. */
export type ToForwardThread =
  | { readonly type: 'wake' }
  | { readonly type: 'reload'; readonly id: number }
  | { readonly type: 'describe'; readonly id: number; readonly destination: string }
  | { readonly type: 'stop'; readonly id: number }
  | { readonly type: 'appended'; readonly id: number; readonly error?: string };

/** Messages from the forwarding thread. */
export type FromForwardThread =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'reply'; readonly id: number; readonly value?: unknown; readonly error?: string }
  | { readonly type: 'append'; readonly id: number; readonly event: Record<string, unknown> }
  | { readonly type: 'error'; readonly what: string; readonly message: string };
