import type { EventClass } from '../api/journal-record.js';

/** Sort order of the journal (the API's `order`). */
export type SortOrder = 'asc' | 'desc';

/**
 * The journal's filters. Every field has the name of its API query parameter, and the page URL uses
 * the same names, so a URL copied from the address bar is also a valid API query.
 */
export interface JournalFilter {
  /** RFC 3339, inclusive. */
  readonly from: string;
  /** RFC 3339, exclusive. */
  readonly to: string;
  readonly event: readonly number[];
  readonly classifiedEvent: readonly EventClass[];
  readonly operationKey: string;
  readonly userId: string;
  /** Tenant ids; `default` names the default tenant. */
  readonly tenantId: readonly string[];
  readonly ip: string;
  readonly q: string;
  readonly order: SortOrder;
  /** Values the view leaves out: the API's `not.<field>` parameters. */
  readonly not: JournalExclusions;
  /**
   * A rolling range ("Last 15 minutes"): `from`/`to` are that span before now, worked out again whenever the view is
   * opened, and moved with the clock while live. Null: the range is fixed. The page's own parameter (`range`), not
   * the API's.
   */
  readonly rolling: RollingPreset | null;
}

/** Tamga's own tenant (sign-ins, reads, exports of the journal): kept out of a new view unless asked for. */
export const SYSTEM_TENANT = 'tamga';

/** The fields whose values can be excluded; `not.<field>` in the API and the page URL. */
export const EXCLUSION_FIELDS = [
  'event',
  'classifiedEvent',
  'tenantId',
  'userId',
  'ip',
  'operationKey',
] as const;

/** A field whose values can be excluded. */
export type ExclusionField = (typeof EXCLUSION_FIELDS)[number];

/**
 * The negative filters (`not.event`, `not.userId`, …). A record is left out when its field equals any listed
 * value; a record whose field is null is kept. Every list empty: nothing is excluded.
 */
export interface JournalExclusions {
  readonly event: readonly number[];
  readonly classifiedEvent: readonly EventClass[];
  /** Tenant ids; `default` names the default tenant. */
  readonly tenantId: readonly string[];
  readonly userId: readonly string[];
  readonly ip: readonly string[];
  readonly operationKey: readonly string[];
}

/** One value of a record's field, which the view can be narrowed to ({@link showOnly}) or exclude. */
export type FilterValue =
  | { readonly field: 'event'; readonly value: number }
  | { readonly field: 'classifiedEvent'; readonly value: EventClass }
  | { readonly field: 'tenantId' | 'userId' | 'ip' | 'operationKey'; readonly value: string };

/** A change of the view's filter, computed from the filter it applies to (e.g. `(f) => showOnly(f, v)`). */
export type FilterUpdate = (filter: JournalFilter) => JournalFilter;

/** No exclusions. */
export const NO_EXCLUSIONS: JournalExclusions = Object.freeze({
  event: [],
  classifiedEvent: [],
  tenantId: [],
  userId: [],
  ip: [],
  operationKey: [],
});

/** What the page shows: the journal, one operation's timeline, or one record (a permalink). */
export type PageView =
  | { readonly kind: 'journal'; readonly filter: JournalFilter }
  | { readonly kind: 'operation'; readonly operationKey: string; readonly filter: JournalFilter }
  | { readonly kind: 'record'; readonly id: string; readonly filter: JournalFilter };

const HOUR_MS = 3_600_000;

/** The start of the viewer's current clock hour and the hour after it (seed 002's default range). */
export function currentHour(nowMs: number = Date.now()): { from: string; to: string } {
  const d = new Date(nowMs);
  d.setMinutes(0, 0, 0);
  return { from: toRfc3339(d.getTime()), to: toRfc3339(d.getTime() + HOUR_MS) };
}

/** Range presets of the date filter. */
export type RangePreset = '15m' | '1h' | 'today' | '24h' | '7d';

export const RANGE_PRESETS: readonly RangePreset[] = ['15m', '1h', 'today', '24h', '7d'];

/** Presets that roll with the clock: a span before now ("today" is a calendar day, fixed once chosen). */
export type RollingPreset = Exclude<RangePreset, 'today'>;

/** Whether `value` names a rolling preset. */
export function isRollingPreset(value: unknown): value is RollingPreset {
  return value === '15m' || value === '1h' || value === '24h' || value === '7d';
}

/** The absolute range of a preset at `nowMs`; `to` is just after now so the newest event is inside. */
export function presetRange(preset: RangePreset, nowMs: number = Date.now()): { from: string; to: string } {
  // Round "now" up to the next second: the range stays readable in the URL and includes this instant.
  const to = Math.floor(nowMs / 1000) * 1000 + 1000;
  switch (preset) {
    case '15m':
      return { from: toRfc3339(to - 15 * 60_000), to: toRfc3339(to) };
    case '1h':
      return { from: toRfc3339(to - HOUR_MS), to: toRfc3339(to) };
    case '24h':
      return { from: toRfc3339(to - 24 * HOUR_MS), to: toRfc3339(to) };
    case '7d':
      return { from: toRfc3339(to - 7 * 24 * HOUR_MS), to: toRfc3339(to) };
    case 'today': {
      const start = new Date(nowMs);
      start.setHours(0, 0, 0, 0);
      const end = new Date(start);
      end.setDate(end.getDate() + 1);
      return { from: toRfc3339(start.getTime()), to: toRfc3339(end.getTime()) };
    }
  }
}

/** RFC 3339 UTC, without fractions when there are none: `2026-03-01T10:00:00Z`. */
export function toRfc3339(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}

/** The plain filter: the current hour, newest first, nothing else. */
export function defaultFilter(nowMs: number = Date.now()): JournalFilter {
  return {
    ...currentHour(nowMs),
    event: [],
    classifiedEvent: [],
    operationKey: '',
    userId: '',
    tenantId: [],
    ip: '',
    q: '',
    order: 'desc',
    not: NO_EXCLUSIONS,
    rolling: null,
  };
}

/**
 * The filter of a new view (the page opened without a range, "Reset filters"): the current hour without Tamga's own
 * events, which stay apart from the journal of the system it serves unless asked for (as Keycloak keeps admin events
 * apart from user events).
 */
export function newViewFilter(nowMs: number = Date.now()): JournalFilter {
  return withSystemEvents(defaultFilter(nowMs), false);
}

/** Whether the view shows Tamga's own events (the system tenant is not excluded). */
export function showsSystemEvents(filter: JournalFilter): boolean {
  return !filter.not.tenantId.includes(SYSTEM_TENANT);
}

/** `filter` with Tamga's own events shown or left out (`not.tenantId=tamga`). */
export function withSystemEvents(filter: JournalFilter, shown: boolean): JournalFilter {
  const excluded = { field: 'tenantId', value: SYSTEM_TENANT } as const;
  if (shown) return removeExclusion(filter, excluded);
  return showsSystemEvents(filter) ? excludeValue(filter, excluded) : filter;
}

/** `filter` with its range set to `preset` at `nowMs`: rolling for a span before now, fixed for "today". */
export function withPreset(
  filter: JournalFilter,
  preset: RangePreset,
  nowMs: number = Date.now(),
): JournalFilter {
  return { ...filter, ...presetRange(preset, nowMs), rolling: isRollingPreset(preset) ? preset : null };
}

/** Values of a list parameter: `?event=1&event=2` and `?event=1,2` both give `['1','2']`. */
function listOf(params: URLSearchParams, name: string): string[] {
  return params
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

/** Values of a repeated text parameter, never split: a user id or an operation key may hold a comma. */
function repeatedOf(params: URLSearchParams, name: string): string[] {
  return params.getAll(name).filter((v) => v !== '');
}

function eventCodes(values: readonly string[]): number[] {
  return values.map(Number).filter((n) => Number.isSafeInteger(n) && n >= 0);
}

function eventClasses(values: readonly string[]): EventClass[] {
  return values.map(Number).filter((n): n is EventClass => n === 1 || n === 2 || n === 3 || n === 4);
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function parseExclusions(params: URLSearchParams): JournalExclusions {
  const not: JournalExclusions = {
    event: unique(eventCodes(listOf(params, 'not.event'))),
    classifiedEvent: unique(eventClasses(listOf(params, 'not.classifiedEvent'))),
    tenantId: unique(listOf(params, 'not.tenantId')),
    userId: unique(repeatedOf(params, 'not.userId')),
    ip: unique(repeatedOf(params, 'not.ip')),
    operationKey: unique(repeatedOf(params, 'not.operationKey')),
  };
  return hasExclusions(not) ? not : NO_EXCLUSIONS;
}

function isTime(value: string | null): value is string {
  return value !== null && value !== '' && !Number.isNaN(Date.parse(value));
}

/**
 * Reads the page view from a query string. A journal URL without `from`/`to` gets the current hour and leaves out
 * Tamga's own events (unless it names tenants); a rolling `range` (`15m`, `1h`, `24h`, `7d`) is worked out at
 * `nowMs`. `needsCanonical` tells the caller to write the filled-in view back (so a copied URL reproduces the view
 * later, when "the current hour" is another hour, and the address bar says which range a rolling view shows).
 */
export function parseView(
  search: string,
  nowMs: number = Date.now(),
): { view: PageView; needsCanonical: boolean } {
  const params = new URLSearchParams(search);
  const base = defaultFilter(nowMs);
  const from = params.get('from');
  const to = params.get('to');
  const hasRange = isTime(from) && isTime(to);
  const order = params.get('order');
  const range = params.get('range');
  const rolling = isRollingPreset(range) ? range : null;
  const moved = rolling === null ? null : presetRange(rolling, nowMs);
  let filter: JournalFilter = {
    from: moved?.from ?? (hasRange ? from : base.from),
    to: moved?.to ?? (hasRange ? to : base.to),
    event: eventCodes(listOf(params, 'event')),
    classifiedEvent: eventClasses(listOf(params, 'classifiedEvent')),
    operationKey: params.get('operationKey') ?? '',
    userId: params.get('userId') ?? '',
    tenantId: listOf(params, 'tenantId'),
    ip: params.get('ip') ?? '',
    q: params.get('q') ?? '',
    order: order === 'asc' ? 'asc' : 'desc',
    not: parseExclusions(params),
    rolling,
  };
  // A URL without a range opens a new view: without Tamga's own events, unless it names tenants itself.
  if (!hasRange && !params.has('tenantId') && !params.has('not.tenantId'))
    filter = withSystemEvents(filter, false);
  const id = params.get('id');
  if (id !== null && id !== '') return { view: { kind: 'record', id, filter }, needsCanonical: false };
  if (params.get('view') === 'operation' && filter.operationKey !== '') {
    // The URL's operationKey names the timeline; the journal it came from (and "back to the journal") had none.
    return {
      view: { kind: 'operation', operationKey: filter.operationKey, filter: { ...filter, operationKey: '' } },
      needsCanonical: false,
    };
  }
  // A rolling range writes the range it worked out into the URL, so the address bar says what is shown.
  const isMoved = moved !== null && (moved.from !== from || moved.to !== to);
  return { view: { kind: 'journal', filter }, needsCanonical: !hasRange || isMoved };
}

/** The filter as API query parameters (also the journal's URL query). */
export function filterParams(filter: JournalFilter, { withRange = true } = {}): URLSearchParams {
  const params = new URLSearchParams();
  if (withRange) {
    params.set('from', filter.from);
    params.set('to', filter.to);
  }
  for (const code of filter.event) params.append('event', String(code));
  for (const c of filter.classifiedEvent) params.append('classifiedEvent', String(c));
  if (filter.operationKey !== '') params.set('operationKey', filter.operationKey);
  if (filter.userId !== '') params.set('userId', filter.userId);
  for (const t of filter.tenantId) params.append('tenantId', t);
  if (filter.ip !== '') params.set('ip', filter.ip);
  // Every value its own parameter: the text fields are never comma-split, so one form suits all.
  for (const field of EXCLUSION_FIELDS) {
    for (const value of filter.not[field]) params.append(`not.${field}`, String(value));
  }
  if (filter.q !== '') params.set('q', filter.q);
  if (filter.order !== 'desc') params.set('order', filter.order);
  return params;
}

/** The query string of a page view, starting with `?`. */
export function viewSearch(view: PageView): string {
  if (view.kind === 'record') return `?id=${encodeURIComponent(view.id)}`;
  if (view.kind === 'operation') {
    const params = new URLSearchParams({ view: 'operation', operationKey: view.operationKey });
    // Keep the journal filter so "back to the journal" restores it.
    for (const [k, v] of filterParams({ ...view.filter, operationKey: '' })) params.append(k, v);
    return `?${params.toString()}`;
  }
  const params = filterParams(view.filter);
  if (view.filter.rolling !== null) params.set('range', view.filter.rolling);
  return `?${params.toString()}`;
}

/** True when the filter narrows anything besides the time range. */
export function hasNarrowing(filter: JournalFilter): boolean {
  return (
    hasExclusions(filter.not) ||
    filter.event.length > 0 ||
    filter.classifiedEvent.length > 0 ||
    filter.operationKey !== '' ||
    filter.userId !== '' ||
    filter.tenantId.length > 0 ||
    filter.ip !== '' ||
    filter.q !== ''
  );
}

/** True when at least one value is excluded. */
export function hasExclusions(not: JournalExclusions): boolean {
  return EXCLUSION_FIELDS.some((field) => not[field].length > 0);
}

/** The excluded values one by one, field by field in {@link EXCLUSION_FIELDS} order (for the filter bar). */
export function exclusionList(not: JournalExclusions): FilterValue[] {
  return EXCLUSION_FIELDS.flatMap((field) =>
    (not[field] as readonly (string | number)[]).map((value) => ({ field, value }) as FilterValue),
  );
}

/** `filter` without the exclusion of `excluded`. */
export function removeExclusion(filter: JournalFilter, excluded: FilterValue): JournalFilter {
  const list = filter.not[excluded.field] as readonly (string | number)[];
  if (!list.includes(excluded.value)) return filter;
  const not = { ...filter.not, [excluded.field]: list.filter((v) => v !== excluded.value) };
  return { ...filter, not: hasExclusions(not) ? not : NO_EXCLUSIONS };
}

/**
 * `filter` narrowed to records whose field has `shown` ("Show only ip = …"): the field's filter becomes that
 * one value, and the value is no longer excluded (showing only what is hidden would show nothing).
 */
export function showOnly(filter: JournalFilter, shown: FilterValue): JournalFilter {
  const f = removeExclusion(filter, shown);
  switch (shown.field) {
    case 'event':
      return { ...f, event: [shown.value] };
    case 'classifiedEvent':
      return { ...f, classifiedEvent: [shown.value] };
    case 'tenantId':
      return { ...f, tenantId: [shown.value] };
    default:
      return { ...f, [shown.field]: shown.value };
  }
}

/**
 * `filter` with `excluded` left out ("Exclude ip = …"). A positive filter on that value goes: a text filter
 * equal to it is cleared, and the value leaves a list filter (`event`, `classifiedEvent`, `tenantId`), since
 * the two together would show nothing.
 */
export function excludeValue(filter: JournalFilter, excluded: FilterValue): JournalFilter {
  const list = filter.not[excluded.field] as readonly (string | number)[];
  const f: JournalFilter = list.includes(excluded.value)
    ? filter
    : { ...filter, not: { ...filter.not, [excluded.field]: [...list, excluded.value] } };
  switch (excluded.field) {
    case 'event':
      return { ...f, event: f.event.filter((v) => v !== excluded.value) };
    case 'classifiedEvent':
      return { ...f, classifiedEvent: f.classifiedEvent.filter((v) => v !== excluded.value) };
    case 'tenantId':
      return { ...f, tenantId: f.tenantId.filter((v) => v !== excluded.value) };
    default:
      return f[excluded.field] === excluded.value ? { ...f, [excluded.field]: '' } : f;
  }
}

/**
 * `filter` showing the listed tenants (`default` names the default tenant). A tenant named here is no longer excluded:
 * showing only what is hidden would show nothing.
 */
export function withTenants(filter: JournalFilter, tenants: readonly string[]): JournalFilter {
  let next: JournalFilter = { ...filter, tenantId: tenants };
  for (const tenant of tenants) next = removeExclusion(next, { field: 'tenantId', value: tenant });
  return next;
}

/**
 * The tenant log an evidence bundle of the view covers (a bundle is one log's): the one tenant the filter names, else
 * the one log the view holds records of (`logsInView`, from the integrity check; null while unknown), else `default`.
 * `tenant` is null when the view spans several logs, which `several` names.
 */
export function viewedLog(
  filter: JournalFilter,
  logsInView: readonly string[] | null = null,
): { readonly tenant: string | null; readonly several: readonly string[] } {
  if (filter.tenantId.length === 1) return { tenant: filter.tenantId[0]!, several: [] };
  if (filter.tenantId.length > 1) return { tenant: null, several: filter.tenantId };
  if (logsInView !== null && logsInView.length > 1) return { tenant: null, several: logsInView };
  return { tenant: logsInView?.[0] ?? 'default', several: [] };
}
