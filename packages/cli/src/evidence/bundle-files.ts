import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Buffer } from 'node:buffer';
import {
  BUNDLE_FILES,
  parseBundleCheckpoint,
  parseBundleKeys,
  parseBundleManifest,
  parseVerifierKey,
  VerificationError,
  verifiersFromKeys,
} from '@tamga/core';
import type { BundleCheckpoint, BundleKeys, BundleManifest, NoteVerifier } from '@tamga/core';

function unusable(message: string, cause?: unknown): VerificationError {
  return new VerificationError('BUNDLE_INVALID', message, {}, cause === undefined ? undefined : { cause });
}

/** Reads a text file, or throws `BUNDLE_INVALID` naming it. */
export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw unusable(`Cannot read ${path}`, cause);
  }
}

function readJson(path: string): unknown {
  const text = readText(path);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw unusable(`${path} is not JSON`, cause);
  }
}

/** The small files of a bundle directory: manifest, keys and checkpoints (records are streamed separately). */
export interface BundleHead {
  readonly manifest: BundleManifest;
  readonly keys: BundleKeys;
  readonly checkpoints: BundleCheckpoint[];
  readonly recordsPath: string;
}

/** Reads and parses the manifest, keys and checkpoints of a bundle directory. */
export function readBundleHead(dir: string): BundleHead {
  const manifest = parseBundleManifest(readJson(join(dir, BUNDLE_FILES.manifest)));
  const keys = parseBundleKeys(readJson(join(dir, BUNDLE_FILES.keys)));
  const checkpoints = readText(join(dir, BUNDLE_FILES.checkpoints))
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, n]) => parseBundleCheckpoint(line, n));
  const recordsPath = join(dir, BUNDLE_FILES.records);
  try {
    statSync(recordsPath);
  } catch (cause) {
    throw unusable(`Cannot read ${recordsPath}`, cause);
  }
  return { manifest, keys, checkpoints, recordsPath };
}

/**
 * Pinned checkpoint keys (`--keys FILE`): a JSON document with `checkpointKeys` (a bundle's `keys.json`, or
 * `/.well-known/tamga-keys`), or a text file with one C2SP verifier key per line.
 */
export function loadPinnedKeys(path: string): NoteVerifier[] {
  const text = readText(path);
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let raw: unknown;
    try {
      raw = JSON.parse(trimmed);
    } catch (cause) {
      throw unusable(`${path} is not JSON`, cause);
    }
    return verifiersFromKeys(parseBundleKeys(raw));
  }
  return trimmed
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      try {
        return parseVerifierKey(l);
      } catch (cause) {
        throw unusable(`${path}: "${l.slice(0, 40)}" is not a verifier key`, cause);
      }
    });
}

/**
 * HMAC secrets (`--hmac-key PATH`): a Tamga key file (`{"type":"hmac","id":…,"secret":hex}`), a JSON array of
 * them, or a keys directory (every `*.key.json` of type hmac in it).
 */
export function loadHmacKeys(path: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  const add = (raw: unknown): void => {
    const k = raw as { type?: unknown; id?: unknown; kid?: unknown; secret?: unknown };
    const id = typeof k.id === 'string' ? k.id : k.kid;
    if ((k.type === undefined || k.type === 'hmac') && typeof id === 'string' && typeof k.secret === 'string' && /^[0-9a-f]+$/i.test(k.secret)) {
      keys.set(id, Buffer.from(k.secret, 'hex'));
    }
  };
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch (cause) {
    throw unusable(`Cannot read ${path}`, cause);
  }
  if (isDir) {
    for (const name of readdirSync(path).filter((n) => n.endsWith('.key.json'))) add(readJson(join(path, name)));
  } else {
    const raw = readJson(path);
    if (Array.isArray(raw)) raw.forEach(add);
    else add(raw);
  }
  if (keys.size === 0) throw unusable(`${path} holds no HMAC key`);
  return keys;
}
