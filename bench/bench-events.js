// The benchmark's events (bench/run.js, bench/ab-ingest.js): ten codes, 200 users (100,000 with random keys), an IP
// each, an operation per 20 events, an error text in one event of 50 and a Cyrillic one in one of 500.
import { randomUUID } from 'node:crypto';

const CODES = [2001, 2002, 2003, 2004, 2007, 9000, 9001, 8000, 8001, 2008];
const DAY = 86_400_000;

/**
 * The events of a run whose clock is `now` (ms) and whose batches hold `batch` events; `randomKeys`: ids as clients mint
 * them (UUIDv4) and users drawn at random from 100,000 (user0-user199 among them, which the queries ask for), so each
 * lands on a random index page.
 */
export function benchEvents({ now, batch, randomKeys = false }) {
  const users = Array.from({ length: randomKeys ? 100_000 : 200 }, (_, i) => `user${i}`);
  /**
   * Event number `n` of `total`: spread over the 24 hours before `now`, newest last, so the default view (current
   * hour) has data; or, given `at` (ms), stamped then.
   */
  function makeEvent(n, total, tenantId, at) {
    const user = randomKeys ? users[Math.floor(Math.random() * users.length)] : users[n % users.length];
    return {
      ...(randomKeys && { id: randomUUID() }),
      event: CODES[n % CODES.length],
      createdAt: new Date(at ?? now - DAY + Math.floor((n / total) * DAY)).toISOString(),
      userId: user,
      ip: `10.0.${(n >> 8) & 255}.${n & 255}`,
      operationKey: `op-${Math.floor(n / 20)}`,
      text:
        n % 50 === 0
          ? `error while processing request ${n}`
          : n % 500 === 7
            ? `Ошибка входа: неверный пароль (попытка ${n % 7})`
            : n % 100_000 === 57
              ? `ОШИБКА ПОДПИСИ: ключ ${n} отозван`
              : null,
      entityData: { login: user, attempt: n % 7, tenantId: null },
      ...(tenantId !== undefined && { tenantId }),
    };
  }
  /** Batch `b` as an NDJSON body. */
  function makeBatch(b, total, tenantId, at) {
    const lines = [];
    for (let i = 0; i < batch; i++) lines.push(JSON.stringify(makeEvent(b * batch + i, total, tenantId, at)));
    return `${lines.join('\n')}\n`;
  }
  return { makeEvent, makeBatch };
}
