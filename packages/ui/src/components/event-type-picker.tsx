import { useComputed, useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import type { CatalogItem } from '../api/journal-record.js';
import { lang, t } from '../i18n/i18n.js';
import { catalog, catalogByCode, localized } from '../state/catalog.js';
import { ClassIcon } from './icons.js';

interface Group {
  readonly key: string;
  readonly title: string;
  readonly items: readonly CatalogItem[];
}

/** Shown at most per search, so a broad search stays quick to render. */
const MAX_SHOWN = 400;

/**
 * Event-type filter: a disclosure button opening a searchable list of the catalogue, grouped by
 * domain, with a checkbox per code (several at once). Falls back to a code field without a catalogue.
 */
export function EventTypePicker(props: {
  readonly selected: readonly number[];
  readonly onChange: (codes: number[]) => void;
}) {
  const open = useSignal(false);
  const query = useSignal('');
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const search = useRef<HTMLInputElement>(null);
  const selected = new Set(props.selected);

  useEffect(() => {
    if (!open.value) return;
    search.current?.focus();
    const onPointer = (e: PointerEvent): void => {
      if (root.current !== null && !root.current.contains(e.target as Node)) open.value = false;
    };
    document.addEventListener('pointerdown', onPointer);
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [open.value]);

  const groups = useComputed<Group[]>(() => {
    const items = catalog.value;
    if (!Array.isArray(items)) return [];
    const q = query.value.trim().toLowerCase();
    const l = lang.value;
    const byDomain = new Map<string, { title: string; items: CatalogItem[] }>();
    let shown = 0;
    for (const item of items) {
      if (item.status === 'reserved') continue;
      if (q !== '') {
        const hay =
          `${item.code} ${item.name} ${localized(item.description, l)} ${localized(item.domainTitle, l)}`.toLowerCase();
        if (!hay.includes(q)) continue;
      }
      if (shown++ >= MAX_SHOWN) break;
      const key = `${item.catalog}/${item.domain}`;
      let group = byDomain.get(key);
      if (group === undefined) {
        group = { title: localized(item.domainTitle ?? item.domain, l) || item.domain, items: [] };
        byDomain.set(key, group);
      }
      group.items.push(item);
    }
    return [...byDomain].map(([key, g]) => ({ key, title: g.title, items: g.items }));
  });

  const toggle = (code: number, on: boolean): void => {
    const next = new Set(selected);
    if (on) next.add(code);
    else next.delete(code);
    props.onChange([...next].sort((a, b) => a - b));
  };

  if (catalog.value === 'unavailable') {
    return (
      <div class="field">
        <label for="event-codes">{t('eventCodes')}</label>
        <input
          id="event-codes"
          inputMode="numeric"
          defaultValue={props.selected.join(', ')}
          aria-describedby="event-codes-hint"
          onChange={(e) =>
            props.onChange(
              e.currentTarget.value
                .split(/[\s,]+/)
                .map(Number)
                .filter((n) => Number.isSafeInteger(n) && n > 0),
            )
          }
        />
        <p id="event-codes-hint" class="hint">
          {t('catalogUnavailable')}
        </p>
      </div>
    );
  }

  const close = (): void => {
    open.value = false;
    button.current?.focus();
  };

  return (
    <div
      class="field picker"
      ref={root}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open.value) {
          e.stopPropagation();
          close();
        }
      }}
    >
      <span class="label" id="event-type-label">
        {t('eventType')}
      </span>
      <button
        ref={button}
        type="button"
        class="picker-button"
        aria-expanded={open.value}
        aria-controls="event-type-panel"
        aria-labelledby="event-type-label event-type-value"
        onClick={() => (open.value = !open.value)}
      >
        <span id="event-type-value">
          {props.selected.length === 0
            ? t('eventTypeAll')
            : t('eventTypeCount', { n: props.selected.length })}
        </span>
        <span aria-hidden="true" class="picker-caret">
          ▾
        </span>
      </button>
      {props.selected.length > 0 && (
        <ul class="chips" aria-label={t('eventType')}>
          {props.selected.map((code) => {
            const item = catalogByCode.value.get(code);
            return (
              <li key={code} class="chip">
                <span>
                  {item?.name ?? code} <span class="code">{code}</span>
                </span>
                <button
                  type="button"
                  class="chip-remove"
                  aria-label={`× ${item?.name ?? code}`}
                  onClick={() => toggle(code, false)}
                >
                  ×
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {open.value && (
        <div id="event-type-panel" class="picker-panel" role="group" aria-labelledby="event-type-label">
          <div class="picker-search">
            <input
              ref={search}
              type="search"
              aria-label={t('eventTypeSearch')}
              placeholder={t('eventTypeSearch')}
              value={query.value}
              onInput={(e) => (query.value = e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') e.preventDefault();
              }}
            />
          </div>
          <div class="picker-list">
            {catalog.value === null && <p class="muted pad">{t('loading')}</p>}
            {Array.isArray(catalog.value) && groups.value.length === 0 && (
              <p class="muted pad">{t('eventTypeNone')}</p>
            )}
            {groups.value.map((g) => (
              <fieldset key={g.key} class="picker-group">
                <legend>{g.title}</legend>
                {g.items.map((item) => (
                  <label
                    key={item.code}
                    class="picker-option"
                    title={localized(item.description, lang.value)}
                  >
                    <input
                      type="checkbox"
                      checked={selected.has(item.code)}
                      onChange={(e) => toggle(item.code, e.currentTarget.checked)}
                    />
                    <span class={`cls cls-${item.classifiedEvent}`}>
                      <ClassIcon value={item.classifiedEvent} />
                    </span>
                    <span class="picker-name">{item.name}</span>
                    <span class="code">{item.code}</span>
                  </label>
                ))}
              </fieldset>
            ))}
          </div>
          <div class="picker-foot">
            <button
              type="button"
              class="btn btn-ghost"
              onClick={() => props.onChange([])}
              disabled={props.selected.length === 0}
            >
              {t('eventTypeClear')}
            </button>
            <button type="button" class="btn" onClick={close}>
              {t('eventTypeDone')}
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
