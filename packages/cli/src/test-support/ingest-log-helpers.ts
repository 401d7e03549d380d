/**
 * Helpers of the `tamga ingest-log` tests: a Tamga server listening on loopback, a run of the command with its
 * output captured, the stored events of a tenant, and log lines with real time stamps.
 */
import { Writable } from 'node:stream';
import { startTestServer } from '../../../server/src/test-support/test-server.js';
import type { TestServer } from '../../../server/src/test-support/test-server.js';
import { ingestLog } from '../commands/ingest-log.js';

/** A test server listening on 127.0.0.1, and its base URL. */
export interface ListeningServer {
  readonly t: TestServer;
  readonly url: string;
}

/** Starts a test server (SQLite in a temporary directory) listening on a free loopback port. */
export async function startListeningServer(): Promise<ListeningServer> {
  const t = await startTestServer();
  const url = await t.server.http.listen({ host: '127.0.0.1', port: 0 });
  return { t, url };
}

/** Output of one run of `tamga ingest-log`. */
export interface IngestRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** A stream that keeps what is written to it. */
export function textSink(): Writable & { text: string } {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      sink.text += chunk.toString();
      done();
    },
  }) as Writable & { text: string };
  sink.text = '';
  return sink;
}

/** Runs `tamga ingest-log` in this process; `signal` stops a `--follow` run. */
export async function runIngestLog(args: readonly string[], signal?: AbortSignal): Promise<IngestRun> {
  const out = textSink();
  const err = textSink();
  const code = await ingestLog(args, out, err, { signal: signal ?? new AbortController().signal });
  return { code, out: out.text, err: err.text };
}

/** A stored event as `GET /api/v1/events` returns it (the fields the tests read). */
export interface StoredEvent {
  readonly id: string;
  readonly event: number;
  readonly eventName: string;
  readonly userId: string | null;
  readonly ip: string | null;
  readonly createdAt: string;
  readonly text: string | null;
  readonly classifiedEvent: number;
  readonly outcome: string | null;
  readonly sessionId?: string;
  readonly request?: Record<string, unknown>;
  readonly source?: Record<string, unknown>;
  readonly entityData: Record<string, unknown> & { log: { file: string; line: number; offset: number; time?: string } };
  readonly integrity: string;
}

/** Every event of a tenant, oldest first (by seq). */
export async function storedEvents(t: TestServer, tenant: string): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  let cursor: string | undefined;
  do {
    const res = await t.request({ method: 'GET', url: `/api/v1/events?tenantId=${tenant}&from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&limit=1000${cursor === undefined ? '' : `&cursor=${cursor}`}` });
    if (res.statusCode !== 200) throw new Error(`GET /api/v1/events: ${res.statusCode} ${res.body}`);
    const page = res.json() as { items: (StoredEvent & { seq: number })[]; nextCursor: string | null };
    events.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return (events as (StoredEvent & { seq: number })[]).sort((a, b) => a.seq - b.seq);
}

/** Waits until `check` holds, looking every 50 ms; throws with `what` after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const NIL = '00000000-0000-0000-0000-000000000000';

/** `yyyy-MM-dd HH:mm:ss,SSS` of the n-th second after 2023-11-30 10:00:00. */
export function stamp(n: number): string {
  const iso = new Date(Date.UTC(2023, 10, 30, 10, 0, 0) + n * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)},${iso.slice(20, 23)}`;
}

/** A one-line record of seed 003's shape (a permission added to a role) by user `user<n>`. */
export function rightLine(n: number): string {
  return `${stamp(n)} INFO ${NIL} user${n} 10.0.0.${n % 250} http://platform.example.com/api/RolesCollectionApi/Put   'Разрешение добавлено в роль' '{"Privilege":"Read","Role":"[App] Role${n}","RoleType":"BusinessApp","Resource":"systemSolution","ResourceType":"BusinessApp"}'\n`;
}

/** A multi-line ERROR record of seed 003's shape (failed account deletion) by `user<n>`, with `frames` stack lines. */
export function errorRecord(n: number, frames = 3): string {
  const stack = Array.from({ length: frames }, (_, i) => `  at Comindware.Platform.Core.Services.Frame${i} () [0x00104] in <13c6df997e3e467ca2451c9fd9f35e67>:0\n`).join('');
  return `${stamp(n)} ERROR ${NIL} user${n} platform.example.com 8080 10.0.0.1  Core 00:00:00.012 4.7.2311.1  '   Вы не можете удалить свой аккаунт\n\nService name:\n   "AccountService"\nMethod name:\n   "Delete"\nParameters list:\n   [0]: ["account.${n}"]\nStack:\n${stack} '\n`;
}
