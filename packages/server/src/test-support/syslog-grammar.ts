/**
 * Strict readers of what forwarding sends, written from the specifications for the tests: RFC 5424 (the ABNF of
 * §6) and CEF (ArcSight "Implementing ArcSight CEF", escaping of header fields and extension values). A message
 * that breaks a rule throws an Error saying which rule and where; a valid one is returned parsed, with every
 * escape undone, so a test can compare the values with what was sent.
 */

/** An RFC 5424 message, parsed. */
export interface ParsedSyslog {
  readonly pri: number;
  readonly facility: number;
  readonly severity: number;
  readonly version: number;
  readonly timestamp: string;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  /** Structured data elements in order: SD-ID and parameters (values unescaped). */
  readonly structuredData: { readonly id: string; readonly params: [string, string][] }[];
  /** MSG without the BOM, decoded as UTF-8; undefined when absent. */
  readonly msg: string | undefined;
  /** Whether MSG started with the UTF-8 BOM. */
  readonly hasBom: boolean;
}

const NIL = '-';
const utf8 = new TextDecoder('utf-8', { fatal: true });

function fail(rule: string, at: number, text: string): never {
  throw new Error(`RFC 5424 ${rule} violated at octet ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 20), at + 20))}`);
}

/** Reads a header field: NILVALUE or 1*max PRINTUSASCII, then one SP. */
function headerField(text: string, at: number, max: number, rule: string): [string, number] {
  const end = text.indexOf(' ', at);
  if (end < 0) fail(rule, at, text);
  const value = text.slice(at, end);
  if (value.length === 0 || value.length > max || !/^[!-~]+$/.test(value)) fail(rule, at, text);
  return [value, end + 1];
}

/** SD-NAME: 1*32 PRINTUSASCII except '=', SP, ']', '"'. */
function isSdName(name: string): boolean {
  return name.length >= 1 && name.length <= 32 && /^[!#-<>-\\^-~]+$/.test(name);
}

/**
 * Parses and checks one RFC 5424 message (the bytes of one frame). With `utf8Msg` (the default) a MSG that is not
 * ASCII must be MSG-UTF8, starting with the BOM (§6.4); without it MSG-ANY is accepted, as CEF sends it.
 */
export function parseRfc5424(bytes: Buffer, { utf8Msg = true }: { utf8Msg?: boolean } = {}): ParsedSyslog {
  // PARAM-VALUE is UTF-8-STRING (§6.3.3) and our MSG is MSG-UTF8 or ASCII: the whole message must be UTF-8.
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new Error('RFC 5424: the message is not valid UTF-8');
  }
  const pri = /^<(\d{1,3})>([1-9]\d{0,2}) /.exec(text);
  if (!pri) fail('PRI VERSION SP', 0, text);
  const prival = Number(pri[1]);
  if (prival > 191 || (pri[1]!.length > 1 && pri[1]!.startsWith('0'))) fail('PRIVAL (0..191)', 1, text);
  let at = pri[0].length;
  const [timestamp, afterTimestamp] = headerField(text, at, 64, 'TIMESTAMP');
  at = afterTimestamp;
  if (
    timestamp !== NIL &&
    !/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/.test(timestamp)
  ) {
    fail('TIMESTAMP (FULL-DATE "T" FULL-TIME, TIME-SECFRAC at most 6 digits)', at, text);
  }
  const fields: string[] = [];
  for (const [max, rule] of [[255, 'HOSTNAME'], [48, 'APP-NAME'], [128, 'PROCID'], [32, 'MSGID']] as const) {
    const [value, next] = headerField(text, at, max, rule);
    fields.push(value);
    at = next;
  }
  const [hostname, appName, procId, msgId] = fields as [string, string, string, string];

  const structuredData: { id: string; params: [string, string][] }[] = [];
  if (text[at] === '-') {
    at++;
  } else {
    if (text[at] !== '[') fail('STRUCTURED-DATA (NILVALUE or SD-ELEMENT)', at, text);
    while (text[at] === '[') {
      at++;
      let end = at;
      while (end < text.length && text[end] !== ' ' && text[end] !== ']') end++;
      const id = text.slice(at, end);
      if (!isSdName(id)) fail('SD-ID (SD-NAME)', at, text);
      at = end;
      const params: [string, string][] = [];
      while (text[at] === ' ') {
        at++;
        const eq = text.indexOf('=', at);
        if (eq < 0) fail('SD-PARAM', at, text);
        const name = text.slice(at, eq);
        if (!isSdName(name)) fail('PARAM-NAME (SD-NAME)', at, text);
        if (text[eq + 1] !== '"') fail('SD-PARAM (%d34 PARAM-VALUE %d34)', eq + 1, text);
        at = eq + 2;
        let value = '';
        for (;;) {
          if (at >= text.length) fail('PARAM-VALUE (unterminated)', at, text);
          const c = text[at]!;
          if (c === '"') break;
          if (c === ']') fail('PARAM-VALUE (an unescaped "]")', at, text);
          if (c === '\\') {
            const next = text[at + 1];
            // §6.3.3: '"', '\' and ']' are escaped; a backslash before any other character is kept as it is.
            if (next === '"' || next === '\\' || next === ']') {
              value += next;
              at += 2;
              continue;
            }
          }
          value += c;
          at++;
        }
        at++;
        params.push([name, value]);
      }
      if (text[at] !== ']') fail('SD-ELEMENT (closing "]")', at, text);
      at++;
      structuredData.push({ id, params });
    }
  }
  let msg: string | undefined;
  let hasBom = false;
  if (at < text.length) {
    if (text[at] !== ' ') fail('SP before MSG', at, text);
    msg = text.slice(at + 1);
    if (msg.startsWith('\uFEFF')) {
      hasBom = true;
      msg = msg.slice(1);
    } else if (utf8Msg && /[\u0080-\uffff]/.test(msg)) {
      // A MSG that is not ASCII is UTF-8 and MUST start with the BOM (§6.4).
      fail('MSG-UTF8 (BOM before non-ASCII MSG)', at + 1, text);
    }
  }
  return { pri: prival, facility: prival >> 3, severity: prival & 7, version: Number(pri[2]), timestamp, hostname, appName, procId, msgId, structuredData, msg, hasBom };
}

/** Splits a stream of RFC 6587 octet-counted frames (`MSG-LEN SP SYSLOG-MSG`) into messages; throws on a bad frame. */
export function splitOctetCounted(stream: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let at = 0;
  while (at < stream.length) {
    const space = stream.indexOf(0x20, at);
    const digits = stream.subarray(at, space).toString('latin1');
    if (space < 0 || !/^[1-9]\d{0,8}$/.test(digits)) throw new Error(`RFC 6587: bad MSG-LEN at octet ${at}`);
    const length = Number(digits);
    if (space + 1 + length > stream.length) throw new Error(`RFC 6587: frame at octet ${at} is cut short`);
    frames.push(stream.subarray(space + 1, space + 1 + length));
    at = space + 1 + length;
  }
  return frames;
}

/** A CEF message, parsed. */
export interface ParsedCef {
  readonly version: string;
  readonly vendor: string;
  readonly product: string;
  readonly deviceVersion: string;
  readonly signatureId: string;
  readonly name: string;
  readonly severity: string;
  /** Extension keys and their values, unescaped, in order. */
  readonly extension: [string, string][];
}

/**
 * Parses and checks one CEF message (`CEF:Version|Vendor|Product|Device Version|Signature ID|Name|Severity|Extension`).
 * Header fields: `\|` and `\\` are the only escapes, no line breaks. Extension: `key=value` pairs separated by
 * spaces, keys alphanumeric; in values `\\`, `\=`, `\n` and `\r` are the escapes, and an unescaped `=` or any other
 * backslash sequence is an error.
 */
export function parseCef(text: string): ParsedCef {
  if (!text.startsWith('CEF:')) throw new Error('CEF: the message does not start with "CEF:"');
  const header: string[] = [];
  let at = 4;
  let field = '';
  while (header.length < 7) {
    if (at >= text.length) throw new Error('CEF: the header has fewer than 7 fields');
    const c = text[at]!;
    if (c === '\r' || c === '\n') throw new Error(`CEF: a line break in header field ${header.length + 1}`);
    if (c === '\\') {
      const next = text[at + 1];
      if (next !== '|' && next !== '\\') throw new Error(`CEF: invalid escape \\${next} in header field ${header.length + 1}`);
      field += next;
      at += 2;
      continue;
    }
    if (c === '|') {
      header.push(field);
      field = '';
    } else {
      field += c;
    }
    at++;
  }
  const [version, vendor, product, deviceVersion, signatureId, name, severity] = header as [string, string, string, string, string, string, string];
  if (!/^\d+$/.test(severity) || Number(severity) > 10) throw new Error(`CEF: severity ${severity} is not 0..10`);
  const extensionText = text.slice(at);
  const extension: [string, string][] = [];
  // Keys start at the beginning or after a space; everything up to the next " key=" is the value.
  const keyAt = /(?:^| )([A-Za-z0-9_]+)=/g;
  const starts: { key: string; valueStart: number; pairStart: number }[] = [];
  for (let m = keyAt.exec(extensionText); m !== null; m = keyAt.exec(extensionText)) {
    // A key preceded by a backslash-escaped character cannot start here; escapes never produce " key=".
    starts.push({ key: m[1]!, valueStart: m.index + m[0].length, pairStart: m.index });
  }
  if (extensionText.length > 0 && (starts.length === 0 || starts[0]!.pairStart !== 0)) throw new Error('CEF: the extension does not start with key=');
  for (let i = 0; i < starts.length; i++) {
    const raw = extensionText.slice(starts[i]!.valueStart, i + 1 < starts.length ? starts[i + 1]!.pairStart : extensionText.length);
    let value = '';
    for (let j = 0; j < raw.length; j++) {
      const c = raw[j]!;
      if (c === '=') throw new Error(`CEF: an unescaped "=" in the value of ${starts[i]!.key}`);
      if (c === '\r' || c === '\n') throw new Error(`CEF: a raw line break in the value of ${starts[i]!.key}`);
      if (c === '\\') {
        const next = raw[j + 1];
        if (next === '\\' || next === '=') value += next;
        else if (next === 'n') value += '\n';
        else if (next === 'r') value += '\r';
        else throw new Error(`CEF: invalid escape \\${next ?? ''} in the value of ${starts[i]!.key}`);
        j++;
        continue;
      }
      value += c;
    }
    extension.push([starts[i]!.key, value]);
  }
  return { version, vendor, product, deviceVersion, signatureId, name, severity, extension };
}
