// One-off extraction of the event code/name pairs literally listed in the seed documents.
//
// Run once (`node packages/core/src/catalog/testdata/extract-seed-pairs.mjs [seedsDir] > seed-code-names.json`)
// against /work/shared/seeds/; its output, seed-code-names.json, is committed and was then checked by hand
// against the seeds. The seeds are not part of the repository, so tests read the committed output and never
// run this script. Re-run it only when a seed edition changes, and review the diff.
//
// - Seeds 000 and 001 (AI Server): every Markdown table row `| <code> | <Name> | ... |`. Duplicates are kept
//   as listed (15800 appears twice in each seed, as TrainProcessCompletedSuccess and TrainProcessTimeout).
// - Seed 004 (asset server Event API): every event type named in a `###` heading under "## Event types";
//   headings may list several types separated by `/` or `,`; the tag `pollable` marks pollable types.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

const dir = process.argv[2] ?? '/work/shared/seeds';
const file = (prefix) => {
  const name = readdirSync(dir).find((f) => f.startsWith(prefix));
  if (name === undefined) throw new Error(`no seed ${prefix}* in ${dir}`);
  return readFileSync(join(dir, name), 'utf8');
};

const pairs = [];
for (const seed of ['000', '001']) {
  for (const line of file(seed).split('\n')) {
    const m = /^\|\s*(\d+)\s*\|\s*([A-Za-z][A-Za-z0-9]*)\s*\|/.exec(line);
    if (m) pairs.push({ code: Number(m[1]), name: m[2], seed });
  }
}

const text004 = file('004');
const types = text004.slice(text004.indexOf('## Event types'));
for (const line of types.split('\n')) {
  const m = /^###\s+(.*)$/.exec(line);
  if (!m) continue;
  const pollable = /`pollable`/.test(m[1]);
  for (const raw of m[1].replace(/`pollable`/g, '').split(/[/,]/)) {
    const name = raw.trim();
    if (/^[A-Z][A-Z0-9_]*$/.test(name)) pairs.push({ code: null, name, seed: '004', pollable });
  }
}

process.stdout.write(
  `${JSON.stringify(pairs, null, 2)
    .replace(/\n\s+(?=[^[{\s])/g, ' ')
    .replace(/\n\s*}/g, ' }')}\n`,
);
