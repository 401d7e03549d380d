/**
 * `@tamga/sdk/pino`: a pino transport (pino's transport interface, built with `pino-abstract-transport`) that sends
 * chosen log lines to Tamga as events through a {@link TamgaProducer}: batched, retried, optionally spooled.
 *
 * @example
 * // One line of configuration; then a line carrying `tamga` is an event (a code, a name, or the event's fields):
 * const logger = pino(pino.transport({ target: '@tamga/sdk/pino', options: { url: 'http://localhost:7300', apiKey: process.env.TAMGA_API_KEY } }));
 * logger.info({ tamga: { event: 2001, userId: 'alice', ip: '10.0.0.24' } }, 'signed in');
 * logger.warn({ tamga: 'LoginUserNotExist', attempts: 3 }, 'unknown login');   // `attempts` goes to entityData
 */
import build from 'pino-abstract-transport';
import { TamgaProducer } from './tamga-producer.js';
import type { ProducerEvent, TamgaProducerConfig } from './tamga-producer.js';

/** Options of the transport: the producer's (serializable ones: it runs in pino's worker thread) and which lines go. */
export interface TamgaPinoOptions extends TamgaProducerConfig {
  /**
   * The property that makes a line an event. Its value is the event code (a number), its catalogue name (a string),
   * `true` (the `event` option's code), or an object of event fields. Default `tamga`.
   */
  readonly key?: string;
  /** Also send every line at or above this pino level (`error`, `fatal`, or a number), as the `event` option's event. */
  readonly level?: string | number;
  /** Event code or catalogue name for lines chosen by `level` or with `tamga: true`. */
  readonly event?: number | string;
}

/** pino's default levels (pino's `levels.values`). */
const PINO_LEVELS: Readonly<Record<string, number>> = Object.freeze({ trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 });
/** What pino adds to every line: not the event's data. */
const PINO_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'v']);

/** The pino level number of the `level` option. */
function levelNumber(level: string | number): number {
  const n = typeof level === 'number' ? level : PINO_LEVELS[level];
  if (n === undefined) throw new TypeError(`@tamga/sdk/pino: level "${String(level)}" is not a pino level (${Object.keys(PINO_LEVELS).join(', ')})`);
  return n;
}

const byCodeOrName = (event: number | string): ProducerEvent => (typeof event === 'number' ? { event } : { eventName: event });

/**
 * The event a pino log line stands for, or undefined when the line is not chosen. The line's message becomes `text`,
 * its time `createdAt`, and its own fields (beside pino's) `entityData`, unless the event gives them.
 */
export function toTamgaEvent(line: Readonly<Record<string, unknown>>, options: Pick<TamgaPinoOptions, 'key' | 'level' | 'event'> = {}): ProducerEvent | undefined {
  const key = options.key ?? 'tamga';
  const marked = line[key];
  let event: ProducerEvent;
  if (typeof marked === 'number' || typeof marked === 'string') event = byCodeOrName(marked);
  else if (marked === true && options.event !== undefined) event = byCodeOrName(options.event);
  else if (typeof marked === 'object' && marked !== null && !Array.isArray(marked)) {
    event = marked as ProducerEvent;
    if (event.event === undefined && event.eventName === undefined && options.event !== undefined) event = { ...byCodeOrName(options.event), ...event };
  } else if (options.level !== undefined && options.event !== undefined && typeof line.level === 'number' && line.level >= levelNumber(options.level)) {
    event = byCodeOrName(options.event);
  } else {
    return undefined;
  }
  const data: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(line)) if (name !== key && !PINO_FIELDS.has(name)) data[name] = value;
  const time = line.time;
  return {
    ...(typeof line.msg === 'string' && line.msg !== '' && { text: line.msg }),
    ...(Object.keys(data).length > 0 && { entityData: data }),
    ...(typeof time === 'number' ? { createdAt: new Date(time) } : typeof time === 'string' && { createdAt: time }),
    ...event,
  };
}

/**
 * The transport: pino loads this module (`target: '@tamga/sdk/pino'`) in its worker thread and writes log lines to
 * the stream it returns; awaiting it in-process gives a stream for `pino(stream)`. Closing the logger closes the
 * producer, which delivers what waits for up to `exitTimeoutMs` (default 5 s, at most 8: pino gives a transport 10 s).
 */
export default async function tamgaTransport(options: TamgaPinoOptions) {
  if (options.level !== undefined) {
    levelNumber(options.level);
    if (options.event === undefined) throw new TypeError('@tamga/sdk/pino: give `event` (the code or name to send) with `level`');
  }
  const producer = new TamgaProducer(options);
  return build(
    async (source: AsyncIterable<Record<string, unknown>>) => {
      for await (const line of source) {
        const event = toTamgaEvent(line, options);
        if (event === undefined) continue;
        if (!producer.writable) await producer.ready();
        producer.log(event);
      }
    },
    {
      close: async () => {
        // pino gives a worker transport 10 s to end; what is not delivered in 5 stays in the spool, or is reported lost.
        await producer.close({ timeoutMs: Math.min(options.exitTimeoutMs ?? 5000, 8000) });
      },
    },
  );
}
