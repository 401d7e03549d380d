import type { SubjectRule } from './subject-rule.js';
/**
 * Types of the event catalogue (design brief §3): which numeric codes exist, their names, default class and
 * severity, and their mappings. Catalogues are data (`catalogs/*.json`, tenant JSON or YAML files); these types
 * describe them after {@link parseCatalogText} has validated them.
 */

import type { EventClass } from '../record/event-input.js';

/**
 * General type of an event, as in seed 002: 1 information, 2 error, 3 security incident, 4 correction.
 * Re-exported from the record model so that the package index exports one `EventClass`.
 */
export type { EventClass };

/** OCSF `severity_id`: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical, 6 Fatal. */
export type Severity = 1 | 2 | 3 | 4 | 5 | 6;

/**
 * Lifecycle of a code: `active`; `reserved` — "not used, reserved for the future" in the seed; `unused` — the
 * feature is not in the producer's current version.
 */
export type CatalogStatus = 'active' | 'reserved' | 'unused';

/** Every {@link CatalogStatus}, for validation and UI filters. */
export const CATALOG_STATUSES: readonly CatalogStatus[] = Object.freeze(['active', 'reserved', 'unused']);

/** A text in English and Russian. */
export interface LocalizedText {
  readonly en: string;
  readonly ru: string;
}

/** Mapping of a code to an OCSF event class and activity (e.g. Authentication 3002, Logon 1). */
export interface OcsfMapping {
  readonly classUid: number;
  readonly activityId: number;
}

/** An extra piece of information an event type carries (seed 004), e.g. `method` of `API_CALL`. */
export interface CatalogAttribute {
  /** Attribute name in the source system, e.g. `bytes_total` or `export._id`. */
  readonly name: string;
  /** Value type as the source documents it, e.g. `string`, `integer`, `object`. */
  readonly type?: string;
  /** What the attribute holds. */
  readonly description: string;
  /** Fixed value, when the type always carries the same one (e.g. `schema=user`). */
  readonly value?: string;
}

/** One event code of a catalogue. */
export interface CatalogEntry {
  /** Id of the catalogue that defines the code, e.g. `ai-server`. */
  readonly catalog: string;
  /** Numeric event code, unique across all loaded catalogues, e.g. 2001. */
  readonly code: number;
  /** Event name, unique across all loaded catalogues, e.g. `Login` or `USER_LOGIN`. */
  readonly name: string;
  /** Key of the entry's domain in {@link CatalogDocument.domains}, e.g. `authorization`. */
  readonly domain?: string;
  /** What the event means. */
  readonly description: LocalizedText;
  /** Default `classifiedEvent` of events with this code. */
  readonly classifiedEvent: EventClass;
  /** Default severity (OCSF `severity_id`). */
  readonly severity: Severity;
  /** Whether events with this code are returned by polling and live streams. */
  readonly pollable: boolean;
  /** Whether the code is in use. */
  readonly status: CatalogStatus;
  /** OCSF class and activity, where the mapping is clear. */
  readonly ocsf?: OcsfMapping;
  /** GOST R 59548-2022 event type, where the mapping is clear. */
  readonly gost?: string;
  /** Extra information the event type carries. */
  readonly attributes?: readonly CatalogAttribute[];
  /** Where an event of this type without `userId` names the user it is about (the user filter matches it). */
  readonly subject?: SubjectRule;
  /** Code the seed documents give, when Tamga had to renumber the entry (see docs/decisions/0002). */
  readonly seedCode?: number;
  /** Heading of the seed section the entry comes from (log-based catalogues). */
  readonly seedHeading?: string;
  /** Free remark: why a choice was made. */
  readonly note?: string;
}

/** A whole catalogue file after validation. */
export interface CatalogDocument {
  /** Catalogue id, e.g. `ai-server`; lower-case letters, digits and `-`. */
  readonly catalog: string;
  /** Version of the catalogue's content, a positive integer. */
  readonly version: number;
  readonly title: LocalizedText;
  /** Inclusive range `[min, max]` that every code of the catalogue lies in; ranges of catalogues do not overlap. */
  readonly codeRange: readonly [number, number];
  /** Domains (groups of codes) by key. */
  readonly domains: Readonly<Record<string, LocalizedText>>;
  readonly entries: readonly CatalogEntry[];
  /** Where the catalogue's content comes from. */
  readonly source?: string;
}

/** One problem found in a catalogue: where (1-based line, JSON-pointer-like path) and what. */
export interface CatalogProblem {
  /** Catalogue source, e.g. a file name. */
  readonly source: string;
  /** 1-based line in the source text; `null` when unknown (a document not parsed from text). */
  readonly line: number | null;
  /** Path to the offending value, e.g. `entries[3].code`. */
  readonly path: string;
  readonly message: string;
}

/** One entry as `GET /api/v1/catalog` returns it. */
export interface CatalogItem {
  readonly code: number;
  readonly name: string;
  readonly catalog: string;
  /** `<catalog>@<version>`, the value records resolved with this entry carry. */
  readonly catalogVersion: string;
  /** Tenant whose catalogue defines the entry (`null` = default tenant); absent for built-in entries. */
  readonly tenantId?: string | null;
  /** Domain key; `''` when the entry has none. */
  readonly domain: string;
  /** Domain title in the chosen language (the catalogue title when the entry has no domain). */
  readonly domainTitle: string;
  /** Description in the chosen language. */
  readonly description: string;
  readonly descriptions: LocalizedText;
  readonly classifiedEvent: number;
  readonly severity: number;
  readonly status: string;
  readonly pollable: boolean;
  readonly ocsf?: OcsfMapping;
  readonly gost?: string;
  readonly attributes?: readonly CatalogAttribute[];
  readonly seedCode?: number;
  readonly note?: string;
}
