import { describe, expect, it } from 'vitest';
import { checkedRecord } from '../test-support/fixtures.js';
import { parseRfc5424 } from '../test-support/syslog-grammar.js';
import { DEFAULT_STRUCTURED_DATA_ID, formatRfc5424Message, isStructuredDataId, syslogSeverityOf } from './syslog-message.js';

const OPTIONS = { facility: 13, structuredDataId: DEFAULT_STRUCTURED_DATA_ID, maxMessageBytes: 8192 };
/** Values that need every escape of §6.3.3, line breaks, and characters outside ASCII. */
const TRICKY = 'quote " backslash \\ bracket ] [open] line\nbreak tab\t équipe 日本 🔐 end\\';

describe('formatRfc5424Message', () => {
  it('writes a message that follows the RFC 5424 grammar and carries every field in the structured data', () => {
    const record = checkedRecord(
      {
        event: 2004,
        eventName: 'LoginUserUnauthorized',
        userId: 'alice "the admin"',
        ip: '10.0.0.7',
        tenantId: 'acme',
        operationKey: 'op]1',
        severity: 4,
        outcome: 'failure',
        text: TRICKY,
        entityData: { login: 'alice', note: TRICKY },
        extra: { sessionId: 's-1', userAgent: 'curl/8', request: { method: 'POST', url: '/login?a=]', status: 401 }, catalogVersion: 'ai-server@1' },
      },
      41,
    );
    const parsed = parseRfc5424(formatRfc5424Message(record, OPTIONS));
    // PRI = facility 13 (log audit) × 8 + severity 3 (error, for OCSF High).
    expect(parsed).toMatchObject({ pri: 13 * 8 + 3, version: 1, hostname: 'node-a', appName: 'tamga', procId: '-', msgId: '2004' });
    expect(parsed.timestamp).toBe('2026-11-22T10:00:00.000000Z');
    expect(parsed.structuredData).toHaveLength(1);
    const sd = parsed.structuredData[0]!;
    expect(sd.id).toBe('tamga@32473');
    const params = Object.fromEntries(sd.params);
    expect(params).toMatchObject({
      event: '2004',
      eventName: 'LoginUserUnauthorized',
      id: record.id,
      log: 'test/default',
      seq: '41',
      tenantId: 'acme',
      userId: 'alice "the admin"',
      ip: '10.0.0.7',
      operationKey: 'op]1',
      classifiedEvent: '3',
      severity: '4',
      outcome: 'failure',
      sessionId: 's-1',
      userAgent: 'curl/8',
      requestMethod: 'POST',
      requestUrl: '/login?a=]',
      requestStatus: '401',
      catalogVersion: 'ai-server@1',
      signature: record.signature,
      sigKid: 'test-key',
      integrity: 'valid',
    });
    expect(JSON.parse(params.entityData!)).toEqual({ login: 'alice', note: TRICKY });
    expect(params.truncated).toBeUndefined();
    // Non-ASCII MSG: MSG-UTF8 with the BOM (§6.4).
    expect(parsed.hasBom).toBe(true);
    expect(parsed.msg).toBe(`LoginUserUnauthorized: ${TRICKY}`);
  });

  it('sends an ASCII MSG without a BOM, and leaves out fields that are null', () => {
    const parsed = parseRfc5424(formatRfc5424Message(checkedRecord({ text: null, userId: null, tenantId: null, entityData: null }), OPTIONS));
    expect(parsed.msg).toBe('Login');
    expect(parsed.hasBom).toBe(false);
    const params = Object.fromEntries(parsed.structuredData[0]!.params);
    expect(params.userId).toBeUndefined();
    expect(params.entityData).toBeUndefined();
    expect(params.tenantId).toBe('default');
  });

  it('shortens long free text to the size limit, keeps the grammar and every identifying field, and says so', () => {
    const record = checkedRecord({ text: 'x'.repeat(20_000), entityData: { blob: 'й'.repeat(30_000) } }, 7);
    const bytes = formatRfc5424Message(record, OPTIONS);
    expect(bytes.length).toBeLessThanOrEqual(8192);
    const parsed = parseRfc5424(bytes);
    const params = Object.fromEntries(parsed.structuredData[0]!.params);
    expect(params).toMatchObject({ id: record.id, seq: '7', signature: record.signature, truncated: 'true' });
    expect(params.entityData!.endsWith('…')).toBe(true);
    expect(parsed.msg!.startsWith('Login: xxxx')).toBe(true);
  });

  it('uses the SD-ID a destination names', () => {
    const parsed = parseRfc5424(formatRfc5424Message(checkedRecord(), { ...OPTIONS, structuredDataId: 'audit@12345.1' }));
    expect(parsed.structuredData[0]!.id).toBe('audit@12345.1');
  });

  it('replaces characters a header field may not hold', () => {
    const parsed = parseRfc5424(formatRfc5424Message(checkedRecord({ nodeId: 'node one é' }), OPTIONS));
    expect(parsed.hostname).toBe('node_one__');
  });
});

describe('syslogSeverityOf', () => {
  it('maps OCSF severities onto syslog severities, the higher the more urgent', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(syslogSeverityOf)).toEqual([6, 6, 5, 4, 3, 2, 1]);
  });
});

describe('isStructuredDataId', () => {
  it('takes name@number and refuses what RFC 5424 §6.3.2 forbids', () => {
    expect(isStructuredDataId('tamga@32473')).toBe(true);
    expect(isStructuredDataId('a@1.2.3')).toBe(true);
    for (const bad of ['tamga', 'ta mga@1', 'ta"mga@1', 'ta]ga@1', 'ta=ga@1', 'a@b@1', 'tamga@x', `${'a'.repeat(30)}@12`, 'é@1']) {
      expect(isStructuredDataId(bad), bad).toBe(false);
    }
  });
});
