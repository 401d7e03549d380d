import { batch, signal } from '@preact/signals';
import type { JournalRecord } from '../api/journal-record.js';
import { isAbort } from '../api/tamga-api.js';
import type { TamgaApi } from '../api/tamga-api.js';
import type { MessageKey } from '../i18n/messages.js';
import { filterParams, presetRange } from './journal-query.js';
import type { JournalFilter } from './journal-query.js';
import { rows, stats } from './journal-data.js';

const STREAM_PATH = '/api/v1/events/stream';
/** Wait before reconnecting when the server named none (`retry:`). */
const RECONNECT_MS = 1000;
/** Reconnects in a row that may fail (no answer, or an error) before live mode gives up. */
const MAX_RECONNECTS = 5;

/** Whether the server has the stream: unknown (null) until probed. */
export const isLiveSupported = signal<boolean | null>(null);

/** Whether new events are being added to the view as they arrive. */
export const isLive = signal(false);

/** Why live mode stopped by itself (the connection, the end of the range), or null. */
export const liveStopped = signal<MessageKey | null>(null);

/**
 * The range of a rolling view while live: it moves with the clock ({@link moveLiveWindow}); null when the view's own
 * range applies.
 */
export const liveWindow = signal<{ readonly from: string; readonly to: string } | null>(null);

let probing = false;
let controller: AbortController | null = null;

/** Asks the server once whether it has the stream (the response headers tell; the body is not read). */
export function probeLive(api: TamgaApi): void {
  if (probing) return;
  probing = true;
  const probe = new AbortController();
  api
    .request(STREAM_PATH, { signal: probe.signal, headers: { accept: 'text/event-stream' } })
    .then(
      (response) => {
        isLiveSupported.value = (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
        probe.abort();
      },
      () => {
        isLiveSupported.value = false;
      },
    );
}

/** One Server-Sent Event: its type (`message` unless named) and its data. */
export interface ServerSentEvent {
  readonly event: string;
  readonly data: string;
}

/** What a stream told about reconnecting: the last event id (sent back as `Last-Event-ID`) and the `retry` delay. */
export interface StreamResume {
  lastEventId: string;
  retryMs: number;
}

/**
 * Parses Server-Sent Events from a byte stream (WHATWG HTML §9.2.6): events are separated by a blank line; `data:`
 * lines of one event are joined with newlines, `event:` names its type. `id:` and `retry:` update `resume`, also in a
 * block without data (the server's starting cursor), as EventSource does. Comments and other fields are ignored.
 */
export async function* readServerSentEvents(
  body: ReadableStream<Uint8Array>,
  resume: StreamResume = { lastEventId: '', retryMs: RECONNECT_MS },
): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const value = (line: string, field: string): string =>
    line.slice(line.startsWith(`${field}: `) ? field.length + 2 : field.length + 1);
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) return;
    buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      for (const line of lines) {
        // An id with NUL is ignored (WHATWG): it could not be sent back as a header.
        if (line.startsWith('id:') && !line.includes('\0')) resume.lastEventId = value(line, 'id');
        else if (/^retry: ?\d+$/.test(line)) resume.retryMs = Number(value(line, 'retry'));
      }
      const data = lines.filter((l) => l.startsWith('data:')).map((l) => value(l, 'data'));
      const named = lines.find((l) => l.startsWith('event:'));
      if (data.length > 0)
        yield { event: named === undefined ? 'message' : value(named, 'event'), data: data.join('\n') };
    }
  }
}

/** The end of the range live records may fall in: none for a rolling range, which moves with the clock. */
function liveEnd(filter: JournalFilter): number {
  return filter.rolling === null ? Date.parse(filter.to) : Number.POSITIVE_INFINITY;
}

/** Prepends a streamed record to a newest-first view when it falls inside the range. */
function addLive(record: JournalRecord, filter: JournalFilter): void {
  const at = Date.parse(record.createdAt);
  if (Number.isNaN(at) || at < Date.parse(liveWindow.peek()?.from ?? filter.from) || at >= liveEnd(filter))
    return;
  if (rows.value.some((r) => r.id === record.id)) return;
  batch(() => {
    rows.value = [record, ...rows.value];
    const s = stats.value;
    if (s !== null) stats.value = { ...s, count: s.count + 1 };
  });
}

/**
 * Why live mode cannot follow `filter` at `nowMs`, or null when it can: live rows join the top of a newest-first view
 * whose range still includes now (or rolls with it).
 */
export function liveBlocked(filter: JournalFilter, nowMs: number = Date.now()): MessageKey | null {
  if (filter.order !== 'desc') return 'liveNeedsNewestFirst';
  if (filter.rolling === null && Date.parse(filter.to) <= nowMs) return 'liveRangeOver';
  return null;
}

/** Starts or stops following new events of `filter` (Authorization needs fetch; EventSource cannot send it). */
export function setLive(
  api: TamgaApi,
  filter: JournalFilter,
  on: boolean,
  stopped: MessageKey | null = null,
): void {
  controller?.abort();
  controller = null;
  batch(() => {
    isLive.value = on;
    liveStopped.value = stopped;
    if (!on) liveWindow.value = null;
  });
  if (!on) return;
  const own = new AbortController();
  controller = own;
  const params = filterParams(filter, { withRange: false });
  params.delete('order');
  void (async () => {
    // A dropped stream is opened again with the last id as Last-Event-ID: the server sends what arrived meanwhile,
    // in every log the view covers, so the view misses nothing (docs/architecture.md, "Live stream").
    const resume: StreamResume = { lastEventId: '', retryMs: RECONNECT_MS };
    let failures = 0;
    let stopped: MessageKey = 'liveConnectionLost';
    let giveUp = false;
    for (;;) {
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (resume.lastEventId !== '') headers['last-event-id'] = resume.lastEventId;
        const response = await api.request(`${STREAM_PATH}?${params.toString()}`, { signal: own.signal, headers });
        if (response.body === null) throw new Error('no body');
        failures = 0;
        for await (const { event, data } of readServerSentEvents(response.body, resume)) {
          // The server cut a reader that fell behind: reconnecting resumes after the last record shown.
          if (event === 'overflow') break;
          // Too much arrived while away to catch up on: the view must be read again.
          if (event === 'reload') {
            stopped = 'liveTooFarBehind';
            giveUp = true;
            break;
          }
          // The credentials of the stream were revoked: reconnecting would be refused.
          if (event === 'revoked') {
            giveUp = true;
            break;
          }
          if (event !== 'message') continue;
          try {
            addLive(JSON.parse(data) as JournalRecord, filter);
          } catch {
            // A malformed message is skipped; the stream goes on.
          }
        }
      } catch (error) {
        if (isAbort(error)) return;
        failures++;
      }
      if (controller !== own) return;
      // Without an id (a server without cursors) a new stream would start from now, leaving a hole: stop instead.
      if (giveUp || resume.lastEventId === '' || failures >= MAX_RECONNECTS) break;
      await new Promise((resolve) => setTimeout(resolve, resume.retryMs));
      if (controller !== own) return;
    }
    if (controller === own) setLive(api, filter, false, stopped);
  })();
}

/**
 * Moves a rolling view's range to now while live: the rows older than its new start leave the bottom of the view. Returns
 * the moved range.
 */
export function moveLiveWindow(
  filter: JournalFilter,
  nowMs: number = Date.now(),
): { from: string; to: string } | null {
  if (filter.rolling === null) return null;
  const window = presetRange(filter.rolling, nowMs);
  const from = Date.parse(window.from);
  batch(() => {
    liveWindow.value = window;
    const kept = rows.value.filter((r) => Date.parse(r.createdAt) >= from);
    if (kept.length !== rows.value.length) rows.value = kept;
  });
  return window;
}
