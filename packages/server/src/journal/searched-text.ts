/**
 * What free text (`q`) is searched in: a record's `text`, and the values of its `entityData` — each string and number
 * in it (a number as JSON writes it), in the order of its JSON, one per line. Keys, `true`, `false`, `null` and the
 * JSON's punctuation are not searched: nearly every record holds the same ones, and indexing them cost the trigram
 * indexes more than everything else in them (docs/decisions/0067-free-text-searches-entity-values.md). A string value
 * is searched as it is, not as JSON escapes it: `C:\data`, `say "hi"`.
 */

/** The searched text of `entityData`: its strings and numbers, one per line; null when it has none. */
export function entitySearchText(entityData: unknown): string | null {
  if (typeof entityData === 'string') return entityData === '' ? null : entityData;
  const values: string[] = [];
  collectValues(entityData, values);
  return values.length === 0 ? null : values.join('\n');
}

function collectValues(value: unknown, into: string[]): void {
  if (typeof value === 'string') {
    if (value !== '') into.push(value);
  } else if (typeof value === 'number') {
    into.push(JSON.stringify(value));
  } else if (Array.isArray(value)) {
    for (const item of value) collectValues(item, into);
  } else if (value !== null && typeof value === 'object') {
    for (const key in value) collectValues((value as Record<string, unknown>)[key], into);
  }
}

/** {@link entitySearchText} of `entityData` as a store keeps it (its JSON); text that is no JSON (a tampered row) as is. */
export function entitySearchTextOfJson(json: string | null): string | null {
  if (json === null) return null;
  let entityData: unknown;
  try {
    entityData = JSON.parse(json);
  } catch {
    return json;
  }
  return entitySearchText(entityData);
}

/** Whether `s` has a character JSON writes escaped (or a surrogate, escaped when lone): then it may be in no JSON text. */
function hasEscapedInJson(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}

/**
 * Whether a record whose `text` and `entityData` JSON are given holds `needle` (lower-case), ignoring case. A value
 * holding the needle holds it in the JSON as written too, unless the needle has a character JSON escapes: JSON without
 * it is never parsed.
 */
export function holdsSearchedText(text: string | null, entityJson: string | null, needle: string): boolean {
  if (text !== null && text.toLowerCase().includes(needle)) return true;
  if (entityJson === null) return false;
  if (!hasEscapedInJson(needle) && !entityJson.toLowerCase().includes(needle)) return false;
  const values = entitySearchTextOfJson(entityJson);
  return values !== null && values.toLowerCase().includes(needle);
}
