import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../server/src/test-support/fixtures.js';
import { DiskSpool } from './disk-spool.js';
import type { DiskSpoolConfig } from './disk-spool.js';

const dirs: { remove: () => void }[] = [];
const open: DiskSpool[] = [];
afterEach(async () => {
  for (const spool of open.splice(0)) await spool.close();
  for (const dir of dirs.splice(0)) dir.remove();
});

function spoolDir(): string {
  const dir = tempDir('tamga-spool-');
  dirs.push(dir);
  return dir.path;
}

function openSpool(config: DiskSpoolConfig): DiskSpool {
  const spool = DiskSpool.open(config);
  open.push(spool);
  return spool;
}

async function reopen(spool: DiskSpool, config: Omit<DiskSpoolConfig, 'dir'> = {}): Promise<DiskSpool> {
  await spool.close();
  return openSpool({ dir: spool.dir, ...config });
}

const lines = (from: number, n: number): string[] => Array.from({ length: n }, (_, i) => JSON.stringify({ event: 2001, entityData: { n: from + i } }));
const numbers = (taken: string[]): number[] => taken.map((l) => (JSON.parse(l) as { entityData: { n: number } }).entityData.n);

describe('DiskSpool', () => {
  it('hands out batches oldest first and, after a restart, only what was not delivered', async () => {
    const dir = spoolDir();
    let spool = openSpool({ dir });
    for (let b = 0; b < 4; b++) await spool.push(lines(b * 10, 10));
    expect(spool.events).toBe(40);
    expect(numbers(await spool.take(20, 1 << 20))).toEqual([...Array(20).keys()]);
    await spool.settle(true);
    spool = await reopen(spool);
    expect(spool.recovery).toMatchObject({ events: 20, frames: 2, torn: undefined, corrupt: [] });
    expect(numbers(await spool.take(100, 1 << 20))).toEqual([...Array(20).keys()].map((i) => i + 20));
  });

  it('keeps a batch at the head when its request failed, for the next attempt', async () => {
    const spool = openSpool({ dir: spoolDir() });
    await spool.push(lines(0, 3));
    await spool.push(lines(3, 3));
    const first = await spool.take(3, 1 << 20);
    expect(await spool.settle(false)).toBe(0);
    expect(await spool.take(6, 1 << 20)).toEqual([...first, ...lines(3, 3)]);
  });

  it('sets aside a torn last write and keeps every whole frame before it', async () => {
    const dir = spoolDir();
    let spool = openSpool({ dir });
    await spool.push(lines(0, 5));
    await spool.push(lines(5, 5));
    const segment = join(dir, '000000000001.seg');
    const whole = statSync(segment).size;
    // What a write cut off by kill -9 leaves: a header and part of the payload.
    appendFileSync(segment, readFileSync(segment).subarray(0, 30));
    spool = await reopen(spool);
    expect(spool.recovery.torn).toMatchObject({ segment: '000000000001.seg', offset: whole, bytes: 30 });
    expect(readFileSync(join(dir, spool.recovery.torn!.keptAs)).length).toBe(30);
    expect(statSync(segment).size).toBe(whole);
    await spool.push(lines(10, 1));
    spool = await reopen(spool);
    expect(spool.recovery.torn).toBeUndefined();
    expect(numbers(await spool.take(100, 1 << 20))).toEqual([...Array(11).keys()]);
  });

  it('sets aside a frame that fails its checksum and still delivers the frames after it', async () => {
    const dir = spoolDir();
    let spool = openSpool({ dir });
    for (let b = 0; b < 3; b++) await spool.push(lines(b * 4, 4));
    const segment = join(dir, '000000000001.seg');
    const bytes = readFileSync(segment);
    const second = bytes.indexOf('TSP1', 1);
    bytes[second + 40] = bytes[second + 40]! ^ 0x01; // one flipped bit inside the second frame's payload
    writeFileSync(segment, bytes);
    spool = await reopen(spool);
    expect(spool.recovery.corrupt).toHaveLength(1);
    expect(spool.recovery.corrupt[0]).toMatchObject({ offset: second });
    expect(existsSync(join(dir, spool.recovery.corrupt[0]!.keptAs))).toBe(true);
    expect(numbers(await spool.take(100, 1 << 20))).toEqual([0, 1, 2, 3, 8, 9, 10, 11]);
  });

  it('deletes segments once every frame in them is delivered', async () => {
    const dir = spoolDir();
    const spool = openSpool({ dir, maxBytes: 1 << 20, segmentBytes: 64 * 1024 });
    const big = (from: number): string[] => lines(from, 1).map((l) => l.replace('}}', `,"pad":"${'x'.repeat(20_000)}"}}`));
    for (let i = 0; i < 12; i++) await spool.push(big(i));
    const segments = (): string[] => readdirSync(dir).filter((n) => n.endsWith('.seg'));
    expect(segments().length).toBeGreaterThanOrEqual(4);
    await spool.take(100, 10 << 20);
    await spool.settle(true);
    expect(segments()).toEqual([segments().at(-1)]);
    expect(JSON.parse(readFileSync(join(dir, 'cursor'), 'utf8'))).toEqual({ segment: Number(segments()[0]!.slice(0, 12)), offset: statSync(join(dir, segments()[0]!)).size });
  });

  describe('when full', () => {
    it('drops the oldest frames under drop-oldest and says how many events went', async () => {
      const spool = openSpool({ dir: spoolDir(), maxBytes: 2000, overflow: 'drop-oldest' });
      let dropped = 0;
      for (let b = 0; b < 20; b++) dropped += (await spool.push(lines(b * 5, 5))).dropped;
      expect(spool.bytes).toBeLessThanOrEqual(2000);
      expect(dropped).toBe(100 - spool.events);
      const kept = numbers(await spool.take(1000, 1 << 20));
      expect(kept).toEqual([...Array(spool.events).keys()].map((i) => 100 - spool.events + i));
    });

    it('refuses the batch under block and drops nothing', async () => {
      const spool = openSpool({ dir: spoolDir(), maxBytes: 2000, overflow: 'block' });
      const results = [];
      for (let b = 0; b < 20; b++) results.push(await spool.push(lines(b * 5, 5)));
      const accepted = results.filter((r) => r.accepted).length;
      expect(accepted).toBeGreaterThan(0);
      expect(accepted).toBeLessThan(20);
      expect(results.every((r) => r.dropped === 0)).toBe(true);
      expect(numbers(await spool.take(1000, 1 << 20))).toEqual([...Array(accepted * 5).keys()]);
    });

    it('drops the batch in flight too when newer events had to go while it was sent (oldest first)', async () => {
      const spool = openSpool({ dir: spoolDir(), maxBytes: 800, overflow: 'drop-oldest' });
      await spool.push(lines(0, 5));
      await spool.push(lines(5, 5));
      await spool.take(5, 1 << 20);
      let dropped = 0;
      for (let b = 2; b < 6; b++) dropped += (await spool.push(lines(b * 5, 5))).dropped;
      expect(dropped).toBeGreaterThan(0);
      expect(await spool.settle(false)).toBe(5);
      expect(numbers(await spool.take(1000, 1 << 20))[0]).toBeGreaterThan(5);
    });
  });

  describe('lock', () => {
    it('refuses a second producer on the same directory (SPOOL_LOCKED)', () => {
      const dir = spoolDir();
      openSpool({ dir });
      expect(() => DiskSpool.open({ dir })).toThrow(expect.objectContaining({ code: 'SPOOL_LOCKED' }));
    });

    it('takes over the lock of a process that died (kill -9 leaves it behind)', () => {
      const dir = spoolDir();
      // pid 2^22 + 1 is above Linux's pid_max default range, so no process has it.
      writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: 4_194_305 }));
      const spool = openSpool({ dir });
      expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8'))).toMatchObject({ pid: process.pid });
      expect(spool.events).toBe(0);
    });
  });
});
