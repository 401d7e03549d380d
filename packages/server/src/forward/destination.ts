import { createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { ValidationError } from '@tamga/core';
import { objectBody, parseBoolean, parseName, showTime } from '../auth/access-input.js';
import { parseForwardFilter } from './forward-filter.js';
import { DEFAULT_STRUCTURED_DATA_ID, DEFAULT_SYSLOG_FACILITY, DEFAULT_SYSLOG_MESSAGE_BYTES, isStructuredDataId, MIN_SYSLOG_MESSAGE_BYTES } from './syslog-message.js';

/** Formats a destination receives records in. */
export const FORWARD_FORMATS = ['syslog', 'cef', 'ocsf', 'webhook'] as const;
/** `syslog` (RFC 5424 with structured data), `cef` (CEF in syslog), `ocsf` (OCSF JSON as NDJSON over HTTP), `webhook` (JSON batches over HTTP). */
export type ForwardFormat = (typeof FORWARD_FORMATS)[number];

/** How bytes reach a destination, from its URL's scheme. */
export type ForwardTransport = 'tcp' | 'tls' | 'udp' | 'http' | 'https';

/** Where a destination comes from: the API, or `TAMGA_FORWARD_FILE` (then the file wins at every start). */
export type DestinationOrigin = 'api' | 'file';

/** TLS settings of a `tls://` or `https://` destination. */
export interface DestinationTls {
  /** PEM certificates to trust instead of the system's CAs. */
  readonly ca?: string;
  /** Name the server certificate must carry, when it is not the URL's host. */
  readonly serverName?: string;
  /** PEM client certificate (mutual TLS, RFC 5425 §5.3). */
  readonly cert?: string;
  /** The client certificate's private key, sealed ({@link SecretBox}). */
  readonly key?: string;
}

/** A destination's settings as stored: defaults filled in, secrets sealed. */
export interface DestinationSettings {
  readonly name: string;
  readonly format: ForwardFormat;
  /** `tcp://`, `tls://` or `udp://host[:port]` for syslog and CEF; `http(s)://…` for OCSF and webhooks. */
  readonly url: string;
  /** The filter, in the query language of `GET /api/v1/events` (`classifiedEvent=3`); empty = everything. */
  readonly filter: string;
  readonly enabled: boolean;
  /** Records per delivery (one HTTP request, or one write of syslog messages). Default 500. */
  readonly batchSize: number;
  /** Longest wait for a connection, a write or an answer, ms. Default 10,000. */
  readonly timeoutMs: number;
  /** Syslog and CEF: facility (0–23). Default 13 (log audit). */
  readonly facility?: number;
  /** Syslog: SD-ID of Tamga's structured data element. Default `tamga@32473`. */
  readonly structuredDataId?: string;
  /** Syslog and CEF: largest message, bytes. Default 8192. */
  readonly maxMessageBytes?: number;
  readonly tls?: DestinationTls;
  /** HTTP: bearer token, sealed. */
  readonly token?: string;
  /** HTTP: HMAC-SHA256 key of the `x-tamga-signature` header, sealed; required for webhooks. */
  readonly secret?: string;
  /** HTTP: extra request headers, values sealed. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A stored destination. */
export interface Destination extends DestinationSettings {
  readonly id: string;
  readonly origin: DestinationOrigin;
  /** 1 when created, +1 per change. */
  readonly version: number;
  /** UTC milliseconds. */
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Where a new destination starts reading: the records appended from now on (default), or every record stored. */
export type DestinationStart = 'now' | 'beginning';

/** Default records per delivery. */
export const DEFAULT_BATCH_SIZE = 500;
/** Most records per delivery. */
export const MAX_BATCH_SIZE = 10_000;
/** Default time-out of a connection, a write or an answer. */
export const DEFAULT_TIMEOUT_MS = 10_000;

const DEFAULT_PORTS: Readonly<Record<string, number>> = { tcp: 514, udp: 514, tls: 6514 };
/** Largest UDP payload over IPv4 (65,535 − 8 − 20). */
const MAX_UDP_MESSAGE_BYTES = 65_507;
const MAX_STREAM_MESSAGE_BYTES = 1024 * 1024;
const MAX_URL_LENGTH = 2048;
const MAX_PEM_LENGTH = 256 * 1024;
const MAX_SECRET_LENGTH = 4096;
const MIN_WEBHOOK_SECRET_LENGTH = 16;
const MAX_HEADERS = 20;
/** Headers Tamga sets itself. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive', 'te', 'upgrade', 'expect']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

const SYSLOG_FORMATS: readonly ForwardFormat[] = ['syslog', 'cef'];
const HTTP_FORMATS: readonly ForwardFormat[] = ['ocsf', 'webhook'];

/** Fields every destination takes. */
const COMMON_FIELDS = ['name', 'format', 'url', 'filter', 'enabled', 'batchSize', 'timeoutSeconds'];
/** Fields of some formats or transports only, with the formats they belong to. */
const SPECIFIC_FIELDS: Readonly<Record<string, readonly ForwardFormat[]>> = {
  facility: SYSLOG_FORMATS,
  maxMessageBytes: SYSLOG_FORMATS,
  structuredDataId: ['syslog'],
  token: HTTP_FORMATS,
  secret: HTTP_FORMATS,
  headers: HTTP_FORMATS,
  tls: FORWARD_FORMATS,
};

function invalid(field: string, message: string): never {
  throw new ValidationError('VALIDATION_FAILED', `${field}: ${message}`, { field });
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) invalid(field, `must be an integer from ${min} to ${max}`);
  return value;
}

/** A secret as sent: a string without line breaks (it goes into a header). */
function secretText(value: unknown, field: string, min = 1): string {
  if (typeof value !== 'string' || value.length < min || value.length > MAX_SECRET_LENGTH || /[\r\n\0]/.test(value)) {
    invalid(field, `must be a string of ${min} to ${MAX_SECRET_LENGTH} characters without line breaks`);
  }
  return value;
}

/** The transport, host and port of a destination URL. */
export interface DestinationAddress {
  readonly transport: ForwardTransport;
  /** Host name or IP address (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
}

/** Reads the transport, host and port of a stored (valid) destination URL. */
export function addressOf(url: string): DestinationAddress {
  const u = new URL(url);
  const transport = u.protocol.slice(0, -1) as ForwardTransport;
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const port = u.port === '' ? (DEFAULT_PORTS[transport] ?? (transport === 'https' ? 443 : 80)) : Number(u.port);
  return { transport, host, port };
}

function parseUrl(value: unknown, format: ForwardFormat): string {
  if (typeof value !== 'string' || value.length > MAX_URL_LENGTH) invalid('url', `must be a URL of at most ${MAX_URL_LENGTH} characters`);
  const isSyslog = SYSLOG_FORMATS.includes(format);
  const example = isSyslog ? 'tls://siem.example.com:6514' : 'https://siem.example.com/ingest';
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    invalid('url', `must be an absolute URL, e.g. ${example}`);
  }
  const transport = u.protocol.slice(0, -1);
  if (isSyslog && !['tcp', 'tls', 'udp'].includes(transport)) invalid('url', `a ${format} destination takes tcp://, tls:// or udp://host:port, e.g. ${example}`);
  if (!isSyslog && !['http', 'https'].includes(transport)) invalid('url', `an ${format} destination takes an http:// or https:// URL, e.g. ${example}`);
  if (u.username !== '' || u.password !== '') invalid('url', 'must not hold credentials: use token or headers');
  if (u.hash !== '') invalid('url', 'must not have a #fragment');
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  if (host === '' || (isIP(host) === 0 && !HOST_NAME.test(host))) invalid('url', `"${u.hostname}" is not a host name or an IP address`);
  if (isSyslog && ((u.pathname !== '' && u.pathname !== '/') || u.search !== '')) invalid('url', `a ${format} destination is host:port only, e.g. ${example}`);
  if (u.port === '0') invalid('url', 'port 0 is not a port');
  return isSyslog ? `${transport}://${u.host}` : u.href;
}

/** The PEM certificates in `text`, each checked to parse; throws naming `field` otherwise. */
function parseCertificates(value: unknown, field: string, single: boolean): string {
  if (typeof value !== 'string' || value.length > MAX_PEM_LENGTH) invalid(field, `must be PEM text of at most ${MAX_PEM_LENGTH} characters`);
  const blocks = value.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) invalid(field, 'must hold a PEM certificate (-----BEGIN CERTIFICATE----- …)');
  if (single && blocks.length > 1) invalid(field, 'must hold exactly one PEM certificate');
  blocks.forEach((block, i) => {
    try {
      new X509Certificate(block);
    } catch (error) {
      invalid(field, `certificate ${i + 1} does not parse as X.509 (${(error as Error).message})`);
    }
  });
  return `${blocks.join('\n')}\n`;
}

/** What {@link parseDestinationInput} needs besides the body. */
export interface DestinationInputContext {
  /** The destination being changed (PATCH, or a file entry replacing a stored one); absent when creating. */
  readonly existing?: Destination;
  /** Seals a secret for a field of this destination (`token`, `secret`, `headers.<name>`, `tls.key`). */
  readonly seal: (plain: string, field: string) => string;
  /** Opens a sealed secret of `existing` (to check a kept TLS key against a new certificate). */
  readonly open: (sealed: string, field: string) => string;
}

/** The result of {@link parseDestinationInput}. */
export interface ParsedDestinationInput {
  readonly settings: DestinationSettings;
  /** `start` of a new destination (default `now`). */
  readonly start: DestinationStart;
  /** Names of the settings the input changed (secrets included, their values never). */
  readonly changed: readonly string[];
}

/**
 * Validates a destination sent to the API (or read from `TAMGA_FORWARD_FILE`): every problem is a
 * `VALIDATION_FAILED` naming the field — an unknown field, a URL that is not one or whose scheme does not suit the
 * format, a filter with an unknown parameter (`filter.<name>`), a `tls.ca` or `tls.cert` that does not parse as a
 * certificate, a `tls.key` that is not the certificate's. Whether the host answers is not checked: a destination
 * that is down is a delivery error, not a configuration error.
 *
 * With `existing` the input is a change: fields left out keep their values; a secret (`token`, `secret`,
 * `tls.key`) is replaced when given, removed when `null`, kept when absent; `headers` and `tls` are replaced whole
 * (a `tls` without `key` keeps the stored key). Fields that no longer suit a changed format are dropped.
 */
export function parseDestinationInput(body: unknown, context: DestinationInputContext): ParsedDestinationInput {
  const input = objectBody(body);
  const { existing } = context;
  const allowed = [...COMMON_FIELDS, ...Object.keys(SPECIFIC_FIELDS), ...(existing === undefined ? ['start'] : [])];
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key)) invalid(key, key === 'start' ? 'is taken only when a destination is created' : 'is not a known field');
  }
  const given = (field: string): boolean => input[field] !== undefined;
  const value = (field: string): unknown => (given(field) ? input[field] : undefined);

  const formatValue = value('format') ?? existing?.format;
  if (typeof formatValue !== 'string' || !(FORWARD_FORMATS as readonly string[]).includes(formatValue)) {
    invalid('format', `must be one of ${FORWARD_FORMATS.join(', ')}`);
  }
  const format = formatValue as ForwardFormat;
  for (const [field, formats] of Object.entries(SPECIFIC_FIELDS)) {
    if (given(field) && input[field] !== null && !formats.includes(format)) invalid(field, `does not apply to a ${format} destination`);
  }
  const name = given('name') ? parseName(input.name) : existing?.name;
  if (name === undefined) invalid('name', 'is required');
  const urlValue = value('url') ?? existing?.url;
  if (urlValue === undefined) invalid('url', 'is required');
  const url = parseUrl(urlValue, format);
  const { transport } = addressOf(url);
  const filter = given('filter') ? input.filter : (existing?.filter ?? '');
  if (typeof filter !== 'string') invalid('filter', 'must be a string such as "classifiedEvent=3" or "event=2003,2004"');
  parseForwardFilter(filter);
  const enabled = given('enabled') ? parseBoolean(input.enabled, 'enabled') : (existing?.enabled ?? true);
  const batchSize = given('batchSize') ? integer(input.batchSize, 'batchSize', 1, MAX_BATCH_SIZE) : (existing?.batchSize ?? DEFAULT_BATCH_SIZE);
  const timeoutMs = given('timeoutSeconds') ? integer(input.timeoutSeconds, 'timeoutSeconds', 1, 300) * 1000 : (existing?.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const start = given('start') ? input.start : 'now';
  if (start !== 'now' && start !== 'beginning') invalid('start', 'must be "now" (records appended from now on) or "beginning" (every record stored)');

  const kept = <T>(field: keyof DestinationSettings): T | undefined =>
    existing !== undefined && (SPECIFIC_FIELDS[field] ?? FORWARD_FORMATS).includes(format) ? (existing[field] as T | undefined) : undefined;
  const settings: Record<string, unknown> = { name, format, url, filter, enabled, batchSize, timeoutMs };

  if (SYSLOG_FORMATS.includes(format)) {
    settings.facility = given('facility') ? integer(input.facility, 'facility', 0, 23) : (kept<number>('facility') ?? DEFAULT_SYSLOG_FACILITY);
    const maxBytes = transport === 'udp' ? MAX_UDP_MESSAGE_BYTES : MAX_STREAM_MESSAGE_BYTES;
    const messageBytes = given('maxMessageBytes') ? input.maxMessageBytes : (kept<number>('maxMessageBytes') ?? DEFAULT_SYSLOG_MESSAGE_BYTES);
    settings.maxMessageBytes = integer(messageBytes, 'maxMessageBytes', MIN_SYSLOG_MESSAGE_BYTES, maxBytes);
  }
  if (format === 'syslog') {
    const sdId = given('structuredDataId') ? input.structuredDataId : (kept<string>('structuredDataId') ?? DEFAULT_STRUCTURED_DATA_ID);
    if (typeof sdId !== 'string' || !isStructuredDataId(sdId)) {
      invalid('structuredDataId', 'must be name@<private enterprise number>, at most 32 printable ASCII characters, e.g. tamga@32473');
    }
    settings.structuredDataId = sdId;
  }
  if (HTTP_FORMATS.includes(format)) {
    const token = parseSecretField(input, 'token', kept<string>('token'), context);
    if (token !== undefined) settings.token = token;
    const secret = parseSecretField(input, 'secret', kept<string>('secret'), context, MIN_WEBHOOK_SECRET_LENGTH);
    if (secret !== undefined) settings.secret = secret;
    if (format === 'webhook' && secret === undefined) invalid('secret', `is required for a webhook destination (${MIN_WEBHOOK_SECRET_LENGTH} or more characters)`);
    const headers = given('headers') ? parseHeaders(input.headers, token !== undefined, context) : kept<Record<string, string>>('headers');
    if (headers !== undefined && Object.keys(headers).length > 0) settings.headers = headers;
  }
  const tls = given('tls') ? parseTls(input.tls, transport, kept<DestinationTls>('tls'), context) : transport === 'tls' || transport === 'https' ? kept<DestinationTls>('tls') : undefined;
  if (tls !== undefined && Object.keys(tls).length > 0) settings.tls = tls;

  const result = settings as unknown as DestinationSettings;
  const changed =
    existing === undefined
      ? Object.keys(settings)
      : [...new Set([...Object.keys(settings), ...Object.keys(existing)])].filter(
          (field) =>
            !['id', 'origin', 'version', 'createdAt', 'updatedAt'].includes(field) &&
            (given(field === 'timeoutMs' ? 'timeoutSeconds' : field) || JSON.stringify(settings[field]) !== JSON.stringify(existing[field as keyof Destination])),
        );
  return { settings: result, start: start as DestinationStart, changed };
}

/** A secret field: a new value sealed, `null` removes it, absent keeps the stored one. */
function parseSecretField(
  input: Record<string, unknown>,
  field: 'token' | 'secret',
  stored: string | undefined,
  context: DestinationInputContext,
  min = 1,
): string | undefined {
  const value = input[field];
  if (value === undefined) return stored;
  if (value === null) return undefined;
  return context.seal(secretText(value, field, min), field);
}

function parseHeaders(value: unknown, hasToken: boolean, context: DestinationInputContext): Record<string, string> | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) invalid('headers', 'must be an object of header names and values');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_HEADERS) invalid('headers', `must hold at most ${MAX_HEADERS} headers`);
  const headers: Record<string, string> = {};
  for (const [rawName, headerValue] of entries) {
    const name = rawName.toLowerCase();
    const field = `headers.${rawName.slice(0, 100)}`;
    if (!HEADER_NAME.test(rawName)) invalid(field, 'is not a valid header name');
    if (RESERVED_HEADERS.has(name) || name.startsWith('x-tamga-')) invalid(field, 'is set by Tamga itself');
    if (name === 'authorization' && hasToken) invalid(field, 'conflicts with token (which sends Authorization: Bearer)');
    headers[name] = context.seal(secretText(headerValue, field), `headers.${name}`);
  }
  return headers;
}

function parseTls(value: unknown, transport: ForwardTransport, stored: DestinationTls | undefined, context: DestinationInputContext): DestinationTls | undefined {
  if (value === null) return undefined;
  if (transport !== 'tls' && transport !== 'https') invalid('tls', 'applies to tls:// and https:// destinations only');
  if (typeof value !== 'object' || Array.isArray(value)) invalid('tls', 'must be an object with ca, serverName, cert and key');
  const input = value as Record<string, unknown>;
  for (const key of Object.keys(input)) if (!['ca', 'serverName', 'cert', 'key'].includes(key)) invalid(`tls.${key.slice(0, 100)}`, 'is not a known field');
  const tls: { ca?: string; serverName?: string; cert?: string; key?: string } = {};
  if (input.ca !== undefined && input.ca !== null) tls.ca = parseCertificates(input.ca, 'tls.ca', false);
  if (input.serverName !== undefined && input.serverName !== null) {
    if (typeof input.serverName !== 'string' || !HOST_NAME.test(input.serverName)) invalid('tls.serverName', 'must be a host name');
    tls.serverName = input.serverName;
  }
  if (input.cert !== undefined && input.cert !== null) tls.cert = parseCertificates(input.cert, 'tls.cert', true);
  let keyPem: string | undefined;
  if (input.key !== undefined && input.key !== null) {
    if (typeof input.key !== 'string' || input.key.length > MAX_PEM_LENGTH) invalid('tls.key', `must be PEM text of at most ${MAX_PEM_LENGTH} characters`);
    keyPem = input.key;
  } else if (input.key === undefined && stored?.key !== undefined && tls.cert !== undefined) {
    keyPem = context.open(stored.key, 'tls.key');
  }
  if (keyPem !== undefined) {
    let key;
    try {
      key = createPrivateKey(keyPem);
    } catch {
      invalid('tls.key', 'must be a PEM private key (-----BEGIN PRIVATE KEY----- …)');
    }
    if (tls.cert === undefined) invalid('tls.key', 'needs tls.cert, the client certificate it belongs to');
    if (!new X509Certificate(tls.cert).checkPrivateKey(key)) invalid('tls.key', 'does not belong to tls.cert');
    tls.key = context.seal(keyPem, 'tls.key');
  } else if (tls.cert !== undefined) {
    invalid('tls.cert', 'needs tls.key, its private key');
  }
  return tls;
}

/** A certificate as the API shows it: who, by whom, until when, and its SHA-256 fingerprint. */
function certificateJson(pem: string): { subject: string; issuer: string; validTo: string; fingerprint256: string }[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((block) => {
    const cert = new X509Certificate(block);
    return { subject: cert.subject.replace(/\n/g, ', '), issuer: cert.issuer.replace(/\n/g, ', '), validTo: new Date(cert.validTo).toISOString(), fingerprint256: cert.fingerprint256 };
  });
}

/**
 * A destination's settings as the API and the journal show them: secrets are write-only, so only whether they
 * are set (`hasToken`, `hasSecret`, `tls.hasKey`) and the custom header names appear; certificates appear as
 * subject, issuer, expiry and fingerprint.
 */
export function destinationSettingsJson(d: DestinationSettings): Record<string, unknown> {
  return {
    name: d.name,
    format: d.format,
    url: d.url,
    filter: d.filter,
    enabled: d.enabled,
    batchSize: d.batchSize,
    timeoutSeconds: d.timeoutMs / 1000,
    ...(d.facility !== undefined && { facility: d.facility }),
    ...(d.structuredDataId !== undefined && { structuredDataId: d.structuredDataId }),
    ...(d.maxMessageBytes !== undefined && { maxMessageBytes: d.maxMessageBytes }),
    ...(HTTP_FORMATS.includes(d.format) && { hasToken: d.token !== undefined, hasSecret: d.secret !== undefined, headers: Object.keys(d.headers ?? {}) }),
    ...(d.tls !== undefined && {
      tls: {
        ca: d.tls.ca === undefined ? null : certificateJson(d.tls.ca),
        serverName: d.tls.serverName ?? null,
        cert: d.tls.cert === undefined ? null : certificateJson(d.tls.cert)[0],
        hasKey: d.tls.key !== undefined,
      },
    }),
  };
}

/** A stored destination as the API shows it ({@link destinationSettingsJson} plus id, origin, version and times). */
export function destinationJson(d: Destination): Record<string, unknown> {
  return {
    id: d.id,
    ...destinationSettingsJson(d),
    origin: d.origin,
    version: d.version,
    createdAt: showTime(d.createdAt),
    updatedAt: showTime(d.updatedAt),
  };
}
