import { batch, useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import type { EventClass } from '../api/journal-record.js';
import { t } from '../i18n/i18n.js';
import { formatShort, fromLocalInput, timeZoneLabel, toLocalInput } from '../format/format-time.js';
import { catalogByCode } from '../state/catalog.js';
import { api } from '../state/session.js';
import {
  currentHour,
  exclusionList,
  filterParams,
  hasNarrowing,
  newViewFilter,
  RANGE_PRESETS,
  removeExclusion,
  showsSystemEvents,
  SYSTEM_TENANT,
  toRfc3339,
  withPreset,
  withSystemEvents,
  withTenants,
} from '../state/journal-query.js';
import type { FilterValue, JournalFilter } from '../state/journal-query.js';
import { EventTypePicker } from './event-type-picker.js';
import { ChevronIcon, ClassIcon } from './icons.js';

const CLASSES: readonly EventClass[] = [1, 2, 3, 4];

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The applied range, short: `10 Mar, 13:00 – 10 Mar, 14:00`, or the rolling preset's name. */
function formatRange(f: JournalFilter): string {
  return f.rolling !== null ? t(`preset_${f.rolling}`) : `${formatShort(f.from)} – ${formatShort(f.to)}`;
}

/** How a chip shows an excluded value: events with their name, classes with theirs. */
function ExcludedValue({ excluded }: { readonly excluded: FilterValue }) {
  if (excluded.field === 'event') {
    const name = catalogByCode.value.get(excluded.value)?.name;
    return (
      <>
        {name !== undefined && `${name} `}
        <span class="code">{excluded.value}</span>
      </>
    );
  }
  if (excluded.field === 'classifiedEvent') {
    return (
      <>
        {t(`class_${excluded.value}`)} <span class="code">{excluded.value}</span>
      </>
    );
  }
  return <>{excluded.value}</>;
}

/**
 * The active exclusions as chips ("≠ userId: alice ×"), so a view narrowed by them says so. Removing one
 * applies at once and moves focus to the next chip's button (or the previous, or the results).
 */
function ExclusionChips(props: {
  readonly filter: JournalFilter;
  readonly onRemove: (excluded: FilterValue) => void;
}) {
  const list = useRef<HTMLUListElement>(null);
  const focusAt = useRef<number | null>(null);
  // Tamga's own events have their own switch; their exclusion is not a chip.
  const exclusions = exclusionList(props.filter.not).filter(
    (e) => !(e.field === 'tenantId' && e.value === SYSTEM_TENANT),
  );

  useEffect(() => {
    const at = focusAt.current;
    if (at === null) return;
    focusAt.current = null;
    const buttons = list.current?.querySelectorAll<HTMLButtonElement>('.chip-remove') ?? [];
    const next = buttons[Math.min(at, buttons.length - 1)] ?? document.getElementById('results');
    next?.focus({ preventScroll: true });
  });

  if (exclusions.length === 0) return null;
  return (
    <div class="exclusions">
      <span id="exclusions-label" class="exclusions-label">
        {t('exclusions')}
      </span>
      <ul class="chips" ref={list} aria-labelledby="exclusions-label">
        {exclusions.map((excluded, i) => {
          const name = t('removeExclusion', { field: excluded.field, value: JSON.stringify(excluded.value) });
          return (
            <li key={`${excluded.field}=${excluded.value}`} class="chip chip-exclusion">
              <span>
                <span aria-hidden="true">≠ </span>
                {excluded.field}: <ExcludedValue excluded={excluded} />
              </span>
              <button
                type="button"
                class="chip-remove"
                aria-label={name}
                title={name}
                onClick={() => {
                  focusAt.current = i;
                  props.onRemove(excluded);
                }}
              >
                ×
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

/**
 * The journal's filters (seed 002: event date, event type, operation key, user; plus class, tenant,
 * IP and free text). Text fields apply on Enter or "Apply"; presets, types and classes at once.
 * The fields are reset from the applied filter whenever it changes (URL, back/forward), without
 * remounting, so focus stays where it was.
 */
export function FilterBar(props: {
  readonly filter: JournalFilter;
  readonly onApply: (filter: JournalFilter) => void;
}) {
  const f = props.filter;
  const from = useSignal(toLocalInput(f.from));
  const to = useSignal(toLocalInput(f.to));
  const operationKey = useSignal(f.operationKey);
  const userId = useSignal(f.userId);
  const tenant = useSignal(f.tenantId.join(', '));
  const ip = useSignal(f.ip);
  const q = useSignal(f.q);
  const rangeError = useSignal<string | null>(null);
  // On a narrow screen the filters start folded, so the first rows are on the first screen.
  const isCollapsed = useSignal(matchMedia('(max-width: 720px)').matches);

  useEffect(() => {
    batch(() => {
      from.value = toLocalInput(f.from);
      to.value = toLocalInput(f.to);
      operationKey.value = f.operationKey;
      userId.value = f.userId;
      tenant.value = f.tenantId.join(', ');
      ip.value = f.ip;
      q.value = f.q;
      rangeError.value = null;
    });
  }, [filterParams(f).toString()]);

  /** The filter as edited so far, with `override` on top. */
  const draft = (override: Partial<JournalFilter> = {}): JournalFilter | null => {
    const fromMs = fromLocalInput(from.value);
    const toMs = fromLocalInput(to.value);
    if (override.from === undefined) {
      if (fromMs === undefined || toMs === undefined) {
        rangeError.value = t('rangeFormat');
        return null;
      }
      if (fromMs >= toMs) {
        rangeError.value = `${t('from')} < ${t('to')}`;
        return null;
      }
    }
    rangeError.value = null;
    // An untouched date field keeps the exact applied instant (and a rolling range keeps rolling).
    const isRangeKept = toLocalInput(f.from) === from.value && toLocalInput(f.to) === to.value;
    return {
      ...withTenants(f, splitList(tenant.value)),
      from: isRangeKept || fromMs === undefined ? f.from : toRfc3339(fromMs),
      to: isRangeKept || toMs === undefined ? f.to : toRfc3339(toMs),
      rolling: isRangeKept ? f.rolling : null,
      operationKey: operationKey.value.trim(),
      userId: userId.value.trim(),
      ip: ip.value.trim(),
      q: q.value.trim(),
      ...override,
    };
  };

  const apply = (override: Partial<JournalFilter> = {}): void => {
    const next = draft(override);
    if (next !== null) props.onApply(next);
  };

  const narrowed = exclusionList(f.not).filter(
    (e) => !(e.field === 'tenantId' && e.value === SYSTEM_TENANT),
  ).length;
  return (
    <form
      class={`filters card${isCollapsed.value ? ' is-collapsed' : ''}`}
      aria-label={t('filters')}
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
    >
      <button
        type="button"
        class="filters-toggle"
        aria-expanded={!isCollapsed.value}
        aria-controls="filter-body"
        onClick={() => (isCollapsed.value = !isCollapsed.value)}
      >
        <ChevronIcon />
        <span class="filters-toggle-title">{t('filters')}</span>
        <span class="filters-summary">
          {formatRange(f)}
          {(hasNarrowing(withSystemEvents(f, true)) || narrowed > 0) && ` · ${t('filtersActive')}`}
        </span>
      </button>
      <div id="filter-body" class="filter-body">
        <fieldset class="range">
          <legend>{t('eventDate')}</legend>
          <div class="presets">
            <button
              type="button"
              class="btn btn-small"
              onClick={() => apply({ ...currentHour(), rolling: null })}
            >
              {t('presetCurrentHour')}
            </button>
            {RANGE_PRESETS.map((p) => (
              <button
                type="button"
                class="btn btn-small"
                key={p}
                aria-pressed={f.rolling === p}
                onClick={() => {
                  const next = withPreset(f, p);
                  apply({ from: next.from, to: next.to, rolling: next.rolling });
                }}
              >
                {t(`preset_${p}`)}
              </button>
            ))}
          </div>
          <div class="range-inputs">
            <div class="field">
              <label for="range-from">{t('from')}</label>
              <input
                id="range-from"
                type="text"
                inputMode="numeric"
                autoComplete="off"
                spellcheck={false}
                placeholder="2026-03-10 13:00:00"
                value={from.value}
                onInput={(e) => (from.value = e.currentTarget.value)}
                aria-describedby="range-zone"
                aria-invalid={rangeError.value !== null}
              />
            </div>
            <div class="field">
              <label for="range-to">{t('to')}</label>
              <input
                id="range-to"
                type="text"
                inputMode="numeric"
                autoComplete="off"
                spellcheck={false}
                placeholder="2026-03-10 13:00:00"
                value={to.value}
                onInput={(e) => (to.value = e.currentTarget.value)}
                aria-describedby="range-zone"
                aria-invalid={rangeError.value !== null}
              />
            </div>
            <p id="range-zone" class="hint">
              {t('timeZone', { zone: timeZoneLabel(Date.parse(f.from)) })} · {t('rangeHint')}
              {rangeError.value !== null && (
                <span class="form-error" role="alert">
                  {' '}
                  {rangeError.value}
                </span>
              )}
            </p>
          </div>
        </fieldset>

        <div class="filter-grid">
          <EventTypePicker selected={f.event} onChange={(codes) => apply({ event: codes })} />
          <div class="field">
            <label for="f-operation">{t('operationKey')}</label>
            <input
              id="f-operation"
              value={operationKey.value}
              onInput={(e) => (operationKey.value = e.currentTarget.value)}
              spellcheck={false}
            />
          </div>
          <div class="field">
            <label for="f-user">{t('user')}</label>
            <input
              id="f-user"
              value={userId.value}
              placeholder={t('userPlaceholder')}
              onInput={(e) => (userId.value = e.currentTarget.value)}
              spellcheck={false}
              autoComplete="off"
              list="f-user-suggestions"
            />
            <UserSuggestions prefix={userId.value} />
          </div>
          <div class="field">
            <label for="f-tenant">{t('tenant')}</label>
            <input
              id="f-tenant"
              value={tenant.value}
              title={t('tenantPlaceholder')}
              onInput={(e) => (tenant.value = e.currentTarget.value)}
              spellcheck={false}
            />
          </div>
          <div class="field">
            <label for="f-ip">{t('ip')}</label>
            <input
              id="f-ip"
              value={ip.value}
              onInput={(e) => (ip.value = e.currentTarget.value)}
              spellcheck={false}
              inputMode="decimal"
            />
          </div>
          <div class="field">
            <label for="f-q">{t('freeText')}</label>
            <input
              id="f-q"
              type="search"
              value={q.value}
              placeholder={t('freeTextPlaceholder')}
              title={t('freeTextHint')}
              minLength={3}
              onInput={(e) => (q.value = e.currentTarget.value)}
            />
          </div>
        </div>

        <ExclusionChips
          filter={f}
          onRemove={(excluded) => apply({ not: removeExclusion(f, excluded).not })}
        />

        <div class="filter-foot">
          <div class="filter-foot-start">
            <fieldset class="classes">
              <legend>{t('eventClass')}</legend>
              {CLASSES.map((c) => (
                <label class={`class-toggle cls-${c}`} key={c}>
                  <input
                    type="checkbox"
                    checked={f.classifiedEvent.includes(c)}
                    onChange={(e) =>
                      apply({
                        classifiedEvent: e.currentTarget.checked
                          ? [...f.classifiedEvent, c].sort()
                          : f.classifiedEvent.filter((x) => x !== c),
                      })
                    }
                  />
                  <ClassIcon value={c} />
                  <span>{t(`class_${c}`)}</span>
                </label>
              ))}
            </fieldset>
            {f.tenantId.length === 0 && (
              <label class="system-toggle">
                <input
                  type="checkbox"
                  checked={showsSystemEvents(f)}
                  aria-describedby="system-hint"
                  onChange={(e) => props.onApply(withSystemEvents(f, e.currentTarget.checked))}
                />
                <span>{t('systemEvents')}</span>
                <span id="system-hint" class="visually-hidden">
                  {t('systemEventsHint')}
                </span>
              </label>
            )}
          </div>
          <div class="filter-actions">
            <button
              type="button"
              class="btn btn-ghost"
              onClick={() =>
                props.onApply({ ...newViewFilter(), from: f.from, to: f.to, rolling: f.rolling })
              }
            >
              {t('reset')}
            </button>
            <button type="submit" class="btn btn-primary">
              {t('apply')}
            </button>
          </div>
        </div>
      </div>
    </form>
  );
}

/** Wait after the last keystroke before asking for suggestions, ms. */
const SUGGEST_DELAY_MS = 150;

/**
 * The user field's suggestions: user names (userId, and the logins sign-ins name) starting with what was typed, in the
 * tenants the viewer may see, as the field's native list (keyboard and screen readers know it).
 */
function UserSuggestions(props: { readonly prefix: string }) {
  const names = useSignal<readonly string[]>([]);
  const prefix = props.prefix.trim();
  useEffect(() => {
    const client = api.value;
    if (client === null) return;
    const own = new AbortController();
    const timer = setTimeout(() => {
      client.suggestUsers(prefix, own.signal).then(
        (result) => (names.value = result.items.filter((name) => name !== prefix)),
        () => (names.value = []),
      );
    }, SUGGEST_DELAY_MS);
    return () => {
      clearTimeout(timer);
      own.abort();
    };
  }, [prefix]);
  return (
    <datalist id="f-user-suggestions" aria-label={t('userSuggestions')}>
      {names.value.map((name) => (
        <option key={name} value={name} />
      ))}
    </datalist>
  );
}
