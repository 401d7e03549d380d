import { isIP } from 'node:net';

/**
 * The one text of an IP address that the journal stores and searches (RFC 5952 §4 for IPv6), or undefined when
 * `text` is not an address (`node:net` `isIP`). IPv4 is dotted decimal as `isIP` accepts it (which refuses leading
 * zeros), so it is already canonical. IPv6 is lower case without leading zeros, the first longest run of two or more
 * zero groups written `::`; an IPv4-mapped address (`::ffff:a.b.c.d`, `::ffff:XXXX:XXXX`) is folded to its IPv4
 * address, which is what a dual-stack socket reports for an IPv4 client. A zone (`%eth0`) is kept as written.
 */
export function canonicalIp(text: string): string | undefined {
  const family = isIP(text);
  if (family === 4) return text;
  if (family !== 6) return undefined;
  const percent = text.indexOf('%');
  const zone = percent < 0 ? '' : text.slice(percent);
  const groups = ipv6Groups(percent < 0 ? text : text.slice(0, percent));
  if (zone === '' && groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`;
  }
  return compressed(groups) + zone;
}

/** Whether two stored or sent addresses are the same address (either may predate canonical storage). */
export function isSameIp(a: string | null, b: string | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  const ca = canonicalIp(a);
  return ca !== undefined && ca === canonicalIp(b);
}

/** The eight 16-bit groups of an IPv6 address that `isIP` accepted (so the shape is not checked again). */
function ipv6Groups(text: string): number[] {
  const halves = text.split('::');
  const parse = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const [a, b, c, d] = piece.split('.').map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = parse(halves[0]!);
  if (halves.length === 1) return head;
  const tail = parse(halves[1]!);
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** RFC 5952 §4.2: the first longest run of two or more zero groups becomes `::`; a lone zero group stays `0`. */
function compressed(groups: readonly number[]): string {
  let bestAt = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > bestLength) {
      bestAt = i;
      bestLength = end - i;
    }
    i = end;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  if (bestAt < 0) return hex(0, 8);
  return `${hex(0, bestAt)}::${hex(bestAt + bestLength, 8)}`;
}
