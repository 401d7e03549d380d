// `node bench/ab-ingest.js <other checkout>` (both built): the ingest path of two builds side by side, for a change
// too small to see in `npm run bench` on a machine whose speed moves by a quarter or more from one minute to the next.
// A server of this checkout (A) and one of the other (B) run at once, each over a fresh SQLite journal, and take the
// benchmark's events in lockstep: each round sends BENCH_CONCURRENCY (2) NDJSON batches of BENCH_BATCH (1,000) to
// each and waits for all four answers, so both see the same machine at the same moment. After BENCH_AB_WARM_UP (20)
// rounds, BENCH_AB_BLOCKS (6) blocks of BENCH_AB_ROUNDS (25) rounds: for each, each server's CPU µs per event (every
// thread; the thread serving HTTP; the writer thread) from /proc, and B's over A's. The two servers share the 2
// cores, so each one's figures are higher than alone; the ratio is what to read.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { benchEvents } from './bench-events.js';

const other = process.argv[2];
if (other === undefined) {
  console.error('usage: node bench/ab-ingest.js <root of another built checkout>');
  process.exit(2);
}
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 2);
const WARM_UP = Number(process.env.BENCH_AB_WARM_UP ?? 20);
const BLOCKS = Number(process.env.BENCH_AB_BLOCKS ?? 6);
const ROUNDS = Number(process.env.BENCH_AB_ROUNDS ?? 25);
const KEY = 'tmg_bench_key_0123456789abcdefghijklmnopqrstuv';
const HEADERS = { 'content-type': 'application/x-ndjson', authorization: `Bearer ${KEY}`, prefer: 'return=minimal' };

const total = (WARM_UP + BLOCKS * ROUNDS) * CONCURRENCY * BATCH;
const { makeBatch } = benchEvents({ now: Date.now(), batch: BATCH });
const workDir = mkdtempSync(join(tmpdir(), 'tamga-ab-'));

/** Starts `root`'s bench/server-child.js over a journal of its own; resolves once it listens. */
async function start(name, root) {
  const child = fork(join(resolve(root), 'bench', 'server-child.js'), [], {
    // BENCH_AB_A_NODE_ARGS / BENCH_AB_B_NODE_ARGS: Node options of one server, e.g. a V8 flag against the same build.
    execArgv: (process.env[`BENCH_AB_${name}_NODE_ARGS`] ?? '').split(' ').filter((a) => a !== ''),
    env: { ...process.env, TAMGA_DATA_DIR: join(workDir, name), TAMGA_ADMIN_API_KEY: KEY, TAMGA_LOG_LEVEL: 'error' },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((done, fail) => {
    lines.once('line', (line) => done(JSON.parse(line).url));
    child.once('exit', (code) => fail(new Error(`server ${name} (${root}) exited (${code}) before it listened`)));
  });
  return { name, root, child, url };
}

/** The server's CPU so far, µs: `cpu` every thread, `main` the thread serving HTTP, `writer` the SQLite writer's. */
async function cpuOf(server) {
  server.child.send('cpu');
  const [message] = await once(server.child, 'message');
  return message;
}

async function post(server, body) {
  const res = await fetch(`${server.url}/api/v1/events`, { method: 'POST', headers: HEADERS, body });
  if (res.status !== 201) throw new Error(`append to ${server.name} failed: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

const servers = [await start('A', new URL('..', import.meta.url).pathname), await start('B', other)];
let batch = 0;
/** Runs `rounds` rounds; returns each server's CPU per event over them. */
async function run(rounds) {
  const before = await Promise.all(servers.map(cpuOf));
  for (let r = 0; r < rounds; r++) {
    const bodies = Array.from({ length: CONCURRENCY }, () => makeBatch(batch++, total));
    await Promise.all(servers.flatMap((server) => bodies.map((body) => post(server, body))));
  }
  const after = await Promise.all(servers.map(cpuOf));
  const events = rounds * CONCURRENCY * BATCH;
  return servers.map((_, i) => ({
    all: (after[i].cpu - before[i].cpu) / events,
    main: (after[i].main - before[i].main) / events,
    writer: ((after[i].writer ?? 0) - (before[i].writer ?? 0)) / events,
  }));
}

const f = (n) => n.toFixed(1);
try {
  console.log(`A: ${servers[0].root}\nB: ${resolve(other)}\n${total.toLocaleString('en')} events each, CPU µs per event (every thread / HTTP thread / writer):`);
  await run(WARM_UP);
  const ratios = [];
  for (let b = 0; b < BLOCKS; b++) {
    const [a, o] = await run(ROUNDS);
    ratios.push(o.all / a.all);
    console.log(
      `  block ${b + 1}: A ${f(a.all)} / ${f(a.main)} / ${f(a.writer)}   B ${f(o.all)} / ${f(o.main)} / ${f(o.writer)}   B/A ${(o.all / a.all).toFixed(3)}`,
    );
  }
  ratios.sort((x, y) => x - y);
  console.log(`B/A of every thread's CPU per event: median ${ratios[Math.floor(ratios.length / 2)].toFixed(3)}, ${ratios[0].toFixed(3)}–${ratios.at(-1).toFixed(3)}`);
} finally {
  for (const server of servers) server.child.kill('SIGTERM');
  await Promise.all(servers.map((server) => once(server.child, 'exit')));
  rmSync(workDir, { recursive: true, force: true });
}
