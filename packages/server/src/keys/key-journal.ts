import type { Journal } from '../journal/journal.js';

/** Setting holding the ids of every key whose creation is journalled (JSON array). */
const SETTING = 'journalled-key-ids';

/** Catalogue codes (catalogs/tamga.json). */
const HMAC_KEY_ROTATED = 32003;
const CHECKPOINT_KEY_ROTATED = 32004;

/** A rotation to journal. */
export interface KeyRotation {
  readonly type: 'hmac' | 'checkpoint';
  /** The new key's id (HMAC `kid` or checkpoint key name). */
  readonly id: string;
  /** The key it replaces as the signing key, when known. */
  readonly previous: string | null;
  /** Who rotated it: a principal's user id, or `tamga keys rotate` for the CLI. */
  readonly by: string;
}

async function journalledIds(journal: Journal): Promise<Set<string> | undefined> {
  const raw = await journal.store.getSetting(SETTING);
  if (raw === undefined) return undefined;
  try {
    const ids: unknown = JSON.parse(raw);
    return new Set(Array.isArray(ids) ? ids.filter((v): v is string => typeof v === 'string') : []);
  } catch {
    return new Set();
  }
}

async function remember(journal: Journal, ids: Iterable<string>): Promise<void> {
  const known = (await journalledIds(journal)) ?? new Set<string>();
  for (const id of ids) known.add(id);
  await journal.store.putSetting(SETTING, JSON.stringify([...known]));
}

/** Journals a key rotation as HmacKeyRotated (32003) or CheckpointKeyRotated (32004) in the system log. */
export async function journalKeyRotation(journal: Journal, rotation: KeyRotation): Promise<void> {
  await journal.appendSystem({
    event: rotation.type === 'hmac' ? HMAC_KEY_ROTATED : CHECKPOINT_KEY_ROTATED,
    userId: rotation.by,
    entityData: { keyId: rotation.id, previous: rotation.previous, type: rotation.type },
  });
  await remember(journal, [rotation.id]);
}

/**
 * At start-up: journals the keys rotated while the server was stopped (`tamga keys rotate` edits the keys
 * directory only). The first start remembers the keys it finds without journalling them.
 */
export async function journalOfflineRotations(journal: Journal): Promise<number> {
  const keys = journal.keys;
  const all = [
    ...keys.hmacKeys.map((k, i, list) => ({ type: 'hmac' as const, id: k.kid, previous: list[i - 1]?.kid ?? null })),
    ...keys.checkpointKeys.map((k, i, list) => ({ type: 'checkpoint' as const, id: k.name, previous: list[i - 1]?.name ?? null })),
  ];
  const known = await journalledIds(journal);
  if (known === undefined) {
    await remember(journal, all.map((k) => k.id));
    return 0;
  }
  let count = 0;
  for (const key of all) {
    if (known.has(key.id)) continue;
    await journalKeyRotation(journal, { ...key, by: 'tamga keys rotate' });
    count++;
  }
  return count;
}
