import { memo } from 'preact/compat';
import type { JournalRecord } from '../api/journal-record.js';
import { lang, t } from '../i18n/i18n.js';
import { formatDateTime } from '../format/format-time.js';
import { catalogByCode, localized } from '../state/catalog.js';
import type { FilterUpdate, JournalFilter, SortOrder } from '../state/journal-query.js';
import { ChevronIcon, ClassIcon } from './icons.js';
import { RecordDetail } from './record-detail.js';

const COLUMNS = 7;

/** Longest text kept in a cell; the full value is in the expanded record and the cell's title. */
const CELL_CHARS = 160;

function clip(text: string): string {
  return text.length > CELL_CHARS ? `${text.slice(0, CELL_CHARS)}…` : text;
}

function entityText(value: JournalRecord['entityData']): string {
  if (value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
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
  const description = localized(catalogByCode.peek().get(r.event)?.description, lang.peek());
  return (
    <>
      <tr
        class={`row cls-${r.classifiedEvent}${isExpanded ? ' is-expanded' : ''}`}
        data-id={r.id}
        onClick={(e) => {
          // Clicks on the toggle itself are handled by the button; selecting text should not toggle.
          if ((e.target as Element).closest('button, a') !== null) return;
          if ((getSelection()?.toString() ?? '') !== '') return;
          onToggle(r.id);
        }}
      >
        <td class="col-event">
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
            <span class="event-name">{r.eventName}</span>
            <span class="code">{r.event}</span>
          </button>
        </td>
        <td class="col-ip mono">{r.ip ?? ''}</td>
        <td class="col-tenant">{r.tenantId ?? ''}</td>
        <td class="col-time">
          <time dateTime={r.createdAt} title={r.createdAt}>
            {formatDateTime(r.createdAt)}
          </time>
        </td>
        <td class="col-user">{r.userId ?? ''}</td>
        <td class="col-text" title={r.text !== null && r.text.length > 40 ? r.text : undefined}>
          {clip(r.text ?? '')}
        </td>
        <td class="col-entity mono" title={entity.length > 40 ? clip(entity.slice(0, 1000)) : undefined}>
          {clip(entity)}
        </td>
      </tr>
      {isExpanded && (
        <tr class={`detail-row cls-${r.classifiedEvent}`}>
          <td colSpan={COLUMNS}>
            <RecordDetail record={r} filter={filter} onFilter={onFilter} id={detailId} />
          </td>
        </tr>
      )}
    </>
  );
});

/**
 * The journal table, seed 002's columns in order: Event, IP, Tenant, Created at, User, Text,
 * EntityData. The class shows as colour and icon; every row expands to the full record.
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
  return (
    <div class="table-wrap">
      <table class="journal-table">
        <caption class="visually-hidden">
          {t('tableCaption', { order: order === 'desc' ? t('orderDesc') : t('orderAsc') })}
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
        <tbody>
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
    </div>
  );
}
