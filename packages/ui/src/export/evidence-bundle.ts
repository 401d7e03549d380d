import { ApiError, isAbort } from '../api/tamga-api.js';
import type { TamgaApi } from '../api/tamga-api.js';
import { compactTime } from './export-records.js';

// docs/bundle-format.md, "Over HTTP": a manifest line first, record lines starting with `{"seq":`, and a final
// `{"type":"end","records":n}`. A stream without that end line, or with another count, was cut.
const MANIFEST_PREFIX = '{"type":"manifest"';
const RECORD_PREFIX = '{"seq":';

/** A downloaded evidence bundle: the stream's bytes exactly as received, and how many records it holds. */
export interface EvidenceBundle {
  readonly blob: Blob;
  readonly records: number;
}

/**
 * The file name of a bundle of `tenant`'s log over `[from, to)`:
 * `tamga-evidence-default-20260310T100000Z-20260310T110000Z.ndjson`.
 */
export function evidenceFileName(tenant: string, from: string, to: string): string {
  return `tamga-evidence-${tenant}-${compactTime(from)}-${compactTime(to)}.ndjson`;
}

function cut(records: number, why: string): ApiError {
  return new ApiError('BUNDLE_INCOMPLETE', `${why} after ${records} records`, 0);
}

/** The record count of an end line, or null when `line` is not one. */
function endCount(line: string): number | null {
  try {
    const parsed = JSON.parse(line) as { type?: unknown; records?: unknown } | null;
    return parsed?.type === 'end' && typeof parsed.records === 'number' ? parsed.records : null;
  } catch {
    return null;
  }
}

/**
 * Reads an evidence bundle stream to its end, keeping its bytes, counting its record lines (`onProgress` gets the
 * count so far) and checking that it ends with the end line that states that count.
 *
 * @throws ApiError `BAD_RESPONSE` when the stream does not start with a manifest line; `BUNDLE_INCOMPLETE` when
 *   it stops early (the connection dropped, no end line, a different count): a cut file is never returned.
 */
export async function readEvidenceBundle(
  body: ReadableStream<Uint8Array<ArrayBuffer>>,
  onProgress?: (records: number) => void,
): Promise<EvidenceBundle> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let records = 0;
  let pending = '';
  let lastLine = '';
  let isFirstLine = true;
  const take = (line: string): void => {
    if (isFirstLine && !line.startsWith(MANIFEST_PREFIX)) {
      throw new ApiError('BAD_RESPONSE', 'The server did not send an evidence bundle', 200);
    }
    isFirstLine = false;
    if (line.startsWith(RECORD_PREFIX)) records++;
    lastLine = line;
  };
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
    try {
      chunk = await reader.read();
    } catch (error) {
      if (isAbort(error)) throw error;
      throw cut(records, 'The download stopped');
    }
    if (chunk.done) break;
    parts.push(chunk.value);
    const lines = (pending + decoder.decode(chunk.value, { stream: true })).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) take(line);
    onProgress?.(records);
  }
  pending += decoder.decode();
  // Only an end line may lack its newline; any other unterminated line was cut inside.
  if (pending !== '') {
    if (!isFirstLine && endCount(pending) === null) throw cut(records, 'The download stopped inside a line');
    take(pending);
  }
  if (isFirstLine) throw new ApiError('BAD_RESPONSE', 'The server sent an empty answer', 200);
  const stated = endCount(lastLine);
  if (stated === null) throw cut(records, 'The download ended without its end line');
  if (stated !== records)
    throw cut(records, `The end line counts ${stated} records, the download held ${records}`);
  return { blob: new Blob(parts, { type: 'application/x-ndjson' }), records };
}

/**
 * Downloads the evidence bundle of `tenant`'s log over the smallest seq range covering `[from, to)`
 * (`GET /api/v1/logs/{tenant}/export`) and checks it arrived whole ({@link readEvidenceBundle}).
 *
 * @throws ApiError the server's problem (`LOG_NOT_FOUND`, `FORBIDDEN`, `CHECKPOINT_PENDING`, …) or a cut stream.
 */
export async function fetchEvidenceBundle(
  api: TamgaApi,
  tenant: string,
  range: { readonly from: string; readonly to: string },
  onProgress?: (records: number) => void,
): Promise<EvidenceBundle> {
  const query = new URLSearchParams({ from: range.from, to: range.to });
  const response = await api.request(
    `/api/v1/logs/${encodeURIComponent(tenant)}/export?${query.toString()}`,
    {
      headers: { accept: 'application/x-ndjson, application/problem+json' },
    },
  );
  if (response.body === null)
    throw new ApiError('BAD_RESPONSE', 'The server sent an empty answer', response.status);
  return readEvidenceBundle(response.body, onProgress);
}
