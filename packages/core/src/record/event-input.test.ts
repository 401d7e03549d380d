import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { DEFAULT_EVENT_LIMITS, validateEventInput } from './event-input.js';

function problem(raw: unknown, index?: number): ValidationError {
  try {
    validateEventInput(raw, index);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('validateEventInput', () => {
  it('accepts the seed 002 example and normalizes times to UTC microseconds', () => {
    const e = validateEventInput({
      id: '716AFD7F-80C5-4D64-A664-E8694129A12C',
      event: 2001,
      entityData: 'logs, tenantId=',
      userId: null,
      createdAt: '2024-08-31T23:35:58.29378',
      text: null,
      ip: '10.0.0.24',
      tenantId: null,
      operationKey: null,
      classifiedEvent: 3,
    });
    expect(e).toMatchObject({ id: '716afd7f-80c5-4d64-a664-e8694129a12c', event: 2001, ip: '10.0.0.24', classifiedEvent: 3 });
    expect(e.createdAt).toBe(Date.UTC(2024, 7, 31, 23, 35, 58) * 1000 + 293_780);
  });

  it('holds entityData to its limit as JSON, escapes counted, whatever the shape', () => {
    const limits = { ...DEFAULT_EVENT_LIMITS, maxEntityDataLength: 1000 };
    const check = (entityData: unknown): string | undefined => {
      try {
        validateEventInput({ event: 1, entityData }, 0, limits);
        return undefined;
      } catch (error) {
        return (error as ValidationError).message;
      }
    };
    expect(check({ login: 'anna', attempt: 3, tenantId: null, tags: ['a', true, 1.5e300] })).toBeUndefined();
    expect(check({ n: 'x'.repeat(992) })).toBeUndefined(); // {"n":"…"} is exactly 1,000
    expect(check({ n: 'x'.repeat(993) })).toBe('[0].entityData: must be at most 1000 characters as JSON');
    // 400 quotes and 100 control characters are 500 characters sent, 1,400 as JSON.
    expect(check(['"'.repeat(400) + '\u0001'.repeat(100)])).toBe('[0].entityData: must be at most 1000 characters as JSON');
    // What JSON.stringify renders its own way (toJSON) is measured, not bounded.
    class Big {
      toJSON(): string {
        return 'y'.repeat(2000);
      }
    }
    expect(check({ at: new Big() })).toBe('[0].entityData: must be at most 1000 characters as JSON');
    expect(check({ at: { toJSON: () => 'y'.repeat(2000) } })).toBe('[0].entityData: must be at most 1000 characters as JSON');
  });

  it('keeps the added fields', () => {
    const e = validateEventInput({
      eventName: 'Login',
      outcome: 'failure',
      severity: 4,
      object: { type: 'asset', id: '42', version: '3' },
      request: { method: 'POST', url: '/x', status: 401, durationMs: 12 },
      source: { system: 'business-platform', component: 'Core', version: '4.7.2311.1' },
    });
    expect(e).toMatchObject({ eventName: 'Login', outcome: 'failure', object: { type: 'asset', id: '42' }, request: { status: 401 } });
    expect(e.source).toEqual({ system: 'business-platform', component: 'Core', version: '4.7.2311.1' });
  });

  it('stores an address in its canonical text, whatever spelling was sent (RFC 5952, IPv4-mapped folded)', () => {
    expect(validateEventInput({ event: 2001, ip: '2001:0DB8:0:0::1' }).ip).toBe('2001:db8::1');
    expect(validateEventInput({ event: 2001, ip: '::ffff:10.0.0.1' }).ip).toBe('10.0.0.1');
    expect(validateEventInput({ event: 2001, ip: null }).ip).toBeNull();
  });

  it.each([
    [{ userId: 'a' }, 'event'],
    [{ event: -1 }, 'event'],
    [{ event: 1.5 }, 'event'],
    [{ event: 2001, id: 'not-a-uuid' }, 'id'],
    [{ event: 2001, ip: '::gg' }, 'ip'],
    [{ event: 2001, ip: '10.0.0.01' }, 'ip'],
    [{ event: 2001, createdAt: 1700000000 }, 'createdAt'],
    [{ event: 2001, tenantId: '../etc' }, 'tenantId'],
    [{ event: 2001, tenantId: 'default' }, 'tenantId'],
    [{ event: 2001, classifiedEvent: 0 }, 'classifiedEvent'],
    [{ event: 2001, classifiedEvent: 4 }, 'correctsEventId'],
    [{ event: 2001, entityData: 5 }, 'entityData'],
    [{ event: 2001, outcome: 'ok' }, 'outcome'],
    [{ event: 2001, request: { status: 'x' } }, 'request.status'],
    [{ event: 2001, object: { colour: 'red' } }, 'object.colour'],
    [{ event: 2001, validSignature: true }, 'validSignature'],
    [{ event: 2001, __proto__x: 1 }, '__proto__x'],
    [{ event: 2001, userId: 'a\ud800' }, 'userId'],
    [{ event: 2001, text: 'a\u0000b' }, 'text'],
    [{ event: 2001, entityData: { k: ['x\udc00'] } }, 'entityData'],
    [{ event: 2001, entityData: JSON.parse('['.repeat(40) + ']'.repeat(40)) }, 'entityData'],
    [{ event: 2001, source: { system: 'a\u0000' } }, 'source.system'],
    [{ event: 2001, source: { version: 4.7 } }, 'source.version'],
    [{ event: 2001, source: { product: 'x' } }, 'source.product'],
  ])('refuses %j naming %s', (raw, field) => {
    const error = problem(raw, 7);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details).toMatchObject({ field, index: 7 });
  });

  it('refuses entityData nested 20,000 deep without overflowing the stack', () => {
    const raw = { event: 2001, entityData: JSON.parse('['.repeat(20000) + ']'.repeat(20000)) as unknown };
    expect(problem(raw).details.field).toBe('entityData');
  });

  it('refuses a JSON "__proto__" key as an unknown field', () => {
    expect(problem(JSON.parse('{"event":2001,"__proto__":{"admin":true}}')).details.field).toBe('__proto__');
  });

  describe('the seed 004 fields', () => {
    it('keeps object ids and versions as integers or strings, the source id, pollable, the display name and the session', () => {
      const e = validateEventInput({
        eventName: 'OBJECT_UPDATE',
        object: { schema: 'USER', type: 'pictures', id: 118, version: 0, globalId: '118@8367e587-f999-4e72-b69d-b5742eb4d5f4' },
        source: { system: 'asset-server', instance: 'https://assets.example.org', eventId: 961 },
        pollable: false,
        userDisplayName: 'Root',
        sessionId: 'ac554a02-3ef0-42da-8ffb-603d73de95f9',
        sessionCreatedAt: '2019-03-13T10:41:05+01:00',
        sessionExpiredAt: '2019-03-13T11:41:05Z',
        sessionSelf: true,
      });
      expect(e).toMatchObject({
        object: { id: 118, version: 0, globalId: '118@8367e587-f999-4e72-b69d-b5742eb4d5f4', schema: 'USER' },
        source: { eventId: 961, instance: 'https://assets.example.org' },
        pollable: false,
        userDisplayName: 'Root',
        sessionSelf: true,
      });
      // Session times are normalized like every time Tamga writes: UTC, six fractional digits.
      expect(e.sessionCreatedAt).toBe('2019-03-13T09:41:05.000000Z');
      expect(e.sessionExpiredAt).toBe('2019-03-13T11:41:05.000000Z');
    });

    it('leaves pollable out when the producer does not say (the catalogue decides)', () => {
      expect(validateEventInput({ event: 30401 })).not.toHaveProperty('pollable');
    });

    it.each([
      [{ event: 1, pollable: 'yes' }, 'pollable'],
      [{ event: 1, sessionSelf: 1 }, 'sessionSelf'],
      [{ event: 1, sessionCreatedAt: 'yesterday' }, 'sessionCreatedAt'],
      [{ event: 1, sessionExpiredAt: 5 }, 'sessionExpiredAt'],
      [{ event: 1, userDisplayName: 7 }, 'userDisplayName'],
      [{ event: 1, object: { id: -1 } }, 'object.id'],
      [{ event: 1, object: { version: 1.5 } }, 'object.version'],
      [{ event: 1, object: { globalId: {} } }, 'object.globalId'],
      [{ event: 1, object: { baseType: 3 } }, 'object.baseType'],
      [{ event: 1, source: { eventId: true } }, 'source.eventId'],
    ])('refuses %j naming %s', (raw, field) => {
      expect(problem(raw).details).toMatchObject({ field });
    });
  });
});
