import { batch, signal } from '@preact/signals';
import type { JournalRecord } from '../api/journal-record.js';
import { isAbort } from '../api/tamga-api.js';
import type { TamgaApi } from '../api/tamga-api.js';
import { filterParams } from './journal-query.js';
import type { JournalFilter } from './journal-query.js';
import { rows, stats } from './journal-data.js';

const STREAM_PATH = '/api/v1/events/stream';

/** Whether the server has the live stream: unknown (null) until probed; a 404 hides the control. */
export const isLiveSupported = signal<boolean | null>(null);
/** Whether new events are being appended to the view as they arrive. */
export const isLive = signal(false);

let probing = false;
let controller: AbortController | null = null;

/** Asks the server once whether it has the stream (the response headers tell; the body is not read). */
export function probeLive(api: TamgaApi): void {
  if (probing) return;
  probing = true;
  const probe = new AbortController();
  api
    .request(`${STREAM_PATH}?limit=1`, { signal: probe.signal, headers: { accept: 'text/event-stream' } })
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

/**
 * Parses Server-Sent Events from a byte stream (WHATWG HTML §9.2.6): events are separated by a blank
 * line; `data:` lines of one event are joined with newlines. Comments and other fields are ignored.
 */
export async function* readServerSentData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
      if (data.length > 0) yield data.join('\n');
    }
  }
}

/** Prepends a streamed record to a newest-first view when it falls inside the range. */
function addLive(record: JournalRecord, filter: JournalFilter): void {
  const at = Date.parse(record.createdAt);
  if (at < Date.parse(filter.from) || at >= Date.parse(filter.to)) return;
  if (rows.value.some((r) => r.id === record.id)) return;
  batch(() => {
    rows.value = [record, ...rows.value];
    const s = stats.value;
    if (s !== null) stats.value = { ...s, count: s.count + 1 };
  });
}

/** Starts or stops following new events of `filter` (Authorization needs fetch; EventSource cannot send it). */
export function setLive(api: TamgaApi, filter: JournalFilter, on: boolean): void {
  controller?.abort();
  controller = null;
  isLive.value = on;
  if (!on) return;
  const own = new AbortController();
  controller = own;
  const params = filterParams(filter, { withRange: false });
  params.delete('order');
  void (async () => {
    try {
      const response = await api.request(`${STREAM_PATH}?${params.toString()}`, {
        signal: own.signal,
        headers: { accept: 'text/event-stream' },
      });
      if (response.body === null) throw new Error('no body');
      for await (const data of readServerSentData(response.body)) {
        try {
          addLive(JSON.parse(data) as JournalRecord, filter);
        } catch {
          // A malformed message is skipped; the stream goes on.
        }
      }
    } catch (error) {
      if (isAbort(error)) return;
    }
    if (controller === own) isLive.value = false;
  })();
}
