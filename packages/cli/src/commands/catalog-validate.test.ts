import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { catalogList } from './catalog-list.js';
import { catalogValidate } from './catalog-validate.js';

/** A stream that keeps what is written to it. */
function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

const dir = { path: mkdtempSync(join(tmpdir(), 'tamga-catalog-cli-')) };
afterAll(() => rmSync(dir.path, { recursive: true, force: true }));

const header = `catalog: acme
version: 1
title: { en: ACME, ru: АКМЕ }
codeRange: [15000, 50999]
entries:
`;
const entry = (code: number, name: string, cls = 1): string => `  - code: ${code}
    name: ${name}
    description: { en: ${name}, ru: ${name} }
    classifiedEvent: ${cls}
`;

function run(args: string[]): { code: number; out: string } {
  const out = sink();
  const code = catalogValidate(args, out);
  return { code, out: out.text() };
}

describe('tamga catalog validate', () => {
  describe('when a file repeats seed code 15800 the way the seeds do', () => {
    it('reports the duplicate and the conflict with ai-server, each as file:line, and exits 1', () => {
      const file = join(dir.path, 'acme.yaml');
      writeFileSync(file, header + entry(15800, 'TrainProcessCompletedSuccess') + entry(15800, 'TrainProcessTimeout', 2));
      const { code, out } = run([file]);
      expect(code).toBe(1);
      // Line 10 is the second entry: a duplicate within the file (the parser refuses the file as a whole).
      expect(out).toContain(`${file}:10 entries[1].code: duplicate code 15800`);
    });

    it('reports the conflict with the built-in 15800 on a file that defines it under the other name', () => {
      const file = join(dir.path, 'timeout.yaml');
      writeFileSync(file, header + entry(50000, 'WidgetMade') + entry(15800, 'TrainProcessTimeout', 2));
      const { code, out } = run([file]);
      expect(code).toBe(1);
      expect(out).toContain(`${file}:10 entries[1].code: code 15800 ("TrainProcessTimeout") conflicts with built-in catalogue "ai-server", where 15800 is "TrainProcessCompletedSuccess"`);
      expect(out).toContain(`${file}:10 entries[1].name:`);
    });
  });

  it('lists missing names, bad classes and invalid YAML, every file checked', () => {
    const bad = join(dir.path, 'bad.yaml');
    writeFileSync(bad, `${header}  - code: 50001\n    description: { en: x, ru: x }\n    classifiedEvent: 9\n`);
    const broken = join(dir.path, 'broken.yaml');
    writeFileSync(broken, 'catalog: [unclosed\n');
    const { code, out } = run([bad, broken]);
    expect(code).toBe(1);
    expect(out).toContain(`${bad}:6 entries[0].name: missing name`);
    expect(out).toContain(`${bad}:8 entries[0].classifiedEvent:`);
    expect(out).toMatch(new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+`));
    expect(out).toContain('2 of 2 file(s) have problems');
  });

  it('exits 0 on a clean file, and accepts a built-in code range when that built-in is not enabled', () => {
    const file = join(dir.path, 'clean.json');
    writeFileSync(file, JSON.stringify({ catalog: 'acme', version: 1, title: { en: 'A', ru: 'А' }, codeRange: [50000, 50999], entries: [] }));
    expect(run([file])).toMatchObject({ code: 0, out: `${file}: OK\n` });
    const mine = join(dir.path, 'mine.yaml');
    writeFileSync(mine, header + entry(15803, 'Mine'));
    expect(run([mine]).code).toBe(1);
    expect(run(['--builtin', 'asset-server', mine]).code).toBe(0);
  });

  it('checks an edited built-in catalogue against the other built-ins', () => {
    const file = join(dir.path, 'tamga.yaml');
    writeFileSync(file, `catalog: tamga\nversion: 2\ntitle: { en: T, ru: Т }\ncodeRange: [32000, 32099]\nentries:\n${entry(32000, 'Login')}`);
    const { code, out } = run([file]);
    expect(code).toBe(1);
    expect(out).toContain(`${file}:6 entries[0].name: name "Login"`);
  });

  it('exits 2 without files', () => {
    expect(() => run([])).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringContaining('name at least one catalogue FILE') }));
  });
});

describe('tamga catalog list', () => {
  it('lists one catalogue in Russian', () => {
    const out = sink();
    expect(catalogList(['--catalog', 'tamga', '--lang', 'ru'], out, {})).toBe(0);
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(19);
    expect(lines[1]).toMatch(/^32000 {2}JournalExported +tamga +1 +Записи журнала выгружены/);
  });
});

describe('catalog validate on hostile files', () => {
  it('reports a YAML alias bomb as a problem with exit 1, not a stack trace', () => {
    const laughs = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f']]) {
      laughs.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const file = join(dir.path, 'bomb.yaml');
    writeFileSync(file, laughs.join('\n'));
    const { code, out } = run([file]);
    expect(code).toBe(1);
    expect(out).toMatch(/bomb\.yaml:\?: YAML aliases expand too far/);
    expect(out).not.toMatch(/ReferenceError|\n\s+at /);
  });

  it('lists the first 100 problems of a 40,000-key object and counts the rest', () => {
    const file = join(dir.path, 'keys.json');
    writeFileSync(file, JSON.stringify(Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`k${i}`, i]))));
    const { code, out } = run([file]);
    expect(code).toBe(1);
    expect(out.split('\n').filter((l) => l.includes('unknown field'))).toHaveLength(100);
    expect(out).toContain(`${file}: and 39905 more problems`);
  });
});
