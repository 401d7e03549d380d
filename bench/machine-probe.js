import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * How fast this machine is right now, by a fixed piece of work on one thread: rows inserted into a SQLite table with
 * two indexes, in transactions of 1,000, for `ms` milliseconds each, once in memory (the processor alone) and once in
 * a file of `dir` in WAL mode with `synchronous = FULL` (the processor and the kernel's file path, fsync per commit).
 * On a shared machine the same code can run a quarter or more slower from one hour to the next (a neighbour on the
 * host, not visible in `ps` or steal time), and most of that has shown up as the kernel's (system) CPU of writing
 * files; the benchmark probes at its start and at its end, so a reader can tell a slow run from slow code.
 */
export function machineProbe(dir, ms = 1500) {
  const path = join(dir, 'machine-probe.sqlite');
  const files = [path, `${path}-wal`, `${path}-shm`];
  for (const file of files) rmSync(file, { force: true });
  try {
    return { memory: insertRows(':memory:', ms), file: insertRows(path, ms) };
  } finally {
    for (const file of files) rmSync(file, { force: true });
  }
}

function insertRows(path, ms) {
  const db = new Database(path);
  if (path !== ':memory:') {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
  }
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c TEXT); CREATE INDEX t_a ON t (a); CREATE INDEX t_bc ON t (b, c)');
  const insert = db.prepare('INSERT INTO t (a, b, c) VALUES (?, ?, ?)');
  const transaction = db.transaction((k) => {
    for (let i = 0; i < 1000; i++) insert.run(`k${(k * 7919 + i * 104729) % 1000003}`, i % 50, `x${k}`);
  });
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let rows = 0;
  for (let k = 0; performance.now() - start < ms; k++) {
    transaction(k);
    rows += 1000;
  }
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - start) / 1000;
  db.close();
  return { rowsPerSecond: rows / seconds, userMicrosPerRow: cpu.user / rows, systemMicrosPerRow: cpu.system / rows };
}
