import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { TamgaError } from '@tamga/core';
import { TamgaProducer } from '@tamga/sdk';
import type { ProducerError, ProducerEvent } from '@tamga/sdk';
import { numberOption, parseCommand, requireGiven } from '../cli-args.js';

const USAGE = `Usage: tamga send --url URL --api-key KEY [--spool DIR] [--tenant T] [--timeout SECONDS] < events.ndjson
Sends events, one JSON object per line of standard input, through the SDK's producer: in batches, in order, retried
while Tamga is unreachable or busy, each event stored once (an event without an id gets one). The key may also come
from TAMGA_API_KEY. --tenant: tenant of events that give none. --timeout: how long to keep trying at the end
(default 60). With --spool DIR the events are written to DIR first; what is not delivered in time stays there and the
next "tamga send --spool DIR" delivers it before its own input (also with no input: < /dev/null).
Exit 0 every event stored; 1 some events refused (each named by its line on stderr); 2 usage; 3 some events not
delivered in time (kept in the spool, or lost without one).`;

/** Most input lines remembered for naming refused events (an id and a number each). */
const MAX_TRACKED = 1_000_000;

/** Exit codes of `tamga send`. */
export const SEND_EXIT = Object.freeze({ delivered: 0, refused: 1, usage: 2, undelivered: 3 });

/** Streams of `tamga send`, for tests. */
export interface SendStreams {
  readonly input: Readable;
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
}

/**
 * `tamga send`: reads NDJSON events from standard input and delivers them with a {@link TamgaProducer} (overflow
 * `block`: input is read only as fast as Tamga takes it, nothing is dropped).
 */
export async function send(
  args: readonly string[],
  streams: SendStreams = { input: process.stdin, out: process.stdout, err: process.stderr },
): Promise<number> {
  const { values } = parseCommand({
    command: 'tamga send',
    usage: USAGE,
    options: {
      url: { type: 'string' },
      'api-key': { type: 'string' },
      spool: { type: 'string' },
      tenant: { type: 'string' },
      timeout: { type: 'string', default: '60' },
    },
  }, args);
  const apiKey = values['api-key'] ?? process.env.TAMGA_API_KEY;
  requireGiven('tamga send', [values.url === undefined && '--url', apiKey === undefined && '--api-key (or TAMGA_API_KEY)']);
  const timeout = numberOption('tamga send', 'timeout', values.timeout, { min: 0 });
  const { err, out } = streams;
  // Refusals name the input line of each event: by id once queued (forgotten once stored; at most MAX_TRACKED lines,
  // past that an event is named by its id alone), by the line being read when refused before queueing.
  const lineOfId = new Map<string, number>();
  let reading = 0;
  let logging = false;
  let refused = 0;
  const report = (line: number | undefined, message: string): void => {
    refused++;
    err.write(`tamga send: ${line === undefined ? '' : `line ${line}: `}${message}\n`);
  };
  const onError = (error: ProducerError, events: readonly ProducerEvent[]): void => {
    if (events.length === 0) {
      err.write(`tamga send: ${error.message}\n`);
      return;
    }
    const message = error instanceof TamgaError ? `${error.message} [${error.code}]` : error.message;
    for (const event of events) {
      const line = (typeof event.id === 'string' ? lineOfId.get(event.id) : undefined) ?? (logging ? reading : undefined);
      report(
        line,
        line === undefined && typeof event.id === 'string' ? `event ${event.id}: ${message}` : message,
      );
    }
  };
  const producer = new TamgaProducer({
    url: values.url!,
    apiKey: apiKey!,
    overflow: 'block',
    // The lines' events happened whenever the file says, not when it is read: an event without createdAt gets
    // Tamga's apiCreatedAt, and sending the same file again answers "already stored" rather than a conflict.
    stampCreatedAt: false,
    onError,
    onStored: (answers) => {
      for (const answer of answers) lineOfId.delete(answer.id);
    },
    warn: (message) => err.write(`tamga send: ${message}\n`),
    ...(values.spool !== undefined && { spool: values.spool }),
    ...(values.tenant !== undefined && { tenantId: values.tenant === 'default' ? null : values.tenant }),
  });
  let sent = 0;
  for await (const text of createInterface({ input: streams.input, crlfDelay: Infinity })) {
    reading++;
    if (text.trim() === '') continue;
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch (error) {
      report(reading, `not JSON: ${(error as Error).message} [MALFORMED_JSON]`);
      continue;
    }
    if (typeof event !== 'object' || event === null || Array.isArray(event)) {
      report(reading, 'an event must be a JSON object [VALIDATION_FAILED]');
      continue;
    }
    if (!producer.writable) await producer.ready();
    logging = true;
    const id = producer.log(event as ProducerEvent);
    logging = false;
    if (id !== '' && lineOfId.size < MAX_TRACKED) lineOfId.set(id, reading);
    sent++;
  }
  const result = await producer.close({ timeoutMs: timeout * 1000, quiet: true });
  const recovered =
    result.recovered > 0 ? ` (and ${result.recovered} left in the spool by an earlier run)` : '';
  out.write(
    `Read ${sent} events${recovered}: ${result.stored} stored, ${result.duplicates} already stored, ${refused} refused` +
      (result.undelivered > 0 ? `, ${result.undelivered} not delivered` : '') +
      '\n',
  );
  if (result.undelivered > 0) {
    err.write(
      result.spooled
        ? `tamga send: ${result.undelivered} events stay in the spool ${values.spool}; run "tamga send --spool ${values.spool}" again to deliver them\n`
        : `tamga send: ${result.undelivered} events could not be delivered within ${timeout} s and are lost; use --spool DIR to keep them\n`,
    );
    return SEND_EXIT.undelivered;
  }
  return refused > 0 ? SEND_EXIT.refused : SEND_EXIT.delivered;
}
