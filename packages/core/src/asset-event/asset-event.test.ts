import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { validateEventInput } from '../record/event-input.js';
import { assetAttributeOf, formatAssetEvent, parseAssetEvent } from './asset-event.js';
import type { AssetEventRecord } from './asset-event.js';

/** Seed 004's attributes, every one given: an OBJECT_UPDATE of a user-schema object in a session. */
const FULL = {
  event: {
    type: 'OBJECT_UPDATE',
    timestamp: '2019-03-13T09:41:05.000000Z',
    ipv4_address: '10.1.2.3',
    pollable: true,
    session_self: false,
    schema: 'USER',
    objecttype: 'pictures',
    object_id: 118,
    global_object_id: '118@8367e587-f999-4e72-b69d-b5742eb4d5f4',
    object_version: 3,
    info: { batch_id: 77, export: { _id: 5, _version: 2 } },
  },
  _session: { token: 'ac554a02-3ef0-42da-8ffb-603d73de95f9', created: '2019-03-13T09:00:00.000000Z', expired: '2019-03-13T10:00:00.000000Z' },
  _user: { _basetype: 'user', user: { _id: 1, _generated_displayname: 'Root' } },
};

/** The record Tamga would store for `input` (validated as the journal does), at `seq`. */
function recordOf(input: Record<string, unknown>, seq: number): AssetEventRecord {
  const e = validateEventInput(input);
  const { id: _i, event: _e, eventName, entityData, userId, createdAt, text: _t, ip, tenantId, operationKey: _o, classifiedEvent: _c, ...extra } = e;
  return {
    id: '0193a000-0000-7000-8000-000000000001',
    seq,
    event: 30401,
    eventName: eventName!,
    entityData,
    userId,
    createdAt: createdAt!,
    ip,
    tenantId,
    extra,
    signature: 'ab'.repeat(32),
    sigKid: 'hmac-1',
    integrity: 'valid',
  };
}

describe('parseAssetEvent and formatAssetEvent', () => {
  it('round-trips every attribute of seed 004 through the Tamga record', () => {
    const input = parseAssetEvent(FULL);
    const out = formatAssetEvent(recordOf(input, 41), { format: 'full', pollableByCatalogue: false });
    const { _tamga, ...rest } = out;
    expect(rest).toEqual({ ...FULL, event: { _id: 42, ...FULL.event } });
    expect(_tamga).toMatchObject({ seq: 41, validSignature: true, receipt: '/api/v1/events/0193a000-0000-7000-8000-000000000001/receipt' });
  });

  it('takes the bare event object with _session and _user beside its attributes', () => {
    const { event, ...rest } = FULL;
    expect(parseAssetEvent({ ...event, ...rest })).toEqual(parseAssetEvent(FULL));
  });

  it('writes the short format of poll: no timestamp, ip, pollable, info or session', () => {
    const out = formatAssetEvent(recordOf(parseAssetEvent(FULL), 0), { format: 'short', pollableByCatalogue: false });
    expect(out.event).toEqual({ _id: 1, type: 'OBJECT_UPDATE', session_self: false, schema: 'USER', objecttype: 'pictures', object_id: 118, global_object_id: FULL.event.global_object_id, object_version: 3 });
    expect(out).not.toHaveProperty('_session');
    expect(out._user).toEqual(FULL._user);
  });

  it('leaves out what an event does not have, and takes pollable from the catalogue for a record without it', () => {
    const out = formatAssetEvent(recordOf({ eventName: 'SERVER_START', createdAt: '2020-01-01T00:00:00Z' }, 4), { format: 'full', pollableByCatalogue: true });
    expect(out.event).toEqual({ _id: 5, type: 'SERVER_START', timestamp: '2020-01-01T00:00:00.000000Z', pollable: true });
    expect(Object.keys(out)).toEqual(['event', '_tamga']);
  });

  it('keeps the source _id of a copied event, and refuses one in a posted event', () => {
    const copied = parseAssetEvent({ event: { _id: 961, type: 'LOGIN_FAILED' } }, { source: { system: 'asset-server', instance: 'https://a.example' } });
    expect(copied.source).toEqual({ system: 'asset-server', instance: 'https://a.example', eventId: 961 });
    expect(() => parseAssetEvent({ event: { _id: 961, type: 'LOGIN_FAILED' } })).toThrow(ValidationError);
  });

  it.each([
    [null, 'body'],
    [{ event: { type: 5 } }, 'event.type'],
    [{ event: {} }, 'event.type'],
    [{ event: { type: 'X', colour: 'red' } }, 'event.colour'],
    [{ type: 'X', colour: 'red' }, 'event.colour'],
    [{ event: { type: 'X' }, extra: 1 }, 'extra'],
    [{ event: { type: 'X', object_id: true } }, 'event.object_id'],
    [{ event: { type: 'X', pollable: 'yes' } }, 'event.pollable'],
    [{ event: { type: 'X', info: 5 } }, 'event.info'],
    [{ event: { type: 'X' }, _session: { token: 1 } }, '_session.token'],
    [{ event: { type: 'X' }, _session: { id: 'x' } }, '_session.id'],
    [{ event: { type: 'X' }, _user: { _basetype: 'group' } }, '_user._basetype'],
    [{ event: { type: 'X' }, _user: { user: { login: 'x' } } }, '_user.user.login'],
    [{ event: { type: 'X' }, _user: 'root' }, '_user'],
  ])('refuses %j naming %s', (raw, field) => {
    try {
      parseAssetEvent(raw);
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).details.field).toBe(field);
    }
  });

  it('names the Event API attribute a record field came from', () => {
    expect(assetAttributeOf('ip')).toBe('event.ipv4_address');
    expect(assetAttributeOf('object.id')).toBe('event.object_id');
    expect(assetAttributeOf('userId')).toBe('_user.user._id');
  });
});
