import { expect } from 'vitest';
import type { TestServer } from './test-server.js';

/** Creates a forwarding destination with the administrator key; fails the test unless it is created. */
export async function createDestination(ts: TestServer, body: Record<string, unknown>): Promise<{ id: string } & Record<string, unknown>> {
  const r = await ts.request({ method: 'POST', url: '/api/v1/forwarding/destinations', payload: body });
  expect(r.statusCode, r.body).toBe(201);
  return r.json();
}

/** Appends events with the administrator key; returns their ids in order. */
export async function appendEvents(ts: TestServer, events: Record<string, unknown>[]): Promise<string[]> {
  const r = await ts.request({ method: 'POST', url: '/api/v1/events', payload: events });
  expect(r.statusCode, r.body).toBe(201);
  return r.json<{ items: { id: string }[] }>().items.map((i) => i.id);
}
