import { describe, expect, it } from 'vitest';
import { checkedRecord } from '../test-support/fixtures.js';
import { parseCef, parseRfc5424 } from '../test-support/syslog-grammar.js';
import { cefSeverityOf, formatCefMessage } from './cef-message.js';

const OPTIONS = { facility: 10, maxMessageBytes: 8192, version: '1.2|3' };
/** Values with every character CEF escapes, plus text that looks like another key. */
const TRICKY = 'a=b c\\d |pipe| new\nline cr\rx suser=mallory rt=0 trailing\\';

function cefOf(bytes: Buffer) {
  // CEF is MSG-ANY: receivers expect the message to start with "CEF:", so no BOM.
  const syslog = parseRfc5424(bytes, { utf8Msg: false });
  expect(syslog.structuredData).toEqual([]);
  expect(syslog.hasBom).toBe(false);
  return { syslog, cef: parseCef(syslog.msg!) };
}

describe('formatCefMessage', () => {
  it('writes CEF inside RFC 5424 with the catalogue name and severity, and every escape round-trips', () => {
    const record = checkedRecord(
      {
        event: 2004,
        eventName: 'Login|Unauthorized\\odd',
        userId: TRICKY,
        ip: '10.0.0.7',
        tenantId: 'acme',
        operationKey: 'op=1',
        severity: 4,
        outcome: 'failure',
        text: TRICKY,
        entityData: { note: TRICKY },
        extra: { userAgent: 'curl/8', request: { method: 'POST', url: '/x?a=b' } },
      },
      12,
    );
    const { syslog, cef } = cefOf(formatCefMessage(record, OPTIONS));
    expect(syslog).toMatchObject({ facility: 10, severity: 3, msgId: '2004', appName: 'tamga' });
    expect(cef).toMatchObject({ version: '0', vendor: 'Tamga', product: 'Tamga', deviceVersion: '1.2|3', signatureId: '2004', name: 'Login|Unauthorized\\odd', severity: '7' });
    const ext = Object.fromEntries(cef.extension);
    expect(ext).toMatchObject({
      rt: String(Math.floor(record.createdAt / 1000)),
      externalId: record.id,
      suser: TRICKY,
      src: '10.0.0.7',
      outcome: 'failure',
      msg: TRICKY,
      cat: 'security incident',
      dvchost: 'node-a',
      requestMethod: 'POST',
      request: '/x?a=b',
      requestClientApplication: 'curl/8',
      cs1: 'acme',
      cs1Label: 'tenantId',
      cs2: 'op=1',
      cs2Label: 'operationKey',
      cs3Label: 'entityData',
      cs4: 'test/default',
      cs5: record.signature,
      cs6: 'valid',
      cn1: '12',
      cn1Label: 'seq',
      cn2: '3',
    });
    expect(JSON.parse(ext.cs3!)).toEqual({ note: TRICKY });
    // Every key appears once: text that looks like "suser=…" stayed inside its value.
    expect(cef.extension.filter(([k]) => k === 'suser')).toHaveLength(1);
  });

  it('puts an IPv6 source into c6a2, since src is IPv4 only', () => {
    const ext = Object.fromEntries(cefOf(formatCefMessage(checkedRecord({ ip: '2001:db8::7' }), OPTIONS)).cef.extension);
    expect(ext.src).toBeUndefined();
    expect(ext).toMatchObject({ c6a2: '2001:db8::7', c6a2Label: 'Source IPv6 Address' });
  });

  it('keeps a header free of line breaks', () => {
    const { cef } = cefOf(formatCefMessage(checkedRecord({ eventName: 'Two\nlines' }), OPTIONS));
    expect(cef.name).toBe('Two lines');
  });

  it('sends UTF-8 without a BOM, so the message starts with "CEF:"', () => {
    const bytes = formatCefMessage(checkedRecord({ userId: 'Иван', text: 'Вход' }), OPTIONS);
    const { syslog, cef } = cefOf(bytes);
    expect(syslog.msg!.startsWith('CEF:0|')).toBe(true);
    expect(Object.fromEntries(cef.extension)).toMatchObject({ suser: 'Иван', msg: 'Вход' });
  });

  it('shortens long values to the size limit and still parses', () => {
    const record = checkedRecord({ text: '=\\'.repeat(20_000), entityData: 'y'.repeat(40_000) });
    const bytes = formatCefMessage(record, OPTIONS);
    expect(bytes.length).toBeLessThanOrEqual(8192);
    const ext = Object.fromEntries(cefOf(bytes).cef.extension);
    expect(ext.externalId).toBe(record.id);
    expect(ext.msg!.endsWith('…')).toBe(true);
  });
});

describe('cefSeverityOf', () => {
  it('spreads OCSF severities over 0..10', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(cefSeverityOf)).toEqual([0, 1, 3, 5, 7, 9, 10]);
  });
});
