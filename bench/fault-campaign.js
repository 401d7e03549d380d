// `node bench/fault-campaign.js [scenario…]` (after `npm run build`; the disk scenarios need root): issue #10's
// crash, outage, full-disk and power-cut runs, as a user meets them. Each scenario starts `tamga serve` (the CLI, as
// a user runs it), feeds it from 4 producers that behave like the SDK (batches of 500 with their own ids, retried
// with the same ids after a 503 or a lost connection until acknowledged), does its damage, and then checks from the
// outside: every acknowledged event is stored once with the signature it was acknowledged with (read back page by
// page), the tenant's log exports and verifies offline with the keys directory (`tamga export`, `tamga verify
// --hmac-key`), and every HTTP answer seen was 200/201 or 503 (no 500), none slower than the bound.
//
// Scenarios: kill-sqlite, kill-postgres (kill -9 mid-ingest, restart), frozen-postgres (a TCP proxy holds every byte
// for 20 s), full-disk (a 64 MiB ext4 filled up, then freed), power-cut (ext4 shut down without flushing its journal
// right after an HMAC rotation, then remounted). Default: all. BENCH_PG_URL as in run.js.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import pg from 'pg';

const BIN = new URL('../packages/cli/bin/tamga.js', import.meta.url).pathname;
const KEY = 'tmg_fault_campaign_key_0123456789abcdefghijklmnop';
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TENANT = 'campaign';
const PRODUCERS = 4;
const BATCH = 500;
/** Longest an answer may take before it counts as a hang: the statement timeout (10 s) + 2 s + slack. */
const HANG_MS = 15_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nobody listens on now (other engineers' servers share this machine). */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `tamga serve` on `port` with `env`; resolves once it listens. */
async function serve(port, env) {
  const child = spawn(process.execPath, [BIN, 'serve', '--host', '127.0.0.1', '--port', String(port)], {
    env: { ...process.env, TAMGA_ADMIN_API_KEY: KEY, TAMGA_LOG_LEVEL: 'fatal', TAMGA_INGEST_RATE: '1000000', TAMGA_INGEST_BURST: '1000000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('Tamga is listening')) resolve();
    });
    void exited.then((code) => reject(new Error(`tamga serve exited (${code}): ${err}`)));
  });
  return {
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** An HTTP call with the administrator key; records its status and duration in `stats`. */
async function call(stats, url, init = {}) {
  const t0 = Date.now();
  try {
    const res = await fetch(url, { ...init, headers: { authorization: `Bearer ${KEY}`, ...init.headers }, signal: AbortSignal.timeout(60_000) });
    const body = await res.text();
    note(stats, String(res.status), Date.now() - t0);
    return { status: res.status, body, retryAfter: res.headers.get('retry-after') };
  } catch (error) {
    note(stats, error.name === 'TimeoutError' ? 'timeout' : 'no connection', Date.now() - t0);
    return { status: 0, body: '', retryAfter: null };
  }
}

function note(stats, what, ms) {
  stats.answers[what] = (stats.answers[what] ?? 0) + 1;
  stats.slowestMs = Math.max(stats.slowestMs, ms);
  if (ms > HANG_MS) stats.hangs++;
}

/**
 * Producers appending batches until `until()` is true, each batch retried with the same ids until acknowledged, or
 * until `until()` returns 'abandon' (the server will not come back).
 */
function produce(base, stats, acked, until) {
  const producer = async () => {
    while (!until()) {
      const events = Array.from({ length: BATCH }, (_, i) => ({
        id: randomUUID(),
        event: 2001,
        tenantId: TENANT,
        userId: `user${i % 50}`,
        entityData: { n: i, note: 'fault campaign' },
      }));
      for (let attempt = 0; until() !== 'abandon'; attempt++) {
        const res = await call(stats, `${base()}/api/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
        if (res.status === 200 || res.status === 201) {
          for (const item of JSON.parse(res.body).items) acked.set(item.id, item.signature);
          break;
        }
        if (res.status !== 0 && res.status !== 503) stats.unexpected.push(`${res.status} ${res.body.slice(0, 200)}`);
        await sleep(Math.min(2_000, 100 * 2 ** Math.min(attempt, 4)));
      }
    }
  };
  return Promise.all(Array.from({ length: PRODUCERS }, producer));
}

/** Reads the tenant back page by page: every acknowledged id with its signature, once; then export + verify. */
async function check(name, base, keysDir, acked, stats, work) {
  const stored = new Map();
  let duplicates = 0;
  let cursor = null;
  do {
    const q = new URLSearchParams({ tenantId: TENANT, from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', limit: '1000', order: 'asc' });
    if (cursor !== null) q.set('cursor', cursor);
    const res = await call({ answers: {}, slowestMs: 0, hangs: 0 }, `${base}/api/v1/events?${q}`);
    if (res.status !== 200) throw new Error(`${name}: reading back failed: ${res.status} ${res.body}`);
    const page = JSON.parse(res.body);
    for (const r of page.items) {
      if (stored.has(r.id)) duplicates++;
      stored.set(r.id, r.signature);
    }
    cursor = page.nextCursor;
  } while (cursor !== null);
  let lost = 0;
  let changed = 0;
  for (const [id, signature] of acked) {
    if (!stored.has(id)) lost++;
    else if (stored.get(id) !== signature) changed++;
  }
  const bundle = join(work, `${name}-bundle`);
  const exec = promisify(execFile);
  await exec(process.execPath, [BIN, 'export', '--url', base, '--api-key', KEY, '--tenant', TENANT, '--out', bundle]);
  const verified = await exec(process.execPath, [BIN, 'verify', bundle, '--hmac-key', keysDir, '--json']).then(
    (r) => JSON.parse(r.stdout),
    (e) => JSON.parse(e.stdout || '{"status":"unusable"}'),
  );
  return {
    scenario: name,
    acknowledged: acked.size,
    stored: stored.size,
    lost,
    changed,
    duplicates,
    verify: verified.status,
    answers: stats.answers,
    fiveHundreds: Object.entries(stats.answers).filter(([s]) => s.startsWith('5') && s !== '503').reduce((n, [, c]) => n + c, 0),
    slowestMs: stats.slowestMs,
    hangs: stats.hangs,
    unexpected: stats.unexpected.slice(0, 3),
  };
}

const newStats = () => ({ answers: {}, slowestMs: 0, hangs: 0, unexpected: [] });

/**
 * What every scenario shares: `tamga serve` with `env` on a free port, fed by the producers from the start.
 * `finish(extra)` lets the producers complete their batches, checks the tenant, and stops the server.
 */
async function startRun(name, work, env) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const run = { base, acked: new Map(), stats: newStats(), stop: false, server: await serve(port, env) };
  const producers = produce(() => base, run.stats, run.acked, () => run.stop);
  run.restart = async () => {
    run.server = await serve(port, env);
  };
  run.abandon = async () => {
    run.stop = 'abandon';
    await producers;
  };
  run.finish = async (extra = async () => ({})) => {
    run.stop = true;
    await producers;
    const result = await check(name, base, env.TAMGA_KEYS_DIR ?? join(env.TAMGA_DATA_DIR, 'keys'), run.acked, run.stats, work);
    const more = await extra();
    await run.server.stop();
    return { ...result, ...more };
  };
  return run;
}

/** kill -9 while 4 producers ingest, restart on the same store, let the producers finish. */
async function killDuringIngest(name, work, env) {
  const run = await startRun(name, work, env);
  await sleep(6_000);
  await run.server.kill();
  const ackedBeforeKill = run.acked.size;
  await sleep(1_000);
  await run.restart();
  await sleep(4_000);
  return { ...(await run.finish()), ackedBeforeKill };
}

/** A TCP proxy that can hold every byte (a frozen PostgreSQL). */
async function freezableProxy(target) {
  let frozen = false;
  const held = [];
  const server = createServer((client) => {
    const upstream = createConnection({ host: target.hostname, port: Number(target.port || 5432) });
    const relay = (from, to) =>
      from.on('data', (chunk) => {
        if (frozen) held.push(() => to.write(chunk));
        else to.write(chunk);
      });
    relay(client, upstream);
    relay(upstream, client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', () => (frozen ? held.push(end) : end()));
    upstream.on('error', end).on('close', end);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: (() => {
      const u = new URL(target);
      u.hostname = '127.0.0.1';
      u.port = String(server.address().port);
      return u.toString();
    })(),
    freeze: () => (frozen = true),
    thaw: () => {
      frozen = false;
      for (const f of held.splice(0)) f();
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function frozenPostgres(work) {
  const schema = `tamga_campaign_${process.pid}`;
  const proxy = await freezableProxy(new URL(PG_URL));
  const run = await startRun('frozen-postgres', work, { TAMGA_DATA_DIR: join(work, 'frozen'), TAMGA_DATABASE_URL: proxy.url, TAMGA_DATABASE_SCHEMA: schema });
  await sleep(4_000);
  proxy.freeze();
  const ready = [];
  const frozenUntil = Date.now() + 20_000;
  while (Date.now() < frozenUntil) {
    const t0 = Date.now();
    const res = await call(run.stats, `${run.base}/readyz`);
    ready.push({ status: res.status, ms: Date.now() - t0 });
    await sleep(2_000);
  }
  proxy.thaw();
  await sleep(4_000);
  const result = await run.finish();
  await proxy.close();
  await dropSchema(schema);
  return { ...result, readyzWhileFrozen: [...new Set(ready.map((r) => r.status))], readyzSlowestMs: Math.max(...ready.map((r) => r.ms)) };
}

async function dropSchema(schema) {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}

/** A loop-mounted ext4 of `mib` MiB (root). */
function loopFs(work, mib) {
  const image = join(work, `disk-${mib}.img`);
  const mnt = join(work, `mnt-${mib}`);
  mkdirSync(mnt);
  execFileSync('truncate', ['-s', `${mib}M`, image]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
  execFileSync('mount', ['-o', 'loop', image, mnt]);
  return {
    path: mnt,
    fill: () => {
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${join(mnt, '.filler')}`, 'bs=1M', `count=${mib}`], { stdio: 'ignore' });
      } catch {
        // full
      }
    },
    unfill: () => rmSync(join(mnt, '.filler'), { force: true }),
    // EXT4_IOC_SHUTDOWN with EXT4_GOING_FLAGS_NOLOGFLUSH: a power cut (see loop-filesystem.ts).
    shutdown: () => execFileSync('perl', ['-e', `open(my $d, '<', $ARGV[0]) or die; my $f = pack('L', 2); ioctl($d, 0x8004587d, $f) or die "ioctl: $!"`, mnt]),
    remount: () => {
      execFileSync('umount', [mnt]);
      execFileSync('mount', ['-o', 'loop', image, mnt]);
    },
    destroy: () => {
      try {
        execFileSync('umount', [mnt]);
      } catch {
        execFileSync('umount', ['-l', mnt]);
      }
    },
  };
}

async function fullDisk(work) {
  const fs = loopFs(work, 64);
  try {
    const run = await startRun('full-disk', work, { TAMGA_DATA_DIR: join(fs.path, 'data'), TAMGA_MIN_FREE_DISK_MB: '8' });
    await sleep(3_000);
    fs.fill();
    await sleep(5_000);
    const ready = await call(run.stats, `${run.base}/readyz`);
    const ackedWhileFull = run.acked.size;
    await sleep(1_000);
    const ackedLater = run.acked.size;
    fs.unfill();
    await sleep(4_000);
    return { ...(await run.finish()), readyzWhileFull: ready.status, appendsAckedWhileFull: ackedLater - ackedWhileFull };
  } finally {
    fs.destroy();
  }
}

async function powerCut(work) {
  const fs = loopFs(work, 256);
  try {
    const run = await startRun('power-cut', work, { TAMGA_DATA_DIR: join(fs.path, 'data') });
    await sleep(3_000);
    const rotate = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"hmac"}' };
    const rotated = JSON.parse((await call(run.stats, `${run.base}/api/v1/keys/rotate`, rotate)).body);
    await sleep(1_500);
    fs.shutdown();
    const ackedAtCut = run.acked.size;
    await run.server.kill();
    fs.remount();
    try {
      await run.restart();
    } catch (error) {
      await run.abandon();
      return { scenario: 'power-cut', acknowledged: run.acked.size, ackedAtCut, restart: `failed: ${error.message.split('\n')[0]}` };
    }
    await sleep(3_000);
    const keptKey = async () => {
      const keys = JSON.parse((await call(newStats(), `${run.base}/.well-known/tamga-keys`)).body);
      return { rotatedKeyKept: keys.hmacKeys.some((k) => k.kid === rotated.id) };
    };
    return { ...(await run.finish(keptKey)), ackedAtCut };
  } finally {
    fs.destroy();
  }
}

const SCENARIOS = {
  'kill-sqlite': (work) => killDuringIngest('kill-sqlite', work, { TAMGA_DATA_DIR: join(work, 'kill-sqlite') }),
  'kill-postgres': async (work) => {
    const schema = `tamga_campaign_kill_${process.pid}`;
    try {
      return await killDuringIngest('kill-postgres', work, { TAMGA_DATA_DIR: join(work, 'kill-postgres'), TAMGA_DATABASE_URL: PG_URL, TAMGA_DATABASE_SCHEMA: schema });
    } finally {
      await dropSchema(schema);
    }
  },
  'frozen-postgres': frozenPostgres,
  'full-disk': fullDisk,
  'power-cut': powerCut,
};

const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(SCENARIOS);
const work = mkdtempSync(join(tmpdir(), 'tamga-campaign-'));
try {
  for (const name of chosen) {
    const run = SCENARIOS[name];
    if (run === undefined) throw new Error(`unknown scenario ${name}: ${Object.keys(SCENARIOS).join(', ')}`);
    const t0 = Date.now();
    const result = await run(work);
    console.log(JSON.stringify({ ...result, seconds: Math.round((Date.now() - t0) / 1000) }));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
