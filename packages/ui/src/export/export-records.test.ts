import { describe, expect, it } from 'vitest';
import { RecordCounter } from './export-records.js';

/** Feeds `text` in chunks of `size` characters, so quotes and line ends straddle chunks. */
function count(format: 'csv' | 'ndjson', text: string, size = 3): number {
  const counter = new RecordCounter(format);
  for (let at = 0; at < text.length; at += size) counter.add(text.slice(at, at + size));
  return counter.records;
}

describe('RecordCounter', () => {
  it('counts CSV rows after the header, not the line breaks inside quoted cells', () => {
    const csv = '\uFEFFindex,text\r\n1,"line 1\r\nline 2"\r\n2,"say ""hi"""\r\n3,"\'=1+2"\r\n';
    expect(count('csv', csv)).toBe(3);
    expect(count('csv', csv, 1)).toBe(3);
    expect(count('csv', '\uFEFFindex,text\r\n')).toBe(0);
  });

  it('counts NDJSON lines', () => {
    expect(count('ndjson', '{"a":"x\\ny"}\n{"a":"\\""}\n')).toBe(2);
    expect(count('ndjson', '')).toBe(0);
  });
});
