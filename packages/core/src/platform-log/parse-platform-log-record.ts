import { isUtf8 } from 'node:buffer';
import { isIP } from 'node:net';
import { asciiDigits } from '../record/timestamp.js';
import type { PlatformLogChunk } from './platform-log-splitter.js';

/** Shape of a platform log record (seed 003). */
export type PlatformLogFormat =
  /** `yyyy-MM-dd HH:mm:ss,SSS LEVEL fields…`: web requests, errors, system messages. */
  | 'line'
  /** `[yyyy-MM-dd HH:mm:ss,SSS][LEVEL][message] context`, with `data:` lines: the adapters. */
  | 'adapter'
  /** Lines where a record start was expected (the start of a file cut mid-record, a broken first line). */
  | 'orphan';

/** A time stamp as written in the log: a wall-clock time with no offset (the time zone is a setting). */
export interface PlatformLogLocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
  /** The time stamp as written, e.g. `2023-11-30 14:34:23,448`. */
  readonly text: string;
}

/** Something in a record that is not as the format says; the record is still kept. */
export interface PlatformLogProblem {
  /** Stable kind, e.g. `TIMESTAMP_INVALID`. */
  readonly kind: PlatformLogProblemKind;
  /** 1-based line within the record (add the record's first line number for the file line). */
  readonly line: number;
  readonly message: string;
}

/** Kinds of {@link PlatformLogProblem}. */
export type PlatformLogProblemKind =
  | 'NOT_A_RECORD_START'
  | 'TIMESTAMP_INVALID'
  | 'LEVEL_MISSING'
  | 'QUOTE_UNTERMINATED'
  | 'INVALID_UTF8'
  | 'NUL_CHARACTER'
  | 'RECORD_TOO_LONG';

/** The sections of a multi-line ERROR record (seed 003: failed account creation and deletion). */
export interface PlatformLogErrorSections {
  /** `Service name:` without its quotes, e.g. `DataformService`. */
  readonly service?: string;
  /** `Method name:` without its quotes, e.g. `ApplyChangesAndQueryData`. */
  readonly method?: string;
  /** `Parameters list:` entries (`[0]: …`) in order, each parsed as JSON when it is JSON. */
  readonly parameters?: readonly unknown[];
  /** `Stack:` frames, one per line, without the blank lines between them. */
  readonly stack?: string;
}

/** Every field of one platform log record that seed 003 describes; fields absent from the record are null. */
export interface PlatformLogRecord {
  readonly format: PlatformLogFormat;
  /** The time stamp, or null when it is missing or broken (then {@link problems} says so). */
  readonly time: PlatformLogLocalTime | null;
  /** `INFO`, `ERROR`, … as written. */
  readonly level: string | null;
  readonly sessionId: string | null;
  /** User name (`username`, `systemAccount`). */
  readonly user: string | null;
  /** A valid IPv4 or IPv6 address (`::1` included). */
  readonly ip: string | null;
  /** An address-like field that is not a valid IP (e.g. the seed's `XXX.XXX.XXX.XXX` placeholder). */
  readonly ipText: string | null;
  /** Server address of an ERROR record (`SERVER_URL`). */
  readonly host: string | null;
  /** Server port of an ERROR record. */
  readonly port: number | null;
  readonly url: string | null;
  /** Request status as written: `OK`, `NoContent`, `200`. */
  readonly status: string | null;
  /** Numeric HTTP status of {@link status} (`OK` → 200, `NoContent` → 204), when known. */
  readonly statusCode: number | null;
  /** Request duration as written, `HH:mm:ss` or `HH:mm:ss.fff`. */
  readonly duration: string | null;
  /** {@link duration} in whole milliseconds. */
  readonly durationMs: number | null;
  /** Module of an ERROR record, e.g. `Core`. */
  readonly module: string | null;
  /** Product version of an ERROR record, or `Version:` of the start-up record. */
  readonly version: string | null;
  /** The quoted description without its quotes (for an ERROR record: the message before its sections). */
  readonly description: string | null;
  /** The quoted data field without its quotes (`''` gives an empty string). */
  readonly data: string | null;
  /** Unquoted message: system messages (`Core is loading`), the adapter's bracketed message. */
  readonly message: string | null;
  /** Request method from the description (`POST: "…"`, `GET`, `PUT completed`). */
  readonly requestMethod: string | null;
  /** Request body from the description (`POST: "{…}"` gives `{…}`), as written. */
  readonly body: string | null;
  /** Whether the description says the request completed (`POST completed`). */
  readonly isCompletion: boolean;
  /** Sections of a multi-line ERROR record, or null. */
  readonly sections: PlatformLogErrorSections | null;
  /** `key: value` lines after a system message (the start-up record's system information), in order. */
  readonly details: Readonly<Record<string, string>> | null;
  /** Continuation lines that are neither quoted text nor `key: value` details. */
  readonly more: string | null;
  /** Adapter context (`Platform key: …; Service name: …; Runtime: …`) as key/value pairs. */
  readonly context: Readonly<Record<string, string>> | null;
  /** The record as written (line ends normalised to LF, no trailing line end). */
  readonly text: string;
  readonly problems: readonly PlatformLogProblem[];
}

const LEVELS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'WARNING', 'ERROR', 'FATAL']);
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const URL_LIKE = /^(?:[a-z][a-z0-9+.-]*:\/\/|\/)\S/i;
const PORT = /^\d{1,5}$/;
const HAS_PATH = /^(?:[a-z][a-z0-9+.-]*:\/\/[^/]*)?\/./i;
const STATUS = /^(?:\d{3}|[A-Z][A-Za-z]+)$/;
const DURATION = /^(\d{1,2}):(\d\d):(\d\d)(?:\.(\d{1,7}))?$/;
const VERSION = /^\d+(?:\.\d+){2,3}$/;
// An address-like token that is not a valid IP: the seed's XXX.XXX.XXX.XXX placeholder, a masked address.
const IP_LIKE = /^(?:[0-9A-Fa-fXx]{1,4}[.:]){3,7}[0-9A-Fa-fXx]{0,4}$/;
const REQUEST = /^(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS)(?:(: )([\s\S]*)|( completed))?$/;
const SECTION = /^(Service name|Method name|Parameters list|Stack):\s*$/;
const DETAIL = /^\s*([^:\s][^:]{0,80}?):[ \t]+(\S.*)$/;

/**
 * .NET `HttpStatusCode` names the platform writes in place of a number (`OK`, `NoContent`), with their codes.
 * Names missing here keep their text in {@link PlatformLogRecord.status} and get no number.
 */
const STATUS_NAMES: Readonly<Record<string, number>> = Object.freeze({
  Continue: 100, SwitchingProtocols: 101, OK: 200, Created: 201, Accepted: 202, NonAuthoritativeInformation: 203,
  NoContent: 204, ResetContent: 205, PartialContent: 206, MultipleChoices: 300, Ambiguous: 300,
  MovedPermanently: 301, Moved: 301, Found: 302, Redirect: 302, SeeOther: 303, RedirectMethod: 303,
  NotModified: 304, UseProxy: 305, TemporaryRedirect: 307, RedirectKeepVerb: 307, PermanentRedirect: 308,
  BadRequest: 400, Unauthorized: 401, PaymentRequired: 402, Forbidden: 403, NotFound: 404, MethodNotAllowed: 405,
  NotAcceptable: 406, ProxyAuthenticationRequired: 407, RequestTimeout: 408, Conflict: 409, Gone: 410,
  LengthRequired: 411, PreconditionFailed: 412, RequestEntityTooLarge: 413, RequestUriTooLong: 414,
  UnsupportedMediaType: 415, RequestedRangeNotSatisfiable: 416, ExpectationFailed: 417, UnprocessableEntity: 422,
  Locked: 423, TooManyRequests: 429, InternalServerError: 500, NotImplemented: 501, BadGateway: 502,
  ServiceUnavailable: 503, GatewayTimeout: 504, HttpVersionNotSupported: 505,
});

/**
 * Parses one record of the business platform's text log (seed 003) into its fields. Never throws: whatever
 * does not fit the format is reported in `problems` and the text is kept whole.
 *
 * The line format has no fixed columns (the seed's examples put the same fields in different places and show
 * empty fields as runs of spaces), so the fields before the quoted description are recognised by their shape,
 * in the order the platform writes them: session id (a UUID), user name, server address and port (ERROR records),
 * IP address, URL, status (`OK`, `200`), module (`Core`), duration (`HH:mm:ss.SSS`), product version. The first
 * token that fits none of them starts an unquoted message (system records such as `Core is loading`).
 *
 * @param text - the record's text: its lines joined by LF (a CR before an LF is dropped here).
 * @param isRecordStart - false for lines that were found where a record start was expected.
 */
export function parsePlatformLogRecord(text: string, isRecordStart = true): PlatformLogRecord {
  const normalised = normaliseText(text);
  const problems: PlatformLogProblem[] = [];
  if (normalised.includes('\0')) {
    problems.push({ kind: 'NUL_CHARACTER', line: lineOf(normalised, normalised.indexOf('\0')), message: 'NUL characters (shown as U+FFFD)' });
  }
  const clean = normalised.includes('\0') ? normalised.replaceAll('\0', '\ufffd') : normalised;
  if (!isRecordStart) {
    problems.push({ kind: 'NOT_A_RECORD_START', line: 1, message: 'not a record start where a record was expected (no time stamp at the start of the line)' });
    return { ...emptyRecord('orphan', clean, problems), message: clean };
  }
  return clean.startsWith('[') ? parseAdapter(clean, problems) : parseLine(clean, problems);
}

/**
 * Decodes a record cut by the {@link PlatformLogSplitter} (UTF-8) and parses it. Bytes that are not UTF-8 become
 * U+FFFD and the record says on which line (`INVALID_UTF8`); a record longer than the splitter keeps is parsed from
 * its head and says so (`RECORD_TOO_LONG`).
 */
export function parsePlatformLogChunk(chunk: PlatformLogChunk): PlatformLogRecord {
  let bytes = chunk.bytes;
  if (chunk.sha256 !== undefined) {
    // The head may end inside a character: drop the bytes of a character cut short (RFC 3629 §3 lengths).
    let lead = bytes.length - 1;
    while (lead >= 0 && bytes.length - 1 - lead < 3 && (bytes[lead]! & 0xc0) === 0x80) lead -= 1;
    if (lead >= 0 && bytes[lead]! >= 0xc0) {
      const length = bytes[lead]! >= 0xf0 ? 4 : bytes[lead]! >= 0xe0 ? 3 : 2;
      if (bytes.length - lead < length) bytes = bytes.subarray(0, lead);
    }
  }
  const record = parsePlatformLogRecord(bytes.toString('utf8'), chunk.isRecordStart);
  const extra: PlatformLogProblem[] = [];
  if (!isUtf8(bytes)) {
    let line = 1;
    let start = 0;
    for (let lf = bytes.indexOf(0x0a); ; lf = bytes.indexOf(0x0a, start)) {
      const end = lf === -1 ? bytes.length : lf;
      if (!isUtf8(bytes.subarray(start, end))) break;
      if (lf === -1) break;
      start = lf + 1;
      line += 1;
    }
    extra.push({ kind: 'INVALID_UTF8', line, message: 'bytes that are not UTF-8 (shown as U+FFFD)' });
  }
  if (chunk.sha256 !== undefined) {
    extra.push({ kind: 'RECORD_TOO_LONG', line: 1, message: `record of ${chunk.end - chunk.offset} bytes: only its first ${chunk.bytes.length} were read (SHA-256 of the whole record: ${chunk.sha256})` });
  }
  return extra.length === 0 ? record : { ...record, problems: [...record.problems, ...extra] };
}

function normaliseText(text: string): string {
  let t = text.includes('\r') ? text.replace(/\r(?=\n|$)/g, '') : text;
  if (t.endsWith('\n')) t = t.replace(/\n+$/, '');
  return t;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

function emptyRecord(format: PlatformLogFormat, text: string, problems: PlatformLogProblem[]): PlatformLogRecord {
  return {
    format,
    time: null,
    level: null,
    sessionId: null,
    user: null,
    ip: null,
    ipText: null,
    host: null,
    port: null,
    url: null,
    status: null,
    statusCode: null,
    duration: null,
    durationMs: null,
    module: null,
    version: null,
    description: null,
    data: null,
    message: null,
    requestMethod: null,
    body: null,
    isCompletion: false,
    sections: null,
    details: null,
    more: null,
    context: null,
    text,
    problems,
  };
}

/** Parses `yyyy-MM-dd HH:mm:ss,SSS` (or `.SSS`), checking the calendar; null when it is not a valid time stamp. */
export function parsePlatformLogTime(text: string): PlatformLogLocalTime | null {
  // Read digit by digit: this runs for every record.
  if (text.length !== 23 || text[4] !== '-' || text[7] !== '-' || text[10] !== ' ' || text[13] !== ':' || text[16] !== ':' || (text[19] !== ',' && text[19] !== '.')) return null;
  const year = asciiDigits(text, 0, 4);
  const month = asciiDigits(text, 5, 2);
  const day = asciiDigits(text, 8, 2);
  const hour = asciiDigits(text, 11, 2);
  const minute = asciiDigits(text, 14, 2);
  const second = asciiDigits(text, 17, 2);
  const millisecond = asciiDigits(text, 20, 3);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || millisecond < 0) return null;
  if (day > 28 && new Date(Date.UTC(year, month - 1, day)).getUTCDate() !== day) return null; // e.g. February 30
  return { year, month, day, hour, minute, second, millisecond, text };
}

/**
 * Splits a record into the time stamp text (the first two tokens) and the rest. Tokens are separated by white
 * space, no-break spaces included (the seed's examples have them where the platform writes runs of spaces).
 */
function splitTimestamp(line: string): { stamp: string; rest: string } {
  const m = /^(\S*\s\S*)\s?/.exec(line);
  if (m === null) return { stamp: line, rest: '' };
  return { stamp: m[1]!, rest: line.slice(m[0].length) };
}

function parseLine(text: string, problems: PlatformLogProblem[]): PlatformLogRecord {
  const { stamp, rest: afterStamp } = splitTimestamp(text);
  const time = parsePlatformLogTime(stamp);
  if (time === null) problems.push({ kind: 'TIMESTAMP_INVALID', line: 1, message: `broken time stamp "${stamp.slice(0, 40)}"` });
  const levelEnd = afterStamp.search(/\s|$/);
  const levelToken = afterStamp.slice(0, levelEnd);
  let level: string | null = null;
  let rest = afterStamp;
  if (LEVELS.has(levelToken.toUpperCase())) {
    level = levelToken;
    rest = afterStamp.slice(levelEnd + 1);
  } else {
    problems.push({ kind: 'LEVEL_MISSING', line: 1, message: `no level (TRACE … FATAL) after the time stamp` });
  }
  const fields: Mutable<PlatformLogRecord> = { ...emptyRecord('line', text, problems), time, level };
  const { tokens, quoteAt } = readHeaderTokens(rest);
  const messageAt = assignHeaderFields(tokens, fields);
  if (messageAt !== -1) {
    readMessage(rest.slice(messageAt), fields);
  } else if (quoteAt !== -1) {
    readQuoted(rest.slice(quoteAt), fields, lineOf(text, text.length - rest.length + quoteAt) - 1, problems);
  }
  return fields;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Token {
  readonly text: string;
  /** Index in the text after the level. */
  readonly start: number;
}

/** Most fields before the description (session, user, host, port, IP, URL, status, module, duration, version). */
const MAX_HEADER_TOKENS = 12;

/**
 * The whitespace-separated tokens before the quoted description, and where its opening quote is (-1: none).
 * Stops after {@link MAX_HEADER_TOKENS}: a longer header is a message.
 */
function readHeaderTokens(rest: string): { tokens: Token[]; quoteAt: number } {
  const tokens: Token[] = [];
  const re = /\S+/g;
  for (let m = re.exec(rest); m !== null && tokens.length <= MAX_HEADER_TOKENS; m = re.exec(rest)) {
    if (m[0].startsWith("'")) return { tokens, quoteAt: m.index };
    tokens.push({ text: m[0], start: m.index });
  }
  return { tokens, quoteAt: -1 };
}

/**
 * Assigns header tokens to fields by their shape (see {@link parsePlatformLogRecord}). Returns where an unquoted
 * message starts — the first token that fits no field — or -1 when every token is a field.
 */
function assignHeaderFields(tokens: readonly Token[], fields: Mutable<PlatformLogRecord>): number {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!.text;
    const next = tokens[i + 1]?.text;
    if (i === 0 && UUID.test(token)) {
      fields.sessionId = token;
    } else if (fields.host === null && fields.url === null && next !== undefined && PORT.test(next) && !PORT.test(token) && !HAS_PATH.test(token)) {
      // A server address followed by its port (ERROR records); it may look like an IP or a URL itself, but has no
      // path (a URL with a path followed by a number is a request URL and its status, e.g. `…/GetMembersData 200`).
      fields.host = token;
      fields.port = Number(next);
      i += 1;
    } else if (fields.url === null && URL_LIKE.test(token)) {
      fields.url = token;
    } else if (fields.ip === null && fields.ipText === null && fields.url === null && (isIP(token) !== 0 || IP_LIKE.test(token))) {
      if (isIP(token) !== 0) fields.ip = token;
      else fields.ipText = token;
    } else if (fields.url !== null && fields.status === null && fields.duration === null && STATUS.test(token)) {
      fields.status = token;
      fields.statusCode = /^\d{3}$/.test(token) ? Number(token) : (STATUS_NAMES[token] ?? null);
    } else if (fields.duration === null && DURATION.test(token)) {
      fields.duration = token;
      fields.durationMs = parseDuration(token);
    } else if (fields.version === null && fields.duration !== null && VERSION.test(token)) {
      fields.version = token;
    } else if (fields.module === null && fields.url === null && (fields.host !== null || fields.ip !== null) && next !== undefined && DURATION.test(next)) {
      fields.module = token;
    } else if (fields.user === null && fields.ip === null && fields.ipText === null && fields.url === null && fields.host === null) {
      fields.user = token;
    } else {
      return tokens[i]!.start;
    }
  }
  return -1;
}

function parseDuration(text: string): number | null {
  const m = DURATION.exec(text);
  if (m === null) return null;
  const fraction = m[4] === undefined ? 0 : Math.floor(Number(`0.${m[4]}`) * 1000);
  return (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000 + fraction;
}

/** An unquoted message: the rest of its first line, and `key: value` details on the following lines. */
function readMessage(message: string, fields: Mutable<PlatformLogRecord>): void {
  const nl = message.indexOf('\n');
  fields.message = (nl === -1 ? message : message.slice(0, nl)).trim();
  if (nl !== -1) readDetails(message.slice(nl + 1), fields);
}

/** `key: value` lines after a system message (the start-up record's system information). */
function readDetails(lines: string, fields: Mutable<PlatformLogRecord>): void {
  const details: Record<string, string> = {};
  const more: string[] = [];
  let count = 0;
  for (const line of lines.split('\n')) {
    if (line.trim() === '') continue;
    const m = DETAIL.exec(line);
    if (m !== null) {
      details[m[1]!.trim()] = m[2]!.trim();
      count += 1;
    } else {
      more.push(line.trim());
    }
  }
  if (count > 0) fields.details = details;
  if (more.length > 0) fields.more = more.join('\n');
  const version = details['Version'] ?? details['Версия'];
  if (version !== undefined && fields.version === null) fields.version = version;
}

/**
 * The quoted part: `'description'` and an optional `'data'`. Quotes occur inside both (`'"Builtin": user login
 * failed for "username"'`, JSON data), so the data field is the last quoted field after `' '` whose content is
 * JSON-like or has no quote, and the description is everything between the first quote and it.
 */
function readQuoted(region: string, fields: Mutable<PlatformLogRecord>, lineBefore: number, problems: PlatformLogProblem[]): void {
  const quoted = region.trimEnd();
  let description: string;
  if (quoted.length >= 2 && quoted.endsWith("'")) {
    const split = findDataSplit(quoted);
    if (split === -1) {
      description = quoted.slice(1, -1);
    } else {
      description = quoted.slice(1, split.end);
      fields.data = quoted.slice(split.data, -1);
    }
  } else {
    description = quoted.slice(1);
    problems.push({ kind: 'QUOTE_UNTERMINATED', line: lineBefore + lineOf(quoted, quoted.length), message: 'the quoted description has no closing quote' });
  }
  const sectionsAt = description.search(/^(?:Service name|Method name|Parameters list|Stack):\s*$/m);
  if (sectionsAt !== -1) {
    fields.sections = readSections(description.slice(sectionsAt));
    description = description.slice(0, sectionsAt);
  }
  fields.description = fields.sections !== null ? description.trim() : description;
  const request = REQUEST.exec(fields.description);
  if (request !== null) {
    fields.requestMethod = request[1]!;
    if (request[4] !== undefined) fields.isCompletion = true;
    else if (request[3] !== undefined) fields.body = unquoteBody(request[3]);
  }
}

/**
 * Where the data field starts (the index of the description's closing quote), or -1. The quotes are separated by
 * white space (a no-break space in some of the seed's examples).
 */
function findDataSplit(quoted: string): { end: number; data: number } | -1 {
  const empty = /'\s+''$/.exec(quoted);
  if (empty !== null && empty.index > 0) return { end: empty.index, data: quoted.length - 1 };
  const separators = [...quoted.matchAll(/'\s+'/g)];
  for (let i = separators.length - 1; i >= 0; i--) {
    const at = separators[i]!;
    if (at.index === 0) break;
    const dataStart = at.index + at[0].length;
    const data = quoted.slice(dataStart, -1);
    const isJsonLike = /^[{[]/.test(data) && /[}\]]$/.test(data);
    if (isJsonLike || !data.includes("'")) return { end: at.index, data: dataStart };
  }
  return -1;
}

/** `"{…}"` → `{…}`: the platform wraps request bodies in double quotes without escaping the ones inside. */
function unquoteBody(body: string): string {
  return body.length >= 2 && body.startsWith('"') && body.endsWith('"') ? body.slice(1, -1) : body;
}

function readSections(text: string): PlatformLogErrorSections {
  const out: { service?: string; method?: string; parameters?: unknown[]; stack?: string } = {};
  let name: string | undefined;
  let lines: string[] = [];
  const close = (): void => {
    if (name === undefined) return;
    const body = lines.map((l) => l.trim()).filter((l) => l !== '');
    if (name === 'Service name') out.service = stripQuotes(body.join(' '));
    else if (name === 'Method name') out.method = stripQuotes(body.join(' '));
    else if (name === 'Parameters list') out.parameters = body.map(readParameter);
    else out.stack = body.join('\n');
  };
  for (const line of text.split('\n')) {
    const m = SECTION.exec(line);
    if (m !== null) {
      close();
      name = m[1]!;
      lines = [];
    } else {
      lines.push(line);
    }
  }
  close();
  return out;
}

function stripQuotes(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

/** `[0]: {…}` → the value, parsed when it is JSON. */
function readParameter(line: string): unknown {
  const value = line.replace(/^\[\d+\]:\s*/, '');
  return parseJsonOr(value);
}

/** `text` parsed as JSON when it is a JSON object or array, else `text` itself. */
export function parseJsonOr(text: string): unknown {
  if (!/^\s*[{[]/.test(text)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** `[yyyy-MM-dd HH:mm:ss,SSS][LEVEL][message] context` with `data:` lines after it. */
function parseAdapter(text: string, problems: PlatformLogProblem[]): PlatformLogRecord {
  const fields: Mutable<PlatformLogRecord> = { ...emptyRecord('adapter', text, problems) };
  const nl = text.indexOf('\n');
  const first = nl === -1 ? text : text.slice(0, nl);
  const stampEnd = first.indexOf(']');
  const stamp = first.slice(1, stampEnd === -1 ? undefined : stampEnd);
  fields.time = parsePlatformLogTime(stamp);
  if (fields.time === null) problems.push({ kind: 'TIMESTAMP_INVALID', line: 1, message: `broken time stamp "${stamp.slice(0, 40)}"` });
  let pos = stampEnd + 1;
  const level = /^\[([A-Za-z]+)\]/.exec(first.slice(pos));
  if (level !== null && LEVELS.has(level[1]!.toUpperCase())) {
    fields.level = level[1]!;
    pos += level[0].length;
  } else {
    problems.push({ kind: 'LEVEL_MISSING', line: 1, message: 'no [LEVEL] after the time stamp' });
  }
  if (first[pos] === '[') {
    // The message ends at its matching bracket: messages may hold brackets themselves.
    let depth = 0;
    let end = -1;
    for (let i = pos; i < first.length; i++) {
      if (first[i] === '[') depth += 1;
      else if (first[i] === ']' && --depth === 0) {
        end = i;
        break;
      }
    }
    if (end === -1) end = first.length;
    fields.message = first.slice(pos + 1, end);
    pos = end + 1;
  }
  const context = first.slice(pos).trim();
  if (context !== '') fields.context = readContext(context);
  if (nl !== -1) {
    const data: string[] = [];
    const more: string[] = [];
    for (const line of text.slice(nl + 1).split('\n')) {
      if (line.startsWith('data:')) data.push(line.slice(5).trim());
      else if (data.length > 0) data[data.length - 1] += `\n${line}`;
      else if (line.trim() !== '') more.push(line);
    }
    if (data.length > 0) fields.data = data.join('\n');
    if (more.length > 0) fields.more = more.join('\n');
  }
  return fields;
}

/** `Platform key: X; Service name: Y; Runtime: .NET 6.0.21` → pairs; text without pairs → `{ text }`. */
function readContext(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(/;\s*/)) {
    const colon = part.indexOf(':');
    if (colon > 0) out[part.slice(0, colon).trim()] = part.slice(colon + 1).trim();
    else if (part.trim() !== '') out['text'] = out['text'] === undefined ? part.trim() : `${out['text']}; ${part.trim()}`;
  }
  return out;
}
