import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTestDatabase, reportMissingPostgres } from '../../test-support/postgres.js';
import { arrayLiteral } from './postgres-array-literal.js';

/** The batch insert's array parameters, read back by a real PostgreSQL exactly as they were sent. */
const url = await findTestDatabase();

if (url === undefined) {
  reportMissingPostgres('the PostgreSQL array literal suite');
} else {
  describe('arrayLiteral', () => {
    let client: pg.Client;
    beforeAll(async () => {
      client = new pg.Client({ connectionString: url });
      await client.connect();
    });
    afterAll(async () => {
      await client.end();
    });

    const unnest = async (type: string, values: readonly unknown[]): Promise<unknown[]> => {
      const { rows } = await client.query<{ v: unknown }>(
        `SELECT v FROM unnest($1::${type}[]) WITH ORDINALITY AS u(v, n) ORDER BY n`,
        [arrayLiteral(values as never)],
      );
      return rows.map((row) => row.v);
    };

    it('keeps every string as it was, quotes, backslashes, braces and the word NULL included', async () => {
      const strings = [
        '',
        'plain',
        'NULL',
        'null',
        ' spaced ',
        'a,b',
        '{"entity":"Доступ","path":"C:\\\\Temp\\\\x"}',
        'quote " and backslash \\ and both \\"',
        '\\',
        '"',
        '{}',
        'line\nbreak\ttab\r',
        'emoji 🔐 and кириллица',
        '\u0001 control',
      ];
      expect(await unnest('text', strings)).toEqual(strings);
    });

    it('sends null and undefined as NULL, numbers and booleans bare', async () => {
      expect(await unnest('text', ['a', null, undefined, 'b'])).toEqual(['a', null, null, 'b']);
      const big = [0, -1, 2 ** 53 - 1, 1_733_460_000_000_000, null];
      expect((await unnest('bigint', big)).map((v) => (v === null ? null : Number(v)))).toEqual(big);
      expect(await unnest('smallint', [1, 32_767, -32_768])).toEqual([1, 32_767, -32_768]);
      expect(await unnest('boolean', [true, false, null])).toEqual([true, false, null]);
    });

    it("reads back the same rows as node-postgres's own encoding of the array", async () => {
      const values = ['x', 'a"b', 'c\\d', null, 'NULL', ''];
      const ours = await unnest('text', values);
      const { rows } = await client.query<{ v: unknown }>(
        'SELECT v FROM unnest($1::text[]) WITH ORDINALITY AS u(v, n) ORDER BY n',
        [values],
      );
      expect(ours).toEqual(rows.map((row) => row.v));
      expect(await unnest('text', [])).toEqual([]);
    });
  });
}
