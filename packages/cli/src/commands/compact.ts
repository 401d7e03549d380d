import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compactSqliteJournal, loadConfig, megabytes } from '@tamga/server';
import type { JournalFileFacts } from '@tamga/server';
import { parseCommand, usageError } from '../cli-args.js';

const USAGE = `Usage: tamga compact [--data-dir DIR] [--json]
Rewrites the SQLite journal (<data dir>/tamga.sqlite, the data dir being --data-dir, TAMGA_DATA_DIR or ./data) while
the server is stopped: a journal made before 16 KiB pages gets them (faster appends and searches), and the space
retention's purges freed goes back to the disk. Records, signatures, Merkle heads, checkpoints and the text index are
copied as they are: exports, proofs and offline verification are unchanged.

The copy is written beside the journal, checked, and renamed over it; it needs about the journal's size free on the
same disk. It refuses, changing nothing, while a server (or any other process) has the journal open.
A PostgreSQL store has its own tools for this (VACUUM FULL, pg_repack).`;

const OPTIONS = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

/** `tamga compact`: rewrites the SQLite journal file of a stopped server. */
export async function compact(
  args: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const { values } = parseCommand({ command: 'tamga compact', usage: USAGE, options: OPTIONS }, args);
  const config = loadConfig(
    process.env,
    values['data-dir'] !== undefined ? ['--data-dir', values['data-dir']] : [],
  );
  if (config.databaseUrl !== undefined) {
    throw usageError(
      'tamga compact',
      'the store is PostgreSQL (TAMGA_DATABASE_URL is set); compact rewrites the SQLite journal only',
    );
  }
  const path = join(config.dataDir, 'tamga.sqlite');
  // About 11 s per million records here: say what runs before it does.
  if (!values.json && existsSync(path))
    out.write(
      `Compacting ${path} (${megabytes(statSync(path).size)}); keep the server stopped until it ends...\n`,
    );
  const report = compactSqliteJournal(path);
  if (values.json) {
    out.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const { before, after } = report;
  out.write(
    [
      `Compacted ${report.path} in ${(report.ms / 1000).toFixed(1)} s:`,
      `  page size  ${kib(before)} -> ${kib(after)}`,
      `  file       ${megabytes(before.bytes)} -> ${megabytes(after.bytes)} (${before.freePages.toLocaleString('en')} free pages reclaimed)`,
      'Records, signatures and Merkle heads are as they were. The server can be started again.',
      '',
    ].join('\n'),
  );
  return 0;
}

const kib = (f: JournalFileFacts): string => `${f.pageSize / 1024} KiB`;
