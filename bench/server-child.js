// Runs a Tamga server in its own process for the benchmark, so the load generator does not share its
// event loop. Prints {"url": ...} on stdout once listening; stops on SIGTERM.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { watchLoop } from './loop-watch.js';
import { createTamgaServer, limitHeapGrowth, loadConfig, shouldLimitHeapGrowth, SqliteJournalStore } from '@tamga/server';

/** CPU time of one thread of this process, µs; undefined where /proc is missing. */
function threadCpu(tid) {
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 a second on Linux).
    const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

/** CPU time of the SQLite writer thread (named `tamga-writer`), µs; undefined when there is none. */
function writerThreadCpu() {
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'tamga-writer') return threadCpu(tid);
    }
  } catch {
    // no /proc
  }
  return undefined;
}

const config = loadConfig(process.env);
// As `tamga serve` does.
if (shouldLimitHeapGrowth(config)) limitHeapGrowth();
// BENCH_SQLITE_WRITER=inline: the SQLite appends on the main thread, as before the writer thread (for comparison).
const inline = process.env.BENCH_SQLITE_WRITER === 'inline' && config.databaseUrl === undefined;
// BENCH_SEARCH_INDEX=0: the baseline of the text index's ingest cost (bench step 11).
const server = await createTamgaServer(config, {
  searchIndex: process.env.BENCH_SEARCH_INDEX !== '0',
  ...(inline && {
    store: new SqliteJournalStore({ path: join(config.dataDir, 'tamga.sqlite'), writer: 'inline', readers: config.store.sqliteReaders }),
  }),
});
const url = await server.http.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url, pid: process.pid })}\n`);
const loop = watchLoop('server');
process.on('message', (msg) => {
  // The longest the event loop was held up, and the longest GC pause, since the last ask (ms).
  if (msg === 'loop') process.send?.({ loop: loop.take() });
  if (msg === 'rss') process.send?.({ rss: process.memoryUsage().rss });
  // CPU time of the server process so far (user + system, µs, every thread) and of its main thread: per-event costs
  // that hold on a busy machine too.
  if (msg === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpu: user + system, main: threadCpu(process.pid), writer: writerThreadCpu() });
  }
});
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
