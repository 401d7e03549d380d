import type { OcsfMapping } from '@tamga/core';
import type { CheckedRecord } from '../journal/journal-store.js';
import { toRecordJson } from '../http/record-json.js';
import { formatCefMessage } from './cef-message.js';
import { addressOf } from './destination.js';
import type { Destination } from './destination.js';
import { HttpPoster } from './http-poster.js';
import { toOcsfEvent } from './ocsf-event.js';
import { SyslogConnection } from './syslog-connection.js';
import type { SendReceipt } from './syslog-connection.js';
import { formatRfc5424Message } from './syslog-message.js';
import { signBody, SIGNATURE_HEADER } from './webhook-signature.js';

/** Where a destination's records go, in its format, over its transport. */
export interface DeliverySink {
  /**
   * Delivers records in order. Resolves with a receipt when delivery is not final yet (syslog: ask
   * {@link DeliverySink.settled}), or undefined when it is (an HTTP 2xx). Rejects with a `DeliveryError`.
   */
  deliver(records: readonly CheckedRecord[]): Promise<SendReceipt | undefined>;
  /** Whether the records of a receipt stayed delivered ({@link SyslogConnection.settled}). */
  settled(receipt: SendReceipt, now: number): 'settled' | 'pending' | 'lost';
  close(): Promise<void>;
}

/** What a sink needs besides the destination. */
export interface SinkContext {
  /** Tamga's version (CEF Device Version, OCSF product version, User-Agent). */
  readonly version: string;
  /** The node delivering (HTTP header `x-tamga-node`). */
  readonly nodeId: string;
  /** The OCSF class and activity of a record's code, from its tenant's catalogue. */
  readonly ocsfMappingOf: (record: CheckedRecord) => OcsfMapping | undefined;
  /** Opens a sealed secret of the destination (`token`, `secret`, `headers.<name>`, `tls.key`). */
  readonly openSecret: (sealed: string, field: string) => string;
  /** Clock in UTC ms (signature timestamps). */
  readonly now: () => number;
  /** Syslog: how long a connection must stay up after a write for it to count, ms. */
  readonly settleMs?: number;
}

/** The TLS options of a destination with its key opened. */
function tlsOf(d: Destination, context: SinkContext) {
  if (d.tls === undefined) return undefined;
  return {
    ...(d.tls.ca !== undefined && { ca: d.tls.ca }),
    ...(d.tls.serverName !== undefined && { serverName: d.tls.serverName }),
    ...(d.tls.cert !== undefined && { cert: d.tls.cert }),
    ...(d.tls.key !== undefined && { key: context.openSecret(d.tls.key, 'tls.key') }),
  };
}

/**
 * Builds the sink of a destination: RFC 5424 or CEF messages over a {@link SyslogConnection}, OCSF events as NDJSON
 * or webhook batches as JSON over an {@link HttpPoster}. Secrets are opened here, once.
 *
 * @throws TamgaError `CONFIG_INVALID` when a secret cannot be opened (its HMAC key left the keys directory).
 */
export function createSink(d: Destination, context: SinkContext): DeliverySink {
  const tls = tlsOf(d, context);
  if (d.format === 'syslog' || d.format === 'cef') {
    const { transport, host, port } = addressOf(d.url);
    const connection = new SyslogConnection({
      transport: transport as 'tcp' | 'tls' | 'udp',
      host,
      port,
      timeoutMs: d.timeoutMs,
      ...(tls !== undefined && { tls }),
      ...(context.settleMs !== undefined && { settleMs: context.settleMs }),
    });
    const options = { facility: d.facility!, maxMessageBytes: d.maxMessageBytes!, structuredDataId: d.structuredDataId!, version: context.version };
    const format = d.format === 'syslog' ? (r: CheckedRecord) => formatRfc5424Message(r, options) : (r: CheckedRecord) => formatCefMessage(r, options);
    return {
      deliver: (records) => connection.send(records.map(format)),
      settled: (receipt, now) => connection.settled(receipt, now),
      close: () => connection.close(),
    };
  }
  const poster = new HttpPoster({ url: d.url, timeoutMs: d.timeoutMs, ...(tls !== undefined && { tls }) });
  const headers: Record<string, string> = { 'user-agent': `Tamga/${context.version}`, 'x-tamga-destination': d.id, 'x-tamga-node': context.nodeId.replace(/[^ -~]/g, '_') };
  for (const [name, sealed] of Object.entries(d.headers ?? {})) headers[name] = context.openSecret(sealed, `headers.${name}`);
  if (d.token !== undefined) headers.authorization = `Bearer ${context.openSecret(d.token, 'token')}`;
  const secret = d.secret === undefined ? undefined : context.openSecret(d.secret, 'secret');
  const body =
    d.format === 'ocsf'
      ? (records: readonly CheckedRecord[]) => ({
          type: 'application/x-ndjson',
          bytes: Buffer.from(records.map((r) => `${JSON.stringify(toOcsfEvent(r, context.ocsfMappingOf(r), context))}\n`).join(''), 'utf8'),
        })
      : (records: readonly CheckedRecord[]) => ({
          type: 'application/json',
          bytes: Buffer.from(
            JSON.stringify({ destination: { id: d.id, name: d.name }, records: records.map((r, i) => ({ ...toRecordJson(r, r.integrity, i + 1), log: r.log })) }),
            'utf8',
          ),
        });
  return {
    async deliver(records) {
      const { type, bytes } = body(records);
      const signature = secret === undefined ? {} : { [SIGNATURE_HEADER]: signBody(secret, bytes, Math.floor(context.now() / 1000)) };
      await poster.post(bytes, { ...headers, 'content-type': `${type}; charset=utf-8`, ...signature });
      return undefined;
    },
    settled: () => 'settled',
    close: () => {
      poster.close();
      return Promise.resolve();
    },
  };
}
