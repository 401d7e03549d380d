import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyRing } from '../keys/key-ring.js';
import { tempDir } from '../test-support/fixtures.js';
import { hasOpenssl, makeTestCertificates } from '../test-support/test-certificates.js';
import type { TestCertificates } from '../test-support/test-certificates.js';
import { destinationJson, parseDestinationInput } from './destination.js';
import type { Destination, DestinationInputContext } from './destination.js';
import { SecretBox } from './secret-box.js';

const dir = tempDir();
const box = new SecretBox(KeyRing.openOrCreate(`${dir.path}/keys`));
const context: DestinationInputContext = { seal: (plain, field) => box.seal(plain, `d1/${field}`), open: (sealed, field) => box.open(sealed, `d1/${field}`) };
let certs: TestCertificates | undefined;

beforeAll(() => {
  if (hasOpenssl()) certs = makeTestCertificates(dir.path);
  else if (process.env.CI === 'true') throw new Error('openssl is required in CI (.ci/run installs it)');
  else console.warn('\n*** openssl not found: the TLS certificate cases of destination.test.ts are SKIPPED ***\n');
});
afterAll(() => dir.remove());

const parse = (body: unknown, existing?: Destination) => parseDestinationInput(body, { ...context, ...(existing !== undefined && { existing }) });
const stored = (body: unknown): Destination => ({ ...parse(body).settings, id: 'd1', origin: 'api', version: 1, createdAt: 0, updatedAt: 0 });
function fieldOf(body: unknown, existing?: Destination): string | undefined {
  try {
    parse(body, existing);
  } catch (error) {
    return (error as { code: string; details: { field?: string } }).code === 'VALIDATION_FAILED' ? (error as { details: { field?: string } }).details.field : `not VALIDATION_FAILED: ${String(error)}`;
  }
  return undefined;
}

describe('parseDestinationInput', () => {
  it('fills the defaults of each format', () => {
    expect(parse({ name: 'siem', format: 'syslog', url: 'tcp://siem.example.com' }).settings).toEqual({
      name: 'siem',
      format: 'syslog',
      url: 'tcp://siem.example.com',
      filter: '',
      enabled: true,
      batchSize: 500,
      timeoutMs: 10_000,
      facility: 13,
      maxMessageBytes: 8192,
      structuredDataId: 'tamga@32473',
    });
    expect(parse({ name: 'cef', format: 'cef', url: 'udp://[2001:db8::1]:5514', filter: 'classifiedEvent=3' }).settings).toMatchObject({
      url: 'udp://[2001:db8::1]:5514',
      facility: 13,
      filter: 'classifiedEvent=3',
    });
    const ocsf = parse({ name: 'lake', format: 'ocsf', url: 'https://lake.example.com/ingest?src=tamga', token: 'tok' }).settings;
    expect(ocsf).toMatchObject({ url: 'https://lake.example.com/ingest?src=tamga' });
    expect(ocsf.token).toMatch(/^sealed:v1:/);
    expect(parse({ name: 'new', format: 'webhook', url: 'http://127.0.0.1:9000/hook', secret: 'sixteen chars!!!', start: 'beginning' }).start).toBe('beginning');
  });

  it('refuses bad input with a 400 naming the field', () => {
    const syslog = { name: 'siem', format: 'syslog', url: 'tls://siem.example.com:6514' };
    const webhook = { name: 'hook', format: 'webhook', url: 'https://hooks.example.com/tamga', secret: 'sixteen chars!!!' };
    const cases: [unknown, string][] = [
      [[], 'body'],
      [{ ...syslog, colour: 'red' }, 'colour'],
      [{ ...syslog, name: '' }, 'name'],
      [{ format: 'syslog', url: 'tcp://a' }, 'name'],
      [{ ...syslog, format: 'gelf' }, 'format'],
      [{ ...syslog, url: undefined }, 'url'],
      [{ ...syslog, url: 'not a url' }, 'url'],
      [{ ...syslog, url: 'https://siem.example.com' }, 'url'],
      [{ ...syslog, url: 'tcp://user:pw@siem.example.com:514' }, 'url'],
      [{ ...syslog, url: 'tcp://siem.example.com:514/path' }, 'url'],
      [{ ...syslog, url: 'tcp://siem.example.com:99999' }, 'url'],
      [{ ...syslog, url: 'tcp://bad_host!:514' }, 'url'],
      [{ ...webhook, url: 'ftp://x.example.com/' }, 'url'],
      [{ ...webhook, url: 'https://x.example.com/#frag' }, 'url'],
      [{ ...webhook, url: 'javascript:alert(1)' }, 'url'],
      [{ ...syslog, filter: 'usrId=alice' }, 'filter.usrId'],
      [{ ...syslog, filter: 'classifiedEvent=7' }, 'filter.classifiedEvent'],
      [{ ...syslog, filter: 3 }, 'filter'],
      [{ ...syslog, enabled: 'yes' }, 'enabled'],
      [{ ...syslog, facility: 24 }, 'facility'],
      [{ ...syslog, maxMessageBytes: 100 }, 'maxMessageBytes'],
      [{ ...syslog, url: 'udp://siem.example.com', maxMessageBytes: 70_000 }, 'maxMessageBytes'],
      [{ ...syslog, structuredDataId: 'tamga' }, 'structuredDataId'],
      [{ ...syslog, batchSize: 0 }, 'batchSize'],
      [{ ...syslog, timeoutSeconds: 1.5 }, 'timeoutSeconds'],
      [{ ...syslog, start: 'yesterday' }, 'start'],
      [{ ...syslog, token: 'x' }, 'token'],
      [{ ...syslog, tls: { ca: 'not a certificate' } }, 'tls.ca'],
      [{ ...syslog, tls: { ca: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' } }, 'tls.ca'],
      [{ ...syslog, tls: { colour: 1 } }, 'tls.colour'],
      [{ ...syslog, tls: { serverName: 'a b' } }, 'tls.serverName'],
      [{ ...syslog, url: 'tcp://siem.example.com', tls: {} }, 'tls'],
      [{ ...webhook, secret: undefined }, 'secret'],
      [{ ...webhook, secret: 'short' }, 'secret'],
      [{ ...webhook, token: 'a\nb' }, 'token'],
      [{ ...webhook, headers: { 'Content-Type': 'text/plain' } }, 'headers.Content-Type'],
      [{ ...webhook, headers: { 'x-tamga-signature': 'forged' } }, 'headers.x-tamga-signature'],
      [{ ...webhook, headers: { 'bad name': 'v' } }, 'headers.bad name'],
      [{ ...webhook, headers: { 'x-api-key': 'a\r\nInjected: yes' } }, 'headers.x-api-key'],
      [{ ...webhook, token: 't', headers: { Authorization: 'Basic x' } }, 'headers.Authorization'],
      [{ ...webhook, structuredDataId: 'a@1' }, 'structuredDataId'],
    ];
    for (const [body, field] of cases) expect(fieldOf(body), JSON.stringify(body)).toBe(field);
  });

  it('accepts a CA and a client certificate with its key, and refuses ones that are not', () => {
    if (certs === undefined) return;
    const base = { name: 'tls', format: 'cef', url: 'tls://127.0.0.1:6514' };
    const ok = parse({ ...base, tls: { ca: certs.caPem, serverName: 'localhost', cert: certs.clientCertPem, key: certs.clientKeyPem } }).settings;
    expect(ok.tls?.ca).toContain('BEGIN CERTIFICATE');
    expect(ok.tls?.key).toMatch(/^sealed:v1:/);
    expect(fieldOf({ ...base, tls: { cert: certs.clientCertPem } })).toBe('tls.cert');
    expect(fieldOf({ ...base, tls: { cert: certs.clientCertPem, key: 'garbage' } })).toBe('tls.key');
    expect(fieldOf({ ...base, tls: { key: certs.clientKeyPem } })).toBe('tls.key');
    // The key of another certificate.
    const otherKey = makeTestCertificates(tempDir().path).clientKeyPem;
    expect(fieldOf({ ...base, tls: { cert: certs.clientCertPem, key: otherKey } })).toBe('tls.key');
    expect(fieldOf({ ...base, tls: { cert: `${certs.clientCertPem}${certs.caPem}`, key: certs.clientKeyPem } })).toBe('tls.cert');
  });

  it('changes only what a PATCH gives, keeps secrets unless replaced or removed, and drops what no longer applies', () => {
    const existing = stored({ name: 'hook', format: 'webhook', url: 'https://hooks.example.com/a', secret: 'sixteen chars!!!', token: 'tok', headers: { 'X-Api-Key': 'k1' } });
    const renamed = parse({ name: 'hook2' }, existing);
    expect(renamed.changed).toEqual(['name']);
    expect(renamed.settings.secret).toBe(existing.secret);
    expect(renamed.settings.token).toBe(existing.token);
    expect(renamed.settings.headers).toEqual(existing.headers);
    const rotated = parse({ secret: 'another sixteen!', token: null }, existing);
    expect([...rotated.changed].sort()).toEqual(['secret', 'token']);
    expect(box.open(rotated.settings.secret!, 'd1/secret')).toBe('another sixteen!');
    expect(rotated.settings.token).toBeUndefined();
    expect(fieldOf({ secret: null }, existing)).toBe('secret');
    expect(fieldOf({ start: 'beginning' }, existing)).toBe('start');
    // To syslog: the HTTP-only settings go, the syslog defaults come.
    const moved = parse({ format: 'syslog', url: 'tcp://siem.example.com:514' }, existing).settings;
    expect(moved).toMatchObject({ format: 'syslog', facility: 13 });
    expect(moved).not.toHaveProperty('secret');
    expect(moved).not.toHaveProperty('headers');
  });

  it('never shows a secret: only whether it is set, and header names', () => {
    const d = stored({ name: 'hook', format: 'webhook', url: 'https://hooks.example.com/a', secret: 'sixteen chars!!!', token: 'bearer-value', headers: { 'X-Api-Key': 'header-value' } });
    const json = JSON.stringify(destinationJson(d));
    for (const secret of ['sixteen chars!!!', 'bearer-value', 'header-value', 'sealed:']) expect(json).not.toContain(secret);
    expect(destinationJson(d)).toMatchObject({ hasSecret: true, hasToken: true, headers: ['x-api-key'], timeoutSeconds: 10 });
  });
});
