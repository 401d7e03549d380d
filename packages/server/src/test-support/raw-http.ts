import { connect } from 'node:net';
import type { Socket } from 'node:net';

/** What came back on a raw connection: the parsed first answer (if any), and how the connection ended. */
export interface RawAnswer {
  /** Status of the first answer; 0 when none came. */
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Whether the server closed the connection (rather than the wait running out). */
  readonly closed: boolean;
  /** Milliseconds from connecting until the connection closed or the wait ran out. */
  readonly ms: number;
}

/** Parses the first HTTP/1.1 answer of `text`. */
export function parseRawAnswer(text: string): Omit<RawAnswer, 'closed' | 'ms'> {
  const end = text.indexOf('\r\n\r\n');
  if (!text.startsWith('HTTP/') || end < 0) return { status: 0, headers: {}, body: '' };
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = headers['content-length'];
  const rest = text.slice(end + 4);
  return { status: Number(statusLine!.split(' ')[1]), headers, body: length === undefined ? rest : rest.slice(0, Number(length)) };
}

/**
 * Sends `chunks` on a fresh connection to 127.0.0.1:`port` (waiting `gapMs` between them while the connection is
 * open), then waits for the server to close it, at most `waitMs` — or, with `untilAnswer`, only until the first
 * answer has fully arrived.
 */
export function sendRaw(
  port: number,
  chunks: readonly (string | Buffer)[],
  options: { gapMs?: number; waitMs?: number; localAddress?: string; untilAnswer?: boolean } = {},
): Promise<RawAnswer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket: Socket = connect({ port, host: '127.0.0.1', ...(options.localAddress !== undefined && { localAddress: options.localAddress }) });
    let received = '';
    let closed = false;
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...parseRawAnswer(received), closed, ms: Date.now() - started });
    };
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      if (options.untilAnswer !== true) return;
      const answer = parseRawAnswer(received);
      const length = answer.headers['content-length'];
      if (answer.status > 0 && length !== undefined && Buffer.byteLength(answer.body, 'latin1') >= Number(length)) finish();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('connect', () => {
      void (async () => {
        for (const [i, chunk] of chunks.entries()) {
          if (i > 0 && options.gapMs !== undefined) await new Promise((r) => setTimeout(r, options.gapMs));
          if (socket.destroyed || !socket.writable) return;
          socket.write(chunk);
        }
      })();
      timer = setTimeout(finish, options.waitMs ?? 5_000);
    });
  });
}
