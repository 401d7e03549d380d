/** The pino transport with real pino, into a real Tamga on loopback (in-process; the worker-thread form is in producer-process.test.ts). */
import { once } from 'node:events';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import tamgaTransport, { toTamgaEvent } from './pino.js';
import { startLoopbackTamga, TEST_API_KEY } from './test-support/loopback-tamga.js';
import type { LoopbackTamga } from './test-support/loopback-tamga.js';

let t: LoopbackTamga | undefined;
afterEach(async () => {
  await t?.remove();
  t = undefined;
});

describe('@tamga/sdk/pino', () => {
  it('sends the lines that carry `tamga` as events: message as text, own fields as entityData, pino time as createdAt', async () => {
    t = await startLoopbackTamga();
    const stream = await tamgaTransport({ url: t.url, apiKey: TEST_API_KEY, lingerMs: 20 });
    const logger = pino({ base: { service: 'billing' } }, stream);
    const before = Date.now();
    logger.info({ tamga: { event: 2001, userId: 'alice', ip: '10.0.0.24' } }, 'signed in');
    logger.info({ user: 'bob' }, 'an ordinary line, not an event');
    logger.warn({ tamga: 'LoginUserNotExist', attempts: 3 }, 'wrong password');
    logger.error({ tamga: 2007, err: new Error('disk full') }, 'logout failed');
    stream.end();
    await once(stream, 'close');
    const records = await t.records();
    expect(records.map((r) => [r.event, r.eventName, r.userId, r.text])).toEqual([
      [2001, 'Login', 'alice', 'signed in'],
      [2002, 'LoginUserNotExist', null, 'wrong password'],
      [2007, 'LogOut', null, 'logout failed'],
    ]);
    expect(records[0]).toMatchObject({ ip: '10.0.0.24', entityData: { service: 'billing' } });
    expect(records[1]!.entityData).toEqual({ service: 'billing', attempts: 3 });
    expect(records[2]!.entityData).toMatchObject({ err: { type: 'Error', message: 'disk full' } });
    expect(records[0]!.createdAt / 1000).toBeGreaterThanOrEqual(before);
    expect(records[0]!.createdAt / 1000).toBeLessThanOrEqual(Date.now());
  });

  it('with `level` and `event`, also sends every line at or above the level', async () => {
    t = await startLoopbackTamga();
    const stream = await tamgaTransport({ url: t.url, apiKey: TEST_API_KEY, level: 'error', event: 'RegistrationFailed' });
    const logger = pino(stream);
    logger.warn('not sent');
    logger.error('sent as RegistrationFailed');
    logger.fatal({ tamga: 2001 }, 'its own code wins');
    stream.end();
    await once(stream, 'close');
    expect((await t.records()).map((r) => [r.eventName, r.text])).toEqual([
      ['RegistrationFailed', 'sent as RegistrationFailed'],
      ['Login', 'its own code wins'],
    ]);
  });

  it('refuses a level pino does not have, and a level without an event', async () => {
    await expect(tamgaTransport({ url: 'http://127.0.0.1:1', level: 'loud', event: 2001 })).rejects.toThrow(/not a pino level/);
    await expect(tamgaTransport({ url: 'http://127.0.0.1:1', level: 'error' })).rejects.toThrow(/give `event`/);
  });

  it('maps a line without the key to nothing', () => {
    expect(toTamgaEvent({ level: 30, time: 1, msg: 'x' })).toBeUndefined();
    expect(toTamgaEvent({ level: 30, time: 1, msg: 'x', audit: true }, { key: 'audit', event: 2001 })).toMatchObject({ event: 2001, text: 'x' });
  });
});
