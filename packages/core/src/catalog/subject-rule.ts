import type { EntityData } from '../record/event-input.js';

/**
 * Where the user an event is about is named when the event has no `userId` (a catalogue entry's `subject`): seed 002's
 * Login has `userId` null ("there is no user yet, only their credentials") and the login in `entityData`, either as an
 * object (`{"login": "logs", ...}`) or as text (`"logs, tenantId="`).
 */
export interface SubjectRule {
  /** The field holding it; `entityData` is the one there is. */
  readonly field: 'entityData';
  /** When `entityData` is an object: the key (dot-separated path) whose string value names the user. */
  readonly key?: string;
  /** When `entityData` is text: the user is the text before the first occurrence of this delimiter (all of it without one). */
  readonly textBefore?: string;
}

/** Longest subject kept, in characters (the longest `userId` the event input takes is the bound of the user filter too). */
export const MAX_SUBJECT_LENGTH = 256;

/** The user `entityData` names by `rule`, trimmed; null when it names none (or a value that is no short string). */
export function extractSubject(rule: SubjectRule, entityData: EntityData | null): string | null {
  let value: unknown;
  if (typeof entityData === 'string') {
    if (rule.textBefore === undefined) return null;
    const end = entityData.indexOf(rule.textBefore);
    value = end < 0 ? entityData : entityData.slice(0, end);
  } else if (entityData !== null && !Array.isArray(entityData) && rule.key !== undefined) {
    value = entityData;
    for (const part of rule.key.split('.')) {
      value = typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, part) ? (value as Record<string, unknown>)[part] : undefined;
    }
  }
  if (typeof value !== 'string') return null;
  const subject = value.trim();
  return subject === '' || subject.length > MAX_SUBJECT_LENGTH ? null : subject;
}
