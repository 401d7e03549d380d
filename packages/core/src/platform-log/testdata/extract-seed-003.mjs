// One-off extraction of the log examples of seed 003 (security events in the business platform's text logs) into
// a log file with real values, the way the platform writes them.
//
// Run once (`node packages/core/src/platform-log/testdata/extract-seed-003.mjs [seedsDir]` from the repository root)
// against /work/shared/seeds/; its outputs, seed-003.log and seed-003.json, are committed and were checked by hand
// against the seed. The seeds are not part of the repository, so tests read the committed outputs and never run this
// script. Re-run it only when the seed changes, and review the diff.
//
// Every line of every code block is kept, in order, blank lines included (they become continuation lines of the
// record before them), and so are the no-break spaces (U+00A0) the seed's runs of spaces are partly made of. The one example line the seed prints outside its code block (the
// "Аккаунт добавлен в роль" description, cut from its URL line by the page layout) is kept as the next line.
// What the documentation put in place of real values is replaced:
// - time stamps `-MM-dd HH:mm:ss,SSS` and `[yyy-MM-dd HH:mm:ss,SSS]`: real ones, 1.25 s apart from
//   2023-11-30 14:00:00,000 (the two examples with real time stamps keep theirs);
// - Markdown escapes (`\_`, `\\`, `` \` ``): the character;
// - SERVER_URL, PORT, XXX.XXX.XXX.XXX, X.X.XXX.X, X.X.XXXX.X, HH:mm:ss.SSS (durations), {{ productName }}:
//   platform.example.com, 8080, 10.20.30.40, 4.7.2311.1, 4.7.2311.1, 00:00:00.137, Comindware Business Application Platform.
// seed-003.json lists, for each record start, its 1-based line in seed-003.log and the seed section it comes from.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { URL } from 'node:url';

const dir = process.argv[2] ?? '/work/shared/seeds';
const name = readdirSync(dir).find((f) => f.startsWith('003'));
if (name === undefined) throw new Error(`no seed 003* in ${dir}`);
const seed = readFileSync(join(dir, name), 'utf8').split('\n');

let clock = Date.UTC(2023, 10, 30, 14, 0, 0, 0);
const stamp = () => {
  const s = new Date(clock).toISOString();
  clock += 1250;
  return `${s.slice(0, 10)} ${s.slice(11, 19)},${s.slice(20, 23)}`;
};
const real = (line) =>
  line
    .replace(/^-MM-dd HH:mm:ss,SSS(?=[ \u00a0])/, () => stamp())
    .replace(/^\[yyy-MM-dd HH:mm:ss,SSS\]/, () => `[${stamp()}]`)
    .replaceAll('\\_', '_')
    .replaceAll('\\`', '`')
    .replaceAll('\\\\', '\\')
    .replaceAll('Microsoft Windows NT XXX.XXX.XXX.XXX', 'Microsoft Windows NT 10.0.17763.0')
    .replaceAll('SERVER_URL PORT', 'platform.example.com 8080')
    .replaceAll('SERVER_URL', 'platform.example.com')
    .replaceAll('XXX.XXX.XXX.XXX', '10.20.30.40')
    .replaceAll('X.X.XXXX.X', '4.7.2311.1')
    .replaceAll('X.X.XXX.X', '4.7.2311.1')
    .replaceAll('HH:mm:ss.SSS', '00:00:00.137')
    .replaceAll('{{ productName }}', 'Comindware Business Application Platform');

const out = [];
const records = [];
let section = null;
let inBlock = false;
let afterBlock = false;
for (const line of seed) {
  if (line.startsWith('### ')) section = line.slice(4).trim();
  if (line.startsWith('```')) {
    inBlock = !inBlock;
    afterBlock = !inBlock;
    continue;
  }
  if (!inBlock && afterBlock && line.startsWith("'")) {
    out.push(real(line));
    continue;
  }
  if (!inBlock && line.trim() !== '') afterBlock = false;
  if (!inBlock) continue;
  const text = real(line);
  if (/^\[?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}/.test(text)) records.push({ line: out.length + 1, section });
  out.push(text);
}
writeFileSync(new URL('./seed-003.log', import.meta.url), `${out.join('\n')}\n`);
writeFileSync(new URL('./seed-003.json', import.meta.url), `${JSON.stringify(records, null, 1)}\n`);
process.stdout.write(`${out.length} lines, ${records.length} records\n`);
