import { memo } from 'preact/compat';
import { useMemo, useRef } from 'preact/hooks';
import type { JournalRecord } from '../api/journal-record.js';
import { integrityOf, largeTimeGapMs } from '../api/journal-record.js';
import { lang, t } from '../i18n/i18n.js';
import { formatDateTime, formatTimeGap } from '../format/format-time.js';
import { catalogByCode, localized } from '../state/catalog.js';
import type { FilterUpdate, JournalFilter, SortOrder } from '../state/journal-query.js';
import { ChevronIcon, ClassIcon, ClockIcon, SignatureIcon } from './icons.js';
import { RecordDetail, signatureText } from './record-detail.js';

const COLUMNS = 7;

/** Longest text kept in a cell; the whole value shows on hover and focus, and in the expanded record. */
const CELL_CHARS = 160;

/** Longest value the hover card shows; the expanded record shows all of it. */
const TIP_CHARS = 4000;

function clip(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars)}…` : text;
}

function entityText(value: JournalRecord['entityData']): string {
  if (value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The whole value of a long cell, for its hover card: entityData objects pretty-printed. */
function fullValue(record: JournalRecord, column: string): string {
  if (column === 'text') return record.text ?? '';
  const e = record.entityData;
  return e === null ? '' : typeof e === 'string' ? e : JSON.stringify(e, null, 2);
}

interface RowProps {
  readonly record: JournalRecord;
  readonly isExpanded: boolean;
  readonly filter: JournalFilter;
  readonly lang: string;
  readonly onToggle: (id: string) => void;
  readonly onFilter: (update: FilterUpdate) => void;
}

/** One record and, when expanded, its detail row. Memoized: "load more" renders only the new rows. */
const RecordRow = memo(function RecordRow({ record: r, isExpanded, filter, onToggle, onFilter }: RowProps) {
  const detailId = `detail-${r.id}`;
  const entity = entityText(r.entityData);
  // `.value`, not peek(): rows render before the catalogue answers, and take its description when it does.
  const description = localized(catalogByCode.value.get(r.event)?.description, lang.peek());
  const integrity = integrityOf(r);
  const gap = largeTimeGapMs(r);
  return (
    <>
      <tr
        class={`row cls-${r.classifiedEvent}${isExpanded ? ' is-expanded' : ''}${integrity === 'valid' ? '' : ` is-${integrity}`}`}
        data-id={r.id}
        data-seq={r.seq}
        data-tenant={r.tenantId ?? 'default'}
        data-integrity={integrity}
        onClick={(e) => {
          // Clicks on the toggle itself are handled by the button; selecting text should not toggle.
          if ((e.target as Element).closest('button, a') !== null) return;
          if ((getSelection()?.toString() ?? '') !== '') return;
          onToggle(r.id);
        }}
      >
        <td class="col-event" data-label={t('colEvent')}>
          <button
            type="button"
            class="row-toggle"
            aria-expanded={isExpanded}
            aria-controls={isExpanded ? detailId : undefined}
            title={description || undefined}
            onClick={() => onToggle(r.id)}
          >
            <ChevronIcon />
            <span class="cls">
              <ClassIcon value={r.classifiedEvent} />
              <span class="visually-hidden">{t(`class_${r.classifiedEvent}`)}: </span>
            </span>
            {integrity !== 'valid' && (
              // Every record that is not plainly valid says so in its row, not only when expanded.
              <span
                class={`row-sig sig-${integrity}`}
                role="img"
                aria-label={signatureText(integrity)}
                title={signatureText(integrity)}
                data-integrity={integrity}
              >
                <SignatureIcon ok={integrity === 'redacted'} />
              </span>
            )}
            <span class="event-name">{r.eventName}</span>
            <span class="code">{r.event}</span>
          </button>
        </td>
        <td class="col-ip mono" data-label={t('colIp')}>
          {r.ip ?? ''}
        </td>
        <td class="col-tenant" data-label={t('colTenant')}>
          {r.tenantId ?? ''}
        </td>
        <td class="col-time" data-label={t('colCreatedAt')}>
          <time dateTime={r.createdAt} title={r.createdAt}>
            {formatDateTime(r.createdAt)}
          </time>
          {gap !== null && (
            <span class="time-gap" role="img" aria-label={formatTimeGap(gap)} title={formatTimeGap(gap)}>
              <ClockIcon />
            </span>
          )}
        </td>
        <td class="col-user" data-label={t('colUser')}>
          {r.userId ?? ''}
        </td>
        <td class="col-text" data-label={t('colText')} data-col="text" tabIndex={r.text ? -1 : undefined}>
          {clip(r.text ?? '', CELL_CHARS)}
        </td>
        <td
          class="col-entity mono"
          data-label={t('colEntityData')}
          data-col="entity"
          tabIndex={entity ? -1 : undefined}
        >
          {clip(entity, CELL_CHARS)}
        </td>
      </tr>
      {isExpanded && (
        <tr class={`detail-row cls-${r.classifiedEvent}`} data-for={r.id}>
          <td colSpan={COLUMNS}>
            <RecordDetail record={r} filter={filter} onFilter={onFilter} id={detailId} />
          </td>
        </tr>
      )}
    </>
  );
});

/** The cells of a row that arrow keys move between: the row's toggle, then its text and entityData when not empty. */
function stopsOf(row: Element): HTMLElement[] {
  return [...row.querySelectorAll<HTMLElement>('.row-toggle, td[data-col][tabindex]')];
}

/**
 * The journal table, seed 002's columns in order: Event, IP, Tenant, Created at, User, Text, EntityData. The class shows
 * as colour and icon, a record that is not plainly valid (tampered, unknown key, erased payload) is marked in its row,
 * and every row expands to the full record. Tab reaches each row once; the arrow keys move to the row's long values
 * (their whole value shows on focus, as on hover) and between rows; Escape collapses the record.
 */
export function RecordTable(props: {
  readonly records: readonly JournalRecord[];
  readonly expanded: ReadonlySet<string>;
  readonly filter: JournalFilter;
  readonly onToggle: (id: string) => void;
  readonly onFilter: (update: FilterUpdate) => void;
  readonly onOrder: (order: SortOrder) => void;
}) {
  const order = props.filter.order;
  const l = lang.value;
  const tip = useRef<HTMLDivElement>(null);
  const byId = useMemo(() => new Map(props.records.map((r) => [r.id, r])), [props.records]);

  const showTip = (cell: HTMLElement): void => {
    const el = tip.current;
    const record = byId.get((cell.closest('tr.row') as HTMLElement | null)?.dataset.id ?? '');
    const column = cell.dataset.col;
    if (el === null || record === undefined || column === undefined) return;
    const value = fullValue(record, column);
    // Only a value the cell cuts short (by width or by length) needs the card.
    if (
      value === '' ||
      (cell.scrollWidth <= cell.clientWidth && value.length <= CELL_CHARS && !value.includes('\n'))
    )
      return;
    el.textContent = clip(value, TIP_CHARS);
    el.hidden = false;
    const box = cell.getBoundingClientRect();
    const width = Math.min(640, innerWidth - 16);
    el.style.width = `${width}px`;
    el.style.left = `${Math.max(8, Math.min(box.left, innerWidth - width - 8))}px`;
    const below = box.bottom + 4;
    el.style.top = `${below + el.offsetHeight > innerHeight ? Math.max(8, box.top - el.offsetHeight - 4) : below}px`;
    cell.setAttribute('aria-describedby', 'cell-tip');
  };
  const hideTip = (): boolean => {
    const el = tip.current;
    if (el === null || el.hidden) return false;
    el.hidden = true;
    document.querySelector('[aria-describedby="cell-tip"]')?.removeAttribute('aria-describedby');
    return true;
  };

  const onKeyDown = (e: KeyboardEvent): void => {
    const target = e.target as HTMLElement;
    if (e.key === 'Escape') {
      if (hideTip()) return;
      // Escape inside a record, or on its row, collapses it and puts focus back on its toggle.
      const row = target.closest('tr');
      const id = row?.classList.contains('detail-row') ? row.dataset.for : row?.dataset.id;
      if (id === undefined || !props.expanded.has(id)) return;
      e.preventDefault();
      props.onToggle(id);
      document.querySelector<HTMLElement>(`tr.row[data-id="${CSS.escape(id)}"] .row-toggle`)?.focus();
      return;
    }
    const row = target.closest('tr.row');
    if (row === null || !['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].includes(e.key)) return;
    const stops = stopsOf(row);
    const at = stops.indexOf(target);
    if (at < 0) return;
    let next: HTMLElement | undefined;
    if (e.key === 'ArrowRight') next = stops[at + 1];
    else if (e.key === 'ArrowLeft') next = stops[at - 1];
    else {
      let other = e.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling;
      while (other !== null && !other.classList.contains('row')) {
        other = e.key === 'ArrowDown' ? other.nextElementSibling : other.previousElementSibling;
      }
      if (other !== null) {
        const column = target.dataset.col;
        next = stopsOf(other).find((s) => s.dataset.col === column) ?? stopsOf(other)[0];
      }
    }
    if (next === undefined) return;
    e.preventDefault();
    hideTip();
    next.focus();
  };

  const cellOf = (e: Event): HTMLElement | null => (e.target as Element).closest<HTMLElement>('td[data-col]');

  return (
    <div class="table-wrap" onScroll={hideTip}>
      <table class="journal-table">
        <caption class="visually-hidden">
          {t('tableCaption', { order: order === 'desc' ? t('orderDesc') : t('orderAsc') })} {t('tableKeys')}
        </caption>
        <colgroup>
          <col class="c-event" />
          <col class="c-ip" />
          <col class="c-tenant" />
          <col class="c-time" />
          <col class="c-user" />
          <col class="c-text" />
          <col class="c-entity" />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">{t('colEvent')}</th>
            <th scope="col">{t('colIp')}</th>
            <th scope="col">{t('colTenant')}</th>
            <th scope="col" aria-sort={order === 'desc' ? 'descending' : 'ascending'}>
              <button
                type="button"
                class="sort-button"
                title={order === 'desc' ? t('sortOldest') : t('sortNewest')}
                onClick={() => props.onOrder(order === 'desc' ? 'asc' : 'desc')}
              >
                {t('colCreatedAt')}
                <span aria-hidden="true">{order === 'desc' ? ' ↓' : ' ↑'}</span>
              </button>
            </th>
            <th scope="col">{t('colUser')}</th>
            <th scope="col">{t('colText')}</th>
            <th scope="col">{t('colEntityData')}</th>
          </tr>
        </thead>
        <tbody
          onKeyDown={onKeyDown}
          onMouseOver={(e) => {
            const cell = cellOf(e);
            if (cell !== null) showTip(cell);
          }}
          onMouseOut={(e) => {
            if (cellOf(e) !== null) hideTip();
          }}
          onFocusIn={(e) => {
            const cell = cellOf(e);
            if (cell !== null) showTip(cell);
          }}
          onFocusOut={hideTip}
        >
          {props.records.map((r) => (
            <RecordRow
              key={r.id}
              record={r}
              isExpanded={props.expanded.has(r.id)}
              filter={props.filter}
              lang={l}
              onToggle={props.onToggle}
              onFilter={props.onFilter}
            />
          ))}
        </tbody>
      </table>
      <div id="cell-tip" class="cell-tip" role="tooltip" ref={tip} hidden />
    </div>
  );
}
