/** `tamga send` as a shell script or cron job uses it, against a real Tamga on loopback. */
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TEST_API_KEY } from '../../../sdk/src/test-support/loopback-tamga.js';
import { useTestScope } from '../../../sdk/src/test-support/test-scope.js';
import { send, SEND_EXIT } from './send.js';

const scope = useTestScope();
const tamga = () => scope.tamga();

async function run(args: string[], input: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        append(chunk.toString());
        done();
      },
    });
  const code = await send(args, { input: Readable.from([input]), out: sink((s) => (out += s)), err: sink((s) => (err += s)) });
  return { code, out, err };
}

const ndjson = (events: unknown[]): string => events.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n') + '\n';
const numbers = (records: { entityData: unknown }[]): number[] => records.map((r) => (r.entityData as { n: number }).n);

describe('tamga send', () => {
  it('stores every event of the input once, in order, and names each refused line', async () => {
    const t = await tamga();
    const lines: unknown[] = Array.from({ length: 1000 }, (_, n) => ({ event: 2001, userId: `user${n}`, entityData: { n } }));
    lines[10] = '{"event": 2001,';
    lines[20] = { event: 99_999_999, entityData: { n: 20 } };
    lines[30] = { event: 2001, ip: '999.1.1.1', entityData: { n: 30 } };
    lines[40] = '';
    const { code, out, err } = await run(['--url', t.url, '--api-key', TEST_API_KEY], ndjson(lines));
    expect(code).toBe(SEND_EXIT.refused);
    expect(err).toMatch(/line 11: not JSON/);
    expect(err).toMatch(/line 21: .*UNKNOWN_EVENT_CODE/);
    expect(err).toMatch(/line 31: ip: must be an IPv4 or IPv6 address \[VALIDATION_FAILED\]/);
    expect(out).toBe('Read 998 events: 996 stored, 0 already stored, 3 refused\n');
    expect(numbers(await t.records())).toEqual([...Array(1000).keys()].filter((n) => ![10, 20, 30, 40].includes(n)));
  });

  it('says "already stored" when the same events (with ids) are sent again, and stores nothing new', async () => {
    const t = await tamga();
    const input = ndjson(Array.from({ length: 50 }, (_, n) => ({ id: `0193a7e0-0000-7000-8000-${String(n).padStart(12, '0')}`, event: 2001, entityData: { n } })));
    expect((await run(['--url', t.url, '--api-key', TEST_API_KEY], input)).out).toBe('Read 50 events: 50 stored, 0 already stored, 0 refused\n');
    const again = await run(['--url', t.url, '--api-key', TEST_API_KEY], input);
    expect(again).toMatchObject({ code: SEND_EXIT.delivered, out: 'Read 50 events: 0 stored, 50 already stored, 0 refused\n' });
    expect(await t.records()).toHaveLength(50);
  });

  it('keeps what Tamga did not take in the spool (exit 3), and the next run delivers it first', async () => {
    const t = await tamga();
    const dir = { path: scope.dir('tamga-send-spool-') };
    await t.stop();
    const first = await run(['--url', t.url, '--api-key', TEST_API_KEY, '--spool', dir.path, '--timeout', '1'], ndjson(Array.from({ length: 300 }, (_, n) => ({ event: 2001, entityData: { n } }))));
    expect(first.code).toBe(SEND_EXIT.undelivered);
    expect(first.err).toContain(`300 events stay in the spool ${dir.path}; run "tamga send --spool ${dir.path}" again`);
    await t.start();
    const second = await run(['--url', t.url, '--api-key', TEST_API_KEY, '--spool', dir.path], ndjson([{ event: 2001, entityData: { n: 300 } }]));
    expect(second).toMatchObject({ code: SEND_EXIT.delivered, out: 'Read 1 events (and 300 left in the spool by an earlier run): 301 stored, 0 already stored, 0 refused\n' });
    expect(numbers(await t.records())).toEqual([...Array(301).keys()]);
  });

  it('without a spool, says how many events are lost when Tamga stays down (exit 3)', async () => {
    const t = await tamga();
    await t.stop();
    const { code, err } = await run(['--url', t.url, '--api-key', TEST_API_KEY, '--timeout', '0.5'], ndjson([{ event: 2001 }, { event: 2001 }]));
    expect(code).toBe(SEND_EXIT.undelivered);
    expect(err).toContain('2 events could not be delivered within 0.5 s and are lost; use --spool DIR to keep them');
  });

  it('names what is missing without a URL or key (exit 2)', async () => {
    const saved = process.env.TAMGA_API_KEY;
    delete process.env.TAMGA_API_KEY;
    try {
      await expect(run([], '')).rejects.toMatchObject({ exitCode: SEND_EXIT.usage, message: expect.stringContaining('tamga send: missing --url, --api-key (or TAMGA_API_KEY)') });
    } finally {
      if (saved !== undefined) process.env.TAMGA_API_KEY = saved;
    }
  });
});
