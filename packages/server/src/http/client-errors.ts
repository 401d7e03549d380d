import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TamgaError } from '@tamga/core';
import type { ErrorCode } from '@tamga/core';
import { PROBLEM_JSON, toProblem } from './problem.js';
import type { SecurityHeaders } from './security-headers.js';

/** What a parser error of Node's HTTP server means for the caller: the code, and a sentence for `detail`. */
function describeClientError(code: string | undefined): { code: ErrorCode; detail: string } {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'REQUEST_TIMEOUT', detail: 'The request (headers and body) did not arrive within the time allowed' };
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'HEADERS_TOO_LARGE', detail: 'The request line and headers exceed 16 KiB' };
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return { code: 'MALFORMED_REQUEST', detail: 'Content-Length is not a single decimal number' };
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return { code: 'MALFORMED_REQUEST', detail: 'Transfer-Encoding is not chunked, or comes with Content-Length (RFC 9112 §6.1)' };
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_CB_CHUNK_COMPLETE':
    case 'HPE_STRICT':
      return { code: 'MALFORMED_REQUEST', detail: 'The chunked body is malformed (RFC 9112 §7.1)' };
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
      return { code: 'MALFORMED_REQUEST', detail: 'A header name or value holds a character HTTP does not allow (a bare CR or LF, a control character)' };
    case 'HPE_INVALID_METHOD':
    case 'HPE_INVALID_URL':
    case 'HPE_INVALID_VERSION':
    case 'HPE_INVALID_CONSTANT':
      return { code: 'MALFORMED_REQUEST', detail: 'The request line is not HTTP/1.1: METHOD /path HTTP/1.1' };
    default:
      return { code: 'MALFORMED_REQUEST', detail: 'The request is not well-formed HTTP/1.1' };
  }
}

/**
 * A complete HTTP/1.1 answer carrying a problem document, written straight to a socket: for answers given before
 * (or instead of) Fastify's routing, where no reply object exists. The connection closes after it.
 */
export function rawProblemResponse(error: TamgaError, headers: SecurityHeaders, extra: Readonly<Record<string, string>> = {}): string {
  const problem = toProblem(error);
  const body = JSON.stringify(problem);
  const lines = [
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? 'Error'}`,
    `content-type: ${PROBLEM_JSON}; charset=utf-8`,
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    'cache-control: no-store',
    ...Object.entries({ ...headers, ...extra }).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * The `clientError` handler of the HTTP server: the errors Node's parser raises before a request exists (431, a bad
 * Content-Length or chunk, a header with a bare CR, a request line that is not HTTP, a request that timed out) are
 * answered as `application/problem+json` with the security headers, and the connection is closed. Nothing is written
 * on a connection that is gone or whose answer already started.
 */
export function clientErrorHandler(headers: SecurityHeaders) {
  return (error: NodeJS.ErrnoException, socket: Duplex): void => {
    const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (error.code === 'ECONNRESET' || socket.destroyed || !socket.writable || started) {
      socket.destroy();
      return;
    }
    const { code, detail } = describeClientError(error.code);
    socket.end(rawProblemResponse(new TamgaError(code, detail), headers));
  };
}
