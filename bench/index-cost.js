// What each index of SQLite's `records` costs the writer with production-like keys (decision 0046): BENCH_INDEX_ROWS
// (200,000) rows with a random UUIDv4 id, users drawn from 100,000 and a random UUID operation key per 20 rows are
// INSERTed in transactions of 2,000 (a group commit's size) into a fresh WAL file with synchronous=FULL, for today's
// schema and for each variant given (default: all). Prints this process's CPU µs per row (steadier than the rate on a
// shared machine). `today` is the schema as decision 0046 measured it (user and operation-key indexes led by the key);
// `hour-user-op-keys` is the schema since decision 0055 (led by the hour, with record_keys).
//   BENCH_INDEX_PREFILL  rows of history written first (untimed), over the 30 days before the timed ones (default 0)
//   BENCH_INDEX_HOURS    hours the timed rows span (default 24; 1 = a busy hour, as an ingest at full speed makes)
//   BENCH_INDEX_IDS      sequential: time-ordered ids (UUIDv7-like) instead of random UUIDv4 ones
//   BENCH_INDEX_USERS    users the rows are drawn from (default 100,000; 200 cycles through 200 as `npm run bench` does)
//   node bench/index-cost.js [variant…]
//   node bench/index-cost.js schema   (after `npm run build`) the journal's own schema, as `SqliteJournalStore` creates
//     it, with whole rows: all of it, then without each index of `records` in turn, then without any
//   node bench/index-cost.js deferred (after `npm run build`) the same journal with every index, against it with the
//     hour-led user and operation-key entries written in sorted chunks instead (decision 0082)
//   BENCH_INDEX_CHUNK    rows per chunk of `deferred` (default 20,000)
//   node bench/index-cost.js text     (after `npm run build`) the text index (FTS5, trigrams) alone: as the journal makes
//     it, and without each of its parts, CPU µs per record indexed
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const ROWS = Number(process.env.BENCH_INDEX_ROWS ?? 200_000);
const PREFILL = Number(process.env.BENCH_INDEX_PREFILL ?? 0);
const SPAN_HOURS = Number(process.env.BENCH_INDEX_HOURS ?? 24);
/** Rows per chunk of `deferred`'s side tables. */
const CHUNK = Number(process.env.BENCH_INDEX_CHUNK ?? 20_000);
const HOUR = 'created_at / 3600000000';
/** The indexes of packages/server/src/store/sqlite/sqlite-schema.ts as decision 0046 measured them. */
const TODAY = {
  log_seq: 'CREATE UNIQUE INDEX records_log_seq ON records(log_id, seq)',
  id: 'CREATE UNIQUE INDEX records_id ON records(id)',
  time: 'CREATE INDEX records_time ON records(created_at)',
  log_time: 'CREATE INDEX records_log_time ON records(log_id, created_at)',
  event_time: 'CREATE INDEX records_event_time ON records(event, created_at)',
  user: 'CREATE INDEX records_user_time ON records(user_id, created_at) WHERE user_id IS NOT NULL',
  subject: 'CREATE INDEX records_subject_time ON records(subject, created_at) WHERE subject IS NOT NULL',
  op: 'CREATE INDEX records_op_time ON records(operation_key, created_at) WHERE operation_key IS NOT NULL',
  poll: 'CREATE INDEX records_poll ON records(log_id, seq) WHERE pollable IS NOT 0',
  ip: `CREATE INDEX records_hour_ip_search ON records(${HOUR}, coalesce(ip_search, ip), created_at) WHERE ip IS NOT NULL`,
};
const ID16 = "CREATE UNIQUE INDEX records_id ON records(unhex(replace(id, '-', '')))";
const HOUR_USER = `CREATE INDEX records_hour_user ON records(${HOUR}, user_id, created_at) WHERE user_id IS NOT NULL`;
const HOUR_OP = `CREATE INDEX records_hour_op ON records(${HOUR}, operation_key, created_at) WHERE operation_key IS NOT NULL`;
const VARIANTS = {
  today: {},
  'no-id': { id: undefined },
  'id-16-bytes': { id: ID16 },
  'no-time': { time: undefined },
  'no-user': { user: undefined },
  'hour-user': { user: HOUR_USER },
  'hour-user-op': { user: HOUR_USER, op: HOUR_OP },
  'id-16-hour-user-op': { id: ID16, user: HOUR_USER, op: HOUR_OP },
  'no-id-no-user': { id: undefined, user: undefined },
  // The hour-led indexes plus the side tables that would serve user- and operation-first queries (decision 0046): a
  // (user, log) and an (operation key, log) row with the hour first seen, INSERT OR IGNORE with each record.
  'hour-user-side': {
    user: HOUR_USER,
    users: 'CREATE TABLE record_users (user_id TEXT NOT NULL, log_id INTEGER NOT NULL, first_hour INTEGER NOT NULL, PRIMARY KEY (user_id, log_id)) WITHOUT ROWID',
  },
  'hour-user-op-side': {
    user: HOUR_USER,
    op: HOUR_OP,
    users: 'CREATE TABLE record_users (user_id TEXT NOT NULL, log_id INTEGER NOT NULL, first_hour INTEGER NOT NULL, PRIMARY KEY (user_id, log_id)) WITHOUT ROWID',
    ops: 'CREATE TABLE record_operations (operation_key TEXT NOT NULL, log_id INTEGER NOT NULL, first_hour INTEGER NOT NULL, PRIMARY KEY (operation_key, log_id)) WITHOUT ROWID',
  },
};
// The hour-led user and operation-key indexes as decision 0055 made them, with record_keys written as the writer does:
// a row per (kind, value, log), widened when a record's hour is not the one this connection last wrote for it.
VARIANTS['hour-user-op-keys'] = {
  user: HOUR_USER,
  op: HOUR_OP,
  keys: `CREATE TABLE record_keys (kind INTEGER NOT NULL, value TEXT NOT NULL, log_id INTEGER NOT NULL, first_hour INTEGER NOT NULL,
    last_hour INTEGER NOT NULL, PRIMARY KEY (kind, value, log_id)) WITHOUT ROWID`,
};
/** The side tables' writes with each record, for the variants that have them. */
const SIDE = {
  users: 'INSERT OR IGNORE INTO record_users VALUES (?, 1, ?)',
  ops: 'INSERT OR IGNORE INTO record_operations VALUES (?, 1, ?)',
};
const KEYS = `INSERT INTO record_keys VALUES (?, ?, 1, ?, ?) ON CONFLICT (kind, value, log_id)
  DO UPDATE SET first_hour = min(first_hour, excluded.first_hour), last_hour = max(last_hour, excluded.last_hour)`;

const dir = mkdtempSync(join(tmpdir(), 'tamga-index-cost-'));
const canonical = randomBytes(300);
const t0 = Date.now() * 1000 - 86_400_000_000;
const USERS = Array.from({ length: Number(process.env.BENCH_INDEX_USERS ?? 100_000) }, (_, i) => `user${i}`);
const SCHEMA = process.argv[2] === 'schema' || process.argv[2] === 'deferred';
const TEXT = process.argv[2] === 'text';
// An operation's events come together (as the default benchmark's, 20 per operation), each operation keyed at random.
const operations = Array.from({ length: Math.ceil(ROWS / 20) }, () => randomUUID());
// BENCH_INDEX_IDS=sequential: time-ordered ids (as the server and the SDK mint, UUIDv7) instead of random UUIDv4 ones.
const SEQUENTIAL_IDS = process.env.BENCH_INDEX_IDS === 'sequential';
const row = (n, createdAt, operation) => [
  n,
  SEQUENTIAL_IDS ? `${createdAt.toString(16).padStart(16, '0')}-${n.toString(16).padStart(12, '0')}` : randomUUID(),
  2001 + (n % 10),
  USERS.length <= 200 ? USERS[n % USERS.length] : USERS[Math.floor(Math.random() * USERS.length)],
  createdAt,
  `10.0.${(n >> 8) & 255}.${n & 255}`,
  operation,
  canonical,
];
const rows = Array.from({ length: ROWS }, (_, n) => row(n, t0 + Math.floor((n / ROWS) * SPAN_HOURS * 3_600_000_000), operations[Math.floor(n / 20)]));
// A journal's history before the timed rows (untimed): PREFILL rows over the 30 days before them.
const history = (n) => row(ROWS + n, t0 - 30 * 86_400_000_000 + Math.floor((n / PREFILL) * 30 * 86_400_000_000), randomUUID());
let run = 0;
try {
  if (SCHEMA) await schemaCost(process.argv[2]);
  else if (TEXT) await textIndexCost();
  else for (const name of process.argv.length > 2 ? process.argv.slice(2) : Object.keys(VARIANTS)) {
    const db = new Database(join(dir, `${run++}-${name}.sqlite`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('cache_size = -32768'); // the writer thread's (SQLITE_CACHE_KIB.writer)
    db.exec(`CREATE TABLE records (rid INTEGER PRIMARY KEY, log_id INTEGER NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL,
      event INTEGER NOT NULL, user_id TEXT, created_at INTEGER NOT NULL, ip TEXT, ip_search TEXT, operation_key TEXT,
      subject TEXT, pollable INTEGER, canonical BLOB NOT NULL)`);
    for (const sql of Object.values({ ...TODAY, ...VARIANTS[name] })) if (sql !== undefined) db.exec(sql);
    const insert = db.prepare(
      'INSERT INTO records (log_id, seq, id, event, user_id, created_at, ip, operation_key, pollable, canonical) VALUES (1, ?, ?, ?, ?, ?, ?, ?, 1, ?)',
    );
    const variant = VARIANTS[name];
    const users = variant.users === undefined ? undefined : db.prepare(SIDE.users);
    // A journal past its first million records has seen its users: the side table starts with all of them (untimed).
    if (users !== undefined) db.transaction(() => USERS.forEach((user) => users.run(user, 0)))();
    const ops = variant.ops === undefined ? undefined : db.prepare(SIDE.ops);
    const widen = variant.keys === undefined ? undefined : db.prepare(KEYS);
    const known = [new Map(), new Map()];
    const keep = (kind, value, hour) => {
      if (known[kind - 1].get(value) === hour) return;
      widen.run(kind, value, hour, hour);
      known[kind - 1].set(value, hour);
    };
    const group = db.transaction((from, to, source = rows) => {
      for (let i = from; i < to; i++) {
        const row = typeof source === 'function' ? source(i) : source[i];
        insert.run(...row);
        const hour = Math.floor(row[4] / 3_600_000_000);
        users?.run(row[3], hour);
        ops?.run(row[6], hour);
        if (widen !== undefined) {
          keep(1, row[3], hour);
          keep(2, row[6], hour);
        }
      }
    });
    for (let i = 0; i < PREFILL; i += 20_000) group(i, Math.min(PREFILL, i + 20_000), history);
    timeGroups(name, group);
    db.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** The middle value of `values` (the upper one of an even count). */
function median(values) {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/** Runs the timed rows through `group` in transactions of 2,000 and prints the CPU per row. */
function timeGroups(name, group) {
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = 0; i < ROWS; i += 2000) group(i, Math.min(ROWS, i + 2000));
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - w0) / 1000;
  const kernel = (cpu.system / ROWS).toFixed(1);
  console.log(`${name.padEnd(26)} CPU ${((cpu.user + cpu.system) / ROWS).toFixed(1).padStart(5)} µs/row (kernel ${kernel}), ${Math.round(ROWS / seconds).toLocaleString('en-US')} rows/s`);
  return (cpu.user + cpu.system) / ROWS;
}

/**
 * `schema`: the journal as the server makes it (a `SqliteJournalStore` creates the file: its pragmas, its 16 KiB pages,
 * every table and index), whole rows as the writer inserts them (the canonical bytes, HMAC, leaf hash and payload salt
 * as sized in `npm run bench`), the writer's page cache; with every index, without each index of `records`, without any.
 * The text index, the Merkle nodes and the per-minute counts are left out: the same in every run.
 *
 * `deferred`: the same journal with every index, against it without `records_hour_user` and `records_hour_op`, their
 * entries written instead into two WITHOUT ROWID tables keyed as those indexes are, every `BENCH_INDEX_CHUNK` rows (in
 * a transaction of its own, as a follower would) by one `INSERT … SELECT … ORDER BY` each from the records after the
 * last chunk: each user's and operation's entries of a chunk then land together, instead of one page written per
 * user and operation at every commit. Then what a read pays for it: the records no chunk holds yet (up to a chunk's
 * worth), which a query by user would scan by rid, read for a user with none there (the whole of them).
 */
async function schemaCost(mode) {
  const { SqliteJournalStore } = await import('@tamga/server');
  const [leaf, salt, canonicalBytes] = [randomBytes(32), randomBytes(16), randomBytes(518)];
  const columns = `log_id, seq, id, event, event_name, entity_data, user_id, api_created_at, created_at, text, ip, tenant_id, node_id,
    operation_key, classified_event, severity, outcome, extra, sig_kid, signature, canonical, leaf_hash, payload_salt, pollable, subject`;
  const full = rows.map(([seq, id, event, user, createdAt, ip, operation]) => [
    1, seq, id, event, 'UserLogin', JSON.stringify({ login: user, attempt: seq % 7, tenantId: null }), user, createdAt,
    createdAt, seq % 50 === 0 ? `error while processing request ${seq}` : null, ip, null, 'node-1', operation, 3, 4,
    null, '{"catalogVersion":"2026.11"}', 'k1', randomBytes(32).toString('hex'), canonicalBytes, leaf, salt, 1, null,
  ]);
  // Each variant in a journal of its own, removed once measured (300,000 rows take ~400 MB).
  const open = async () => {
    const path = join(dir, `${run++}-schema.sqlite`);
    await new SqliteJournalStore({ path, writer: 'inline' }).close();
    const db = new Database(path);
    db.pragma('synchronous = FULL');
    db.pragma('cache_size = -32768'); // the writer thread's (SQLITE_CACHE_KIB.writer)
    return db;
  };
  const close = (db) => {
    db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(db.name + suffix, { force: true });
  };
  const first = await open();
  const names = first.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' AND sql IS NOT NULL").pluck().all();
  close(first);
  // name → what to do to a fresh journal before its rows; it may return what to run after each group of 2,000 rows.
  const variants = new Map(
    mode === 'deferred'
      ? [
          ['every index', () => undefined],
          ['user and operation entries in chunks', deferEntries],
        ]
      : // '*': the row alone, the floor under any choice of indexes.
        ['', ...names, '*'].map((without) => [
          without === '' ? 'every index' : without === '*' ? 'without any index' : `without ${without}`,
          (db) => {
            for (const index of without === '*' ? names : without === '' ? [] : [without]) db.exec(`DROP INDEX ${index}`);
          },
        ]),
  );
  // Rounds of every variant in turn (this machine's speed drifts within minutes), then each one's median.
  const cpu = new Map();
  const tails = [];
  for (let round = 0; round < Number(process.env.BENCH_INDEX_ROUNDS ?? 3); round++) {
    for (const [name, setUp] of variants) {
      const db = await open();
      const afterGroup = setUp(db);
      const insert = db.prepare(`INSERT INTO records (${columns}) VALUES (${columns.split(',').map(() => '?').join(', ')})`);
      const group = db.transaction((from, to) => {
        for (let i = from; i < to; i++) insert.run(full[i]);
      });
      const perRow = timeGroups(name, (from, to) => {
        group(from, to);
        afterGroup?.(to);
      });
      cpu.set(name, [...(cpu.get(name) ?? []), perRow]);
      if (afterGroup !== undefined) tails.push(tailScan(db));
      close(db);
    }
  }
  const all = median(cpu.get('every index'));
  console.log(`\nmedians (CPU µs/row; what the variant saves):`);
  for (const [name, values] of cpu) {
    const saved = name === 'every index' ? '' : `  saves ${(all - median(values)).toFixed(1)}`;
    console.log(`${name.padEnd(38)} ${median(values).toFixed(1).padStart(5)}${saved}`);
  }
  if (tails.length > 0) console.log(`a user's records among the ${CHUNK.toLocaleString('en-US')} no chunk holds yet, scanned by rid: ${median(tails).toFixed(1)} ms (median)`);
}

/**
 * `deferred`'s variant: the two hour-led indexes dropped, their entries written every CHUNK rows (timed: it is the
 * writer's work) in sorted runs into tables keyed as the indexes are.
 */
function deferEntries(db) {
  db.exec(`DROP INDEX records_hour_user; DROP INDEX records_hour_op;
    CREATE TABLE user_entries (hour INTEGER NOT NULL, user_id TEXT NOT NULL, created_at INTEGER NOT NULL, rid INTEGER NOT NULL,
      PRIMARY KEY (hour, user_id, created_at, rid)) WITHOUT ROWID;
    CREATE TABLE operation_entries (hour INTEGER NOT NULL, operation_key TEXT NOT NULL, created_at INTEGER NOT NULL, rid INTEGER NOT NULL,
      PRIMARY KEY (hour, operation_key, created_at, rid)) WITHOUT ROWID;`);
  const chunk = (table, column) =>
    db.prepare(`INSERT INTO ${table} SELECT created_at / 3600000000, ${column}, created_at, rid FROM records
      WHERE rid > ? AND rid <= ? AND ${column} IS NOT NULL ORDER BY 1, 2, 3, 4`);
  const [users, operations] = [chunk('user_entries', 'user_id'), chunk('operation_entries', 'operation_key')];
  const lastRid = db.prepare('SELECT max(rid) FROM records').pluck();
  let through = 0;
  const flush = db.transaction((to) => {
    users.run(through, to);
    operations.run(through, to);
    through = to;
  });
  return (rowsDone) => {
    if (rowsDone % CHUNK === 0 || rowsDone === ROWS) flush(lastRid.get());
  };
}

/**
 * ms to look for a user's newest 100 records among the last CHUNK rows by rid, as a query past the chunks would: a
 * user with none there (the worst case: the whole tail read).
 */
function tailScan(db) {
  const last = db.prepare('SELECT max(rid) FROM records').pluck().get();
  const scan = db.prepare('SELECT * FROM records WHERE rid > ? AND user_id = ? ORDER BY rid DESC LIMIT 100');
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    scan.all(last - CHUNK, `absent${i}`);
    times.push(performance.now() - t0);
  }
  return median(times);
}

/**
 * `text`: what the text index costs the writer per record, and each of its parts. The benchmark's searched text (an
 * error text in one record of 50, each record's entity values `userN k`) inserted into FTS5 tables in transactions of
 * 2,000 (a group commit's size): the journal's own (`SQLITE_TEXT_INDEX_SCHEMA`); without the stored `created_at` and
 * `log_id` (which serve the counts and histograms of searches); without those and positions (`detail=none`); without
 * those and `contentless_delete` (which retention's purge needs); the journal's own in transactions of `BENCH_INDEX_CHUNK`.
 */
async function textIndexCost() {
  const { SQLITE_TEXT_INDEX_SCHEMA } = await import('../packages/server/dist/store/sqlite/sqlite-text-index.js');
  const texts = Array.from({ length: ROWS }, (_, n) => [
    n + 1,
    n % 50 === 0 ? `error while processing request ${n}` : null,
    `${USERS[n % USERS.length]} ${n % 7}`,
    t0 + n * 1000,
    1,
  ]);
  const trigrams = "content='', tokenize='trigram case_sensitive 0'";
  const variants = {
    'the journal\'s': { schema: SQLITE_TEXT_INDEX_SCHEMA, group: 2000 },
    'without created_at, log_id': { spec: `text, entity_values, contentless_delete=1, ${trigrams}` },
    '… and without positions (detail=none)': { spec: `text, entity_values, contentless_delete=1, detail=none, ${trigrams}` },
    '… and without contentless_delete': { spec: `text, entity_values, ${trigrams}` },
    [`the journal's, ${CHUNK.toLocaleString('en-US')} a transaction`]: { schema: SQLITE_TEXT_INDEX_SCHEMA, group: CHUNK },
  };
  const cpu = new Map();
  for (let round = 0; round < Number(process.env.BENCH_INDEX_ROUNDS ?? 3); round++) {
    for (const [name, variant] of Object.entries(variants)) {
      const db = new Database(join(dir, `${run++}-text.sqlite`));
      db.pragma('page_size = 16384');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('cache_size = -32768');
      if (variant.schema !== undefined) db.exec(variant.schema);
      else db.exec(`CREATE VIRTUAL TABLE record_text USING fts5(${variant.spec}); INSERT INTO record_text (record_text, rank) VALUES ('automerge', 8)`);
      const columns = variant.schema !== undefined ? 'rowid, text, entity_values, created_at, log_id' : 'rowid, text, entity_values';
      const width = columns.split(',').length;
      const insert = db.prepare(`INSERT INTO record_text (${columns}) VALUES (${columns.split(',').map(() => '?').join(', ')})`);
      const group = db.transaction((from, to) => {
        for (let i = from; i < to; i++) insert.run(texts[i].slice(0, width));
      });
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < ROWS; i += variant.group ?? 2000) group(i, Math.min(ROWS, i + (variant.group ?? 2000)));
      const used = process.cpuUsage(cpu0);
      cpu.set(name, [...(cpu.get(name) ?? []), (used.user + used.system) / ROWS]);
      db.close();
    }
  }
  console.log('the text index, CPU µs per record indexed (median of the rounds):');
  for (const [name, values] of cpu) console.log(`${name.padEnd(38)} ${median(values).toFixed(2).padStart(6)}   (${values.map((v) => v.toFixed(1)).join(', ')})`);
}
