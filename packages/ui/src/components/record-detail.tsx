import { useSignal } from '@preact/signals';
import type { Integrity, JournalRecord } from '../api/journal-record.js';
import { integrityOf, largeTimeGapMs, SEED_FIELDS } from '../api/journal-record.js';
import { t } from '../i18n/i18n.js';
import { formatDateTime, formatTimeGap } from '../format/format-time.js';
import { excludeValue, showOnly } from '../state/journal-query.js';
import type { FilterUpdate, FilterValue, JournalFilter } from '../state/journal-query.js';
import { AppLink } from './app-link.js';
import { CopyIcon, LinkIcon, SignatureIcon, TimelineIcon } from './icons.js';

/** Fields whose value can be shown alone or excluded, and the filter value a record's value makes. */
const FILTERS: Partial<Record<string, (value: unknown) => FilterValue | null>> = {
  event: (v) => (typeof v === 'number' ? { field: 'event', value: v } : null),
  userId: (v) => (typeof v === 'string' ? { field: 'userId', value: v } : null),
  ip: (v) => (typeof v === 'string' ? { field: 'ip', value: v } : null),
  // A null tenant is the default tenant, which the filters name `default`.
  tenantId: (v) => ({ field: 'tenantId', value: typeof v === 'string' ? v : 'default' }),
  operationKey: (v) => (typeof v === 'string' ? { field: 'operationKey', value: v } : null),
  classifiedEvent: (v) =>
    v === 1 || v === 2 || v === 3 || v === 4 ? { field: 'classifiedEvent', value: v } : null,
  eventName: () => null,
};

const TAMGA_FIELDS = ['seq', 'sigKid', 'integrity', 'severity', 'outcome'] as const;

/** What the signature check of a record says: valid, invalid (tampered), unknown key, or payload erased. */
export function signatureText(integrity: Integrity): string {
  return integrity === 'valid'
    ? t('sig_valid')
    : integrity === 'redacted'
      ? t('sig_redacted')
      : integrity === 'unknown-key'
        ? t('sig_unknown_key')
        : t('sig_tampered');
}

/** The signature badge from `integrity`: valid, invalid (tampered), unknown key, or redacted. */
export function SignatureBadge({ record }: { readonly record: JournalRecord }) {
  const integrity = integrityOf(record);
  return (
    <span class={`badge sig-${integrity}`} data-integrity={integrity}>
      <SignatureIcon ok={integrity === 'valid' || integrity === 'redacted'} />
      {signatureText(integrity)}
    </span>
  );
}

/** A value long enough to get the whole width of the record and more height: a stack trace, a large entityData. */
const LARGE_VALUE_CHARS = 300;

/** Whether a field's value is shown as lines in a block (objects, multi-line or long text). */
function isBlockValue(value: unknown): boolean {
  if (typeof value === 'object' && value !== null) return true;
  return typeof value === 'string' && (value.includes('\n') || value.length > LARGE_VALUE_CHARS);
}

/** Whether a field's value takes the whole width of the record. */
function isLargeValue(value: unknown): boolean {
  if (typeof value === 'object' && value !== null)
    return JSON.stringify(value).length > LARGE_VALUE_CHARS / 3;
  return isBlockValue(value);
}

/** A value as seed 002 prints it: JSON literals (`"text"`, `null`, `2001`, `true`). */
function literal(value: unknown): string {
  if (value === undefined) return 'null';
  return typeof value === 'object' && value !== null ? JSON.stringify(value, null, 2) : JSON.stringify(value);
}

function FieldValue(props: {
  readonly name: string;
  readonly value: unknown;
  readonly filter: JournalFilter;
  readonly onFilter: ((update: FilterUpdate) => void) | undefined;
  /** A remark under the value (a large time gap). */
  readonly note?: string | undefined;
}) {
  const { name, value, onFilter } = props;
  const text = literal(value);
  const filterValue = onFilter !== undefined ? FILTERS[name]?.(value) : null;
  const isTime = name === 'createdAt' || name === 'apiCreatedAt';
  // Text with line breaks (a stack trace) is shown as its lines, not as a JSON string with \n escapes.
  const content =
    typeof value === 'object' && value !== null ? (
      // Focusable: a block that scrolls must be reachable by keyboard (WCAG 2.1.1).
      <pre class="value value-json" tabIndex={0}>
        {text}
      </pre>
    ) : typeof value === 'string' && isBlockValue(value) ? (
      <pre class={`value value-json ${value.includes('\n') ? 'value-lines' : 'value-long'}`} tabIndex={0}>
        {value}
      </pre>
    ) : (
      <code class={`value${value === null ? ' value-null' : ''}`}>{text}</code>
    );
  return (
    <dd>
      {filterValue !== null && filterValue !== undefined && onFilter !== undefined ? (
        <>
          <button
            type="button"
            class="value-filter"
            title={t('filterBy', { field: name, value: text })}
            aria-label={t('filterBy', { field: name, value: text })}
            onClick={() => onFilter((f) => showOnly(f, filterValue))}
          >
            {content}
          </button>
          <button
            type="button"
            class="value-exclude"
            title={t('excludeValue', { field: name, value: text })}
            aria-label={t('excludeValue', { field: name, value: text })}
            onClick={() => onFilter((f) => excludeValue(f, filterValue))}
          >
            <span aria-hidden="true">≠</span>
          </button>
        </>
      ) : (
        content
      )}
      {isTime && typeof value === 'string' && <span class="value-local">{formatDateTime(value)}</span>}
      {props.note !== undefined && <span class="value-note">{props.note}</span>}
    </dd>
  );
}

/**
 * The full record, as seed 002 lists it (id … index, in seed order), then the fields Tamga adds;
 * with the signature badge, a copy-as-JSON button, a permalink and the operation link.
 */
export function RecordDetail(props: {
  readonly record: JournalRecord;
  readonly filter: JournalFilter;
  /** Offers "Show only" and "Exclude" on the values that can filter, and applies the change. */
  readonly onFilter?: (update: FilterUpdate) => void;
  readonly id?: string;
  /** Offer "Open operation" (not inside that operation's own timeline). Default true. */
  readonly showOperationLink?: boolean;
}) {
  const { record } = props;
  const gap = largeTimeGapMs(record);
  const copyState = useSignal<'idle' | 'copied' | 'failed'>('idle');
  const extras = Object.keys(record).filter(
    (k) =>
      !(SEED_FIELDS as readonly string[]).includes(k) && !(TAMGA_FIELDS as readonly string[]).includes(k),
  );

  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(JSON.stringify(record, null, 2));
      copyState.value = 'copied';
    } catch {
      copyState.value = 'failed';
    }
    setTimeout(() => (copyState.value = 'idle'), 2500);
  };

  return (
    <section
      class="record-detail"
      id={props.id}
      aria-label={t('recordDetails', { id: record.id })}
      data-record-id={record.id}
    >
      <div class="detail-head">
        <SignatureBadge record={record} />
        <div class="detail-actions">
          <button type="button" class="btn btn-small" onClick={() => void copy()}>
            <CopyIcon /> {t('copyJson')}
          </button>
          <span class="copy-status" role="status">
            {copyState.value === 'copied' ? t('copied') : copyState.value === 'failed' ? t('copyFailed') : ''}
          </span>
          <AppLink class="btn btn-small" view={{ kind: 'record', id: record.id, filter: props.filter }}>
            <LinkIcon /> {t('permalink')}
          </AppLink>
          {props.showOperationLink !== false &&
            record.operationKey !== null &&
            record.operationKey !== '' && (
              <AppLink
                class="btn btn-small"
                view={{ kind: 'operation', operationKey: record.operationKey, filter: props.filter }}
              >
                <TimelineIcon /> {t('openOperation')}
              </AppLink>
            )}
        </div>
      </div>
      <dl class="fields">
        {SEED_FIELDS.map((name) => (
          <div
            class={`field-row${isLargeValue(record[name]) ? ' is-large' : ''}`}
            key={name}
            data-field={name}
          >
            <dt>{name}</dt>
            <FieldValue
              name={name}
              value={record[name]}
              filter={props.filter}
              onFilter={props.onFilter}
              note={
                name === 'apiCreatedAt' && gap !== null
                  ? `${formatTimeGap(gap)}. ${t('timeGapWhy')}`
                  : undefined
              }
            />
          </div>
        ))}
      </dl>
      <h3 class="fields-title">{t('tamgaFields')}</h3>
      <dl class="fields">
        {[...TAMGA_FIELDS, ...extras].map((name) =>
          record[name] === undefined ? null : (
            <div class="field-row" key={name} data-field={name}>
              <dt>{name}</dt>
              <FieldValue name={name} value={record[name]} filter={props.filter} onFilter={props.onFilter} />
            </div>
          ),
        )}
      </dl>
    </section>
  );
}
