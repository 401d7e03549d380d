// `node bench/seal-path.js` (after `npm run build`): what sealing costs per record on each side of the SQLite writer's
// message, without HTTP and SQLite. BENCH_SEAL_BATCHES (20) batches of 1,000 of the benchmark's records are prepared
// as the request thread does (`RecordSealer.prepare` into a `PreparedSealBatch`), posted through a MessageChannel with
// their buffers transferred, and sealed as the writer does (`sealPrepared` at a log and seq). Prints this process's CPU
// µs per record for each side, the median of BENCH_SEAL_ROUNDS (6) rounds after two to warm up: steadier on a shared
// machine than the benchmark's rates, and quick to run old and new builds of the seal path side by side.
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { PreparedSealBatch, preparedAt, RecordSealer } from '@tamga/core';

const BATCHES = Number(process.env.BENCH_SEAL_BATCHES ?? 20);
const ROUNDS = Number(process.env.BENCH_SEAL_ROUNDS ?? 6);
const BATCH = 1000;
const WARM_UP = 2;
const LOG = 'tamga.local/default';

const sealer = new RecordSealer(Buffer.alloc(32, 7));
const now = Date.now() * 1000;

/** Record `n` as the benchmark's event `n` becomes (bench/run.js `makeEvent`), before its log and seq are known. */
function fields(n) {
  const user = `user${n % 200}`;
  return {
    log: '',
    seq: 0,
    id: `01900000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`,
    event: 2001 + (n % 7),
    eventName: 'LOGIN_SUCCESS',
    entityData: { login: user, attempt: n % 7, tenantId: null },
    userId: user,
    apiCreatedAt: now + n,
    createdAt: now - 86_400_000_000 + n * 1000,
    text: n % 50 === 0 ? `error while processing request ${n}` : n % 500 === 7 ? `Ошибка входа: неверный пароль (попытка ${n % 7})` : null,
    ip: `10.0.${(n >> 8) & 255}.${n & 255}`,
    tenantId: null,
    nodeId: 'node-1',
    operationKey: `op-${Math.floor(n / 20)}`,
    classifiedEvent: 'INFO',
    severity: 3,
    outcome: 'success',
    extra: { catalogVersion: 'ai-server@1' },
    sigKid: 'k1',
  };
}

const batches = Array.from({ length: BATCHES }, (_, b) => Array.from({ length: BATCH }, (_, i) => fields(b * BATCH + i)));
const { port1, port2 } = new MessageChannel();
const cpu = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

const rounds = [];
let seq = 0;
for (let round = 0; round < WARM_UP + ROUNDS; round++) {
  let prepare = 0;
  let seal = 0;
  for (const records of batches) {
    let t = cpu();
    const batch = new PreparedSealBatch(records.length);
    for (let i = 0; i < records.length; i++) batch.add(sealer.prepare(records[i], batch.salt(i)));
    const prepared = batch.finish();
    port1.postMessage(prepared, [prepared.bytes.buffer, prepared.offsets.buffer, prepared.salts.buffer]);
    prepare += cpu() - t;
    t = cpu();
    const received = receiveMessageOnPort(port2).message;
    for (let i = 0; i < records.length; i++) {
      const at = preparedAt(received, i);
      if (at === undefined) throw new Error(`record ${i} was not prepared`);
      sealer.sealPrepared(at, LOG, seq++);
    }
    seal += cpu() - t;
  }
  const n = BATCHES * BATCH;
  if (round >= WARM_UP) rounds.push({ prepare: prepare / n, seal: seal / n });
}
port1.close();
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const prepare = median(rounds.map((r) => r.prepare));
const seal = median(rounds.map((r) => r.seal));
console.log(
  `seal path, CPU µs per record (median of ${ROUNDS} rounds of ${(BATCHES * BATCH).toLocaleString('en')}): ` +
    `prepared and posted ${prepare.toFixed(2)} (the request thread), received and sealed ${seal.toFixed(2)} (the writer), ` +
    `both ${(prepare + seal).toFixed(2)}`,
);
