import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A STAND-IN for the asset server's Event API (seed 004), written for tests from its published documentation: the
 * real server is not installable here. It answers what `tamga pull-events` calls, as the documentation says the
 * original does:
 *
 * - `GET /api/v1/event/list?limit&offset&sort`: the short format only (no timestamp, info, ipv4_address, _session),
 *   limit default and max 1000, sort `_id`, `_id.ASC` or `_id.DESC`, plain offsets (no "id greater than" filter);
 * - `GET /api/v1/event/{id}`: the full format, 404 for an id it does not hold;
 * - `GET /api/v1/event/poll/{last_max_id}`: pollable events only, after the session's start;
 * - a session token as `?token=`, 401 without it;
 * - ids that increase with gaps; old events deleted (offsets then shift); a restore from a backup (ids go back and
 *   are given again to new events); errors and dropped connections on demand.
 */

interface CatalogEntry {
  readonly name: string;
  readonly pollable: boolean;
  readonly attributes?: readonly { readonly name: string; readonly type?: string; readonly value?: string }[];
}

const CATALOG = (JSON.parse(readFileSync(new URL('../../../../catalogs/asset-server.json', import.meta.url), 'utf8')) as { entries: CatalogEntry[] }).entries;
const OBJECT_ATTRIBUTES = new Set(['schema', 'objecttype', 'object_id', 'object_version', '_session', '_user', 'info']);

/** A stored event in the full format. */
export type StandInEvent = { event: Record<string, unknown>; _session?: Record<string, unknown>; _user?: Record<string, unknown> };

/** An event of the `n`-th catalogue type (cycling), with every attribute that type carries; `salt` varies content. */
export function standInEvent(n: number, id: number, salt = ''): StandInEvent {
  const entry = CATALOG[n % CATALOG.length]!;
  const names = new Set((entry.attributes ?? []).map((a) => a.name));
  const event: Record<string, unknown> = {
    _id: id,
    type: entry.name,
    timestamp: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString().replace(/\.\d+Z$/, '+00:00'),
    pollable: entry.pollable,
  };
  if (entry.name !== 'OBJECT_INDEX' && entry.name !== 'SERVER_START') event.ipv4_address = `10.${n % 200}.0.${n % 250}`;
  if (names.has('schema')) {
    event.schema = (entry.attributes!.find((a) => a.name === 'schema')!.value ?? (n % 2 === 0 ? 'user' : 'base')).toUpperCase();
    if (event.schema === 'USER') {
      event.objecttype = entry.attributes!.find((a) => a.name === 'objecttype')?.value ?? 'pictures';
      event.global_object_id = `${n}@8367e587-f999-4e72-b69d-b5742eb4d5f4`;
    } else event.basetype = entry.attributes!.find((a) => a.name === 'objecttype')?.value ?? 'asset';
    event.object_id = n;
  }
  if (names.has('object_version')) event.object_version = n % 5;
  const info: Record<string, unknown> = {};
  for (const a of entry.attributes ?? []) {
    if (OBJECT_ATTRIBUTES.has(a.name)) continue;
    const [head, sub] = a.name.split('.');
    const value = a.type === 'integer' ? n : a.type === 'array of strings' ? [`a${n}@example.org`, 'b@example.org'] : `${a.name} ${n}${salt}`;
    if (sub === undefined) info[head!] = value;
    else info[head!] = { ...(info[head!] as object), [sub]: value };
  }
  if (names.has('info')) info.query = { search: `term ${n}${salt}` };
  if (salt !== '' && Object.keys(info).length === 0) info.note = salt;
  if (Object.keys(info).length > 0) event.info = info;
  const out: StandInEvent = { event };
  if (names.has('_session')) out._session = { token: `session-${n % 7}`, created: '2026-01-01T00:00:00+00:00', expired: '2026-01-01T12:00:00+00:00' };
  if (names.has('_user')) out._user = { _basetype: 'user', user: { _id: n % 5, _generated_displayname: `User ${n % 5}` } };
  return out;
}

/** The short format of list and poll: seed 004's "Included in Poll" attributes. */
function shortOf(e: StandInEvent): Record<string, unknown> {
  const { timestamp: _t, ipv4_address: _i, pollable: _p, info: _info, ...event } = e.event;
  return e._user === undefined ? { event } : { event, _user: e._user };
}

/** The stand-in server; see the module comment. */
export class AssetServerStandIn {
  readonly token = 'stand-in-session-token';
  readonly #events = new Map<number, StandInEvent>();
  #ids: number[] = [];
  #nextId = 1;
  #made = 0;
  #server: Server | undefined;
  /** The next this many requests answer 503 (with Retry-After: 0). */
  failNext = 0;
  /** The next this many requests have their connection dropped without an answer. */
  dropNext = 0;
  /** Called before each list page is answered, with its offset (to delete events between pages). */
  beforeList: ((offset: number) => void) | undefined;
  /** Requests answered, by kind. */
  readonly served = { list: 0, event: 0, poll: 0, refused: 0 };

  /** Starts listening on a free loopback port; resolves with the base URL. */
  async start(): Promise<string> {
    this.#server = createServer((req, res) => this.#answer(req, res));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server === undefined ? resolve() : this.#server.close(() => resolve())));
  }

  /** Creates `count` events of every type in turn, with ids that grow with gaps; returns their ids. */
  add(count: number, salt = ''): number[] {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const id = this.#nextId;
      this.#nextId += this.#made % 3 === 0 ? 3 : 1; // gaps: a rolled-back insert never shows its id
      this.#events.set(id, standInEvent(this.#made++, id, salt));
      this.#ids.push(id);
      ids.push(id);
    }
    return ids;
  }

  /** Deletes the `count` oldest events, as the server's own clean-up does. */
  deleteOldest(count: number): void {
    for (const id of this.#ids.splice(0, count)) this.#events.delete(id);
  }

  /** Deletes one event by id. */
  delete(id: number): void {
    this.#events.delete(id);
    this.#ids = this.#ids.filter((i) => i !== id);
  }

  /** Restores a backup taken when `id` was the newest: later events vanish and their ids are given out again. */
  restoreTo(id: number): void {
    for (const i of this.#ids.filter((x) => x > id)) this.#events.delete(i);
    this.#ids = this.#ids.filter((x) => x <= id);
    this.#nextId = id + 1;
  }

  /** Every event held, oldest first. */
  all(): StandInEvent[] {
    return this.#ids.map((id) => this.#events.get(id)!);
  }

  #answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
    if (this.dropNext > 0) {
      this.dropNext--;
      req.socket.destroy();
      return;
    }
    if (this.failNext > 0) {
      this.failNext--;
      this.served.refused++;
      send(503, { code: 'error.server.maintenance', description: 'stand-in: unavailable on purpose' }, { 'retry-after': '0' });
      return;
    }
    if (url.searchParams.get('token') !== this.token) {
      this.served.refused++;
      send(401, { code: 'error.user.session.not_found', description: 'no session' });
      return;
    }
    const limitOf = (fallback: number): number => {
      const n = Number(url.searchParams.get('limit') ?? fallback);
      return n === 0 ? 1000 : Math.min(n, 1000);
    };
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && url.pathname === '/api/v1/event/list') {
      this.served.list++;
      const offset = Number(url.searchParams.get('offset') ?? 0);
      this.beforeList?.(offset);
      const sort = url.searchParams.get('sort') ?? '_id.DESC';
      const ids = sort === '_id.DESC' ? [...this.#ids].reverse() : this.#ids;
      send(200, ids.slice(offset, offset + limitOf(1000)).map((id) => shortOf(this.#events.get(id)!)));
    } else if (req.method === 'GET' && (m = /^\/api\/v1\/event\/poll\/(\d+)$/.exec(url.pathname)) !== null) {
      this.served.poll++;
      const after = Number(m[1]);
      const found = this.#ids.filter((id) => id > after && this.#events.get(id)!.event.pollable === true).slice(0, limitOf(25));
      send(200, found.map((id) => shortOf(this.#events.get(id)!)));
    } else if (req.method === 'GET' && (m = /^\/api\/v1\/event\/(\d+)$/.exec(url.pathname)) !== null) {
      this.served.event++;
      const event = this.#events.get(Number(m[1]));
      if (event === undefined) send(404, { code: 'error.api.event.not_found', description: `no event ${m[1]}` });
      else send(200, event);
    } else send(404, { code: 'error.api.not_found' });
  }
}
