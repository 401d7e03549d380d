import { ValidationError } from '../errors.js';

/**
 * Tenant ids (docs/decisions/0016-tenant-ids.md). A tenant id is 1 to 64 lower-case ASCII letters, digits, `.`,
 * `_` and `-`, starting and ending with a letter or digit: `acme`, `eu-west.billing`, `t42`. Lower case only and no
 * trailing punctuation, so no two ids differ only by case or a trailing dot (`TAMGA`, `tamga.` next to `tamga`);
 * ASCII only, so no Cyrillic `а` passes for a Latin `a`. Ids appear in URLs (`/api/v1/logs/{tenant}`), log origins
 * (`tamga/acme`) and file names (`TAMGA_CATALOG_DIR/acme.yaml`), which the alphabet keeps safe.
 */
export const TENANT_ID_RE = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;

/** Longest tenant id, in characters. */
export const MAX_TENANT_ID_LENGTH = 64;

/**
 * What tenant ids looked like before the rule above (mixed case, trailing punctuation, up to 128 characters).
 * Ids of this form stored earlier stay readable ({@link TenantIds}); nothing new is stored under them.
 */
export const LEGACY_TENANT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** How URLs and filters name the default tenant (whose `tenantId` is null); no tenant may take this id. */
export const DEFAULT_TENANT_NAME = 'default';

/**
 * Tenant whose log holds Tamga's own events (sign-ins, user and key changes, exports, rotations).
 * Producers may not write to it; administrators and auditors read it like any tenant.
 */
export const SYSTEM_TENANT_ID = 'tamga';

/**
 * Ids no tenant may have: `default` (names the default tenant) and `tamga` (the system tenant) have a meaning of
 * their own; `null`, `none` and `all` read like filter words, and a tenant so named would be mistaken for none or
 * every tenant.
 */
export const RESERVED_TENANT_IDS: readonly string[] = Object.freeze([DEFAULT_TENANT_NAME, SYSTEM_TENANT_ID, 'null', 'none', 'all']);

const MEANINGLESS = new Set(RESERVED_TENANT_IDS.filter((id) => id !== DEFAULT_TENANT_NAME && id !== SYSTEM_TENANT_ID));

const RULE = 'a tenant id is 1 to 64 lower-case letters, digits, ".", "_" or "-", starting and ending with a letter or digit';

/**
 * The key under which two ids look alike: lower case, without trailing `.`, `_` or `-`. `TAMGA`, `Tamga.` and
 * `tamga` share the key `tamga`.
 */
export function tenantIdLookalikeKey(id: string): string {
  return id.toLowerCase().replace(/[._-]+$/, '');
}

/** Whether `id` follows the tenant-id rule (reserved ids such as `tamga` included: they have their own checks). */
export function isTenantId(id: string): boolean {
  return TENANT_ID_RE.test(id) && !MEANINGLESS.has(id);
}

/**
 * Applies the tenant-id rule to ids callers send, knowing the ids stored before the rule existed.
 *
 * - {@link TenantIds.checkNew}: an id something new is stored under (an event's `tenantId`, a tenant catalogue, a
 *   tenant's settings) must follow the rule. An id stored before the rule that breaks it is refused too: its data
 *   stays readable and verifiable, but it takes nothing new (send new events under the lower-case id).
 * - {@link TenantIds.checkName}: an id that names existing data (query filters, `{tenant}` path parameters, the
 *   tenants of users and API keys) must follow the rule or be one of those stored ids, so they can still be read.
 *
 * Either throws `VALIDATION_FAILED` naming the field, saying which id the caller probably meant
 * (`"TAMGA" looks like the reserved tenant id "tamga"`, `did you mean "acme"?`).
 */
export class TenantIds {
  /** No tenant stored under an id that breaks the rule (a journal created with the rule). */
  static readonly NONE = new TenantIds([]);
  readonly #legacy: ReadonlySet<string>;

  /** @param stored - every tenant id stored anywhere; those that break the rule are kept (readable only). */
  constructor(stored: Iterable<string | null>) {
    const legacy = new Set<string>();
    for (const id of stored) if (id !== null && !isTenantId(id) && id !== DEFAULT_TENANT_NAME) legacy.add(id);
    this.#legacy = legacy;
  }

  /** The stored ids that break the rule, sorted: readable and verifiable, closed to new data. */
  get legacy(): readonly string[] {
    return [...this.#legacy].sort();
  }

  /** Checks an id new data is stored under. `default` is refused: the default tenant is `null`. */
  checkNew(id: string, field: string, index?: number): void {
    if (isTenantId(id) && id !== DEFAULT_TENANT_NAME) return;
    if (this.#legacy.has(id)) {
      const key = tenantIdLookalikeKey(id);
      const instead = isTenantId(key) && !RESERVED_TENANT_IDS.includes(key) ? `; store new data under "${key}"` : '';
      fail(field, index, `"${id}" was stored before tenant ids were restricted (${RULE}): it stays readable and verifiable but takes nothing new${instead}`);
    }
    fail(field, index, this.#problem(id));
  }

  /** Checks an id that names existing data: the rule, or an id stored before the rule. */
  checkName(id: string, field: string, index?: number): void {
    if ((isTenantId(id) && id !== DEFAULT_TENANT_NAME) || this.#legacy.has(id)) return;
    fail(field, index, this.#problem(id));
  }

  #problem(id: string): string {
    const shown = id.length > MAX_TENANT_ID_LENGTH * 2 ? `${id.slice(0, MAX_TENANT_ID_LENGTH * 2)}…` : id;
    if (id === DEFAULT_TENANT_NAME) return `"${DEFAULT_TENANT_NAME}" names the default tenant: send null or omit the tenant`;
    if (MEANINGLESS.has(id)) return `"${id}" is reserved and names no tenant`;
    const key = tenantIdLookalikeKey(id);
    if (RESERVED_TENANT_IDS.includes(key)) return `"${shown}" is not a tenant id: it looks like the reserved tenant id "${key}"; ${RULE}`;
    const stored = [...this.#legacy].find((l) => tenantIdLookalikeKey(l) === key);
    if (stored !== undefined) return `"${shown}" is not a tenant id: it looks like the stored tenant "${stored}"; ${RULE}`;
    return `"${shown}" is not a tenant id: ${RULE}${isTenantId(key) ? `; did you mean "${key}"?` : ''}`;
  }
}

function fail(field: string, index: number | undefined, message: string): never {
  const path = index === undefined ? field : `[${index}].${field}`;
  throw new ValidationError('VALIDATION_FAILED', `${path}: ${message}`, index === undefined ? { field } : { field, index });
}
