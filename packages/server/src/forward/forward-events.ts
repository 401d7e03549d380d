import type { Destination } from './destination.js';
import { destinationSettingsJson } from './destination.js';
import type { NewDeadLetter } from './forward-store.js';

/** Catalogue codes of forwarding's own events (catalogs/tamga.json). */
export const FORWARD_EVENTS = Object.freeze({
  DestinationChanged: 32020,
  DeadLettered: 32021,
  DestinationDown: 32022,
  DestinationRecovered: 32023,
  Test: 32024,
});

/** Who caused an event: the principal's user id, and the request's IP and operation (session) key. */
export interface Actor {
  readonly userId: string;
  readonly ip?: string | null;
  readonly operationKey?: string | null;
}

/** The `userId` of events forwarding journals on its own (deliveries, alarms). */
export const FORWARDER_USER = 'tamga-forwarder';

/** Most dead-lettered record ids one event lists. */
const LISTED_RECORDS = 20;

function byActor(actor: Actor): Record<string, unknown> {
  return { userId: actor.userId, ...(actor.ip != null && { ip: actor.ip }), ...(actor.operationKey != null && { operationKey: actor.operationKey }) };
}

/** A destination as events name it: id, name and every setting except secrets (only whether they are set). */
export function destinationSummary(d: Destination): Record<string, unknown> {
  return { id: d.id, ...destinationSettingsJson(d), origin: d.origin };
}

/**
 * `ForwardingDestinationChanged` (32020): a destination was created, changed (`changed` names the settings, secrets
 * by name only) or deleted, by an administrator or by `TAMGA_FORWARD_FILE` at start.
 */
export function destinationChangedEvent(change: 'created' | 'updated' | 'deleted', d: Destination, changed: readonly string[], actor: Actor): Record<string, unknown> {
  const what = change === 'updated' ? `changed (${changed.join(', ')})` : change;
  return {
    event: FORWARD_EVENTS.DestinationChanged,
    ...byActor(actor),
    outcome: 'success',
    text: `Forwarding destination "${d.name}" ${what}`,
    entityData: JSON.parse(JSON.stringify({ change, destination: destinationSummary(d), ...(change === 'updated' && { changed }) })) as Record<string, unknown>,
  };
}

/** `ForwardingDeadLettered` (32021): records a destination refused for good in one delivery round. */
export function deadLetteredEvent(d: Destination, letters: readonly NewDeadLetter[]): Record<string, unknown> {
  const first = letters[0]!;
  return {
    event: FORWARD_EVENTS.DeadLettered,
    userId: FORWARDER_USER,
    outcome: 'failure',
    text: `Forwarding destination "${d.name}" refused ${letters.length} record(s) for good: ${first.reason}`.slice(0, 2000),
    entityData: {
      destination: { id: d.id, name: d.name, format: d.format, url: d.url },
      count: letters.length,
      records: letters.slice(0, LISTED_RECORDS).map((l) => ({ id: l.recordId, tenantId: l.tenantId, seq: l.seq, event: l.event })),
      reason: first.reason.slice(0, 1000),
    },
  };
}

/** `ForwardingDestinationDown` (32022): deliveries have failed since `since` (UTC ms), longer than the alarm threshold. */
export function destinationDownEvent(d: Destination, since: number, lastError: string): Record<string, unknown> {
  return {
    event: FORWARD_EVENTS.DestinationDown,
    userId: FORWARDER_USER,
    outcome: 'failure',
    text: `Forwarding destination "${d.name}" has not accepted deliveries since ${new Date(since).toISOString()}: ${lastError}`.slice(0, 2000),
    entityData: { destination: { id: d.id, name: d.name, format: d.format, url: d.url }, since: new Date(since).toISOString(), lastError: lastError.slice(0, 1000) },
  };
}

/** `ForwardingDestinationRecovered` (32023): a destination that was down accepts deliveries again. */
export function destinationRecoveredEvent(d: Destination, since: number, now: number): Record<string, unknown> {
  return {
    event: FORWARD_EVENTS.DestinationRecovered,
    userId: FORWARDER_USER,
    outcome: 'success',
    text: `Forwarding destination "${d.name}" accepts deliveries again after ${Math.round((now - since) / 1000)} s`,
    entityData: { destination: { id: d.id, name: d.name, format: d.format, url: d.url }, since: new Date(since).toISOString(), downSeconds: Math.round((now - since) / 1000) },
  };
}

/** `ForwardingTest` (32024): the event `POST …/test` journals and then sends. */
export function testEvent(d: Destination, actor: Actor): Record<string, unknown> {
  return {
    event: FORWARD_EVENTS.Test,
    ...byActor(actor),
    text: `Test event for forwarding destination "${d.name}"`,
    entityData: { destination: { id: d.id, name: d.name, format: d.format, url: d.url } },
  };
}
