import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { generateEd25519Key, TamgaError, witnessKeyFromSeed } from '@tamga/core';
import type { WitnessKey } from '@tamga/core';
import { makeDirectoryDurably, replaceFileDurably, writeFileDurably } from '../keys/durable-file.js';

/** What a witness remembers of one log: the checkpoint it cosigned last. */
export interface WitnessedCheckpoint {
  readonly origin: string;
  readonly size: number;
  /** Base64 root hash. */
  readonly rootHash: string;
  /** When it was cosigned, ISO 8601. */
  readonly at: string;
}

/** A witness's signing key, as kept in `<dir>/witness-key.json`. */
export interface WitnessSigningKey {
  readonly key: WitnessKey;
  readonly seed: Buffer;
}

/**
 * Opens the witness key in `dir` (`witness-key.json`, mode 0600, in a directory of mode 0700), creating it durably on
 * first start (temporary file, fsync, link, fsync of the directory, as the server's keys: decisions/0012). A file that
 * exists but cannot be read as a key stops the start: it is never replaced.
 *
 * @throws TamgaError `CONFIG_INVALID` for a damaged key file, or a `name` other than the key's.
 */
export function openOrCreateWitnessKey(dir: string, name: string | undefined): WitnessSigningKey {
  makeDirectoryDurably(dir, 0o700);
  const path = join(dir, 'witness-key.json');
  if (!existsSync(path)) {
    const { seed } = generateEd25519Key();
    const key = witnessKeyFromSeed(name ?? 'tamga-witness', seed);
    writeFileDurably(path, `${JSON.stringify({ name: key.name, seed: seed.toString('base64'), verifierKey: key.text }, null, 2)}\n`, 0o600);
  }
  let parsed: { name?: unknown; seed?: unknown };
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; seed?: unknown };
  } catch (cause) {
    throw new TamgaError('CONFIG_INVALID', `${path}: the witness key file cannot be read (${(cause as Error).message})`, { field: path }, { cause });
  }
  const seed = typeof parsed.seed === 'string' ? Buffer.from(parsed.seed, 'base64') : undefined;
  if (typeof parsed.name !== 'string' || seed === undefined || seed.length !== 32) {
    throw new TamgaError('CONFIG_INVALID', `${path}: the witness key file is damaged (name and a 32-byte seed expected)`, { field: path });
  }
  if (name !== undefined && name !== parsed.name) {
    throw new TamgaError('CONFIG_INVALID', `${path} holds the key of witness "${parsed.name}", not "${name}"`, { field: '--name' });
  }
  return { key: witnessKeyFromSeed(parsed.name, seed), seed };
}

/**
 * The witness's memory of each log, one small JSON file per origin in `<dir>/logs/`. A write replaces the file
 * atomically and durably (temporary file, fsync, rename, fsync of the directory) before it returns: a witness that
 * answered a cosignature has its new state on disk, so a crash cannot make it cosign an older, forked view later.
 */
export class WitnessStateStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = join(dir, 'logs');
    makeDirectoryDurably(this.#dir, 0o700);
  }

  #path(origin: string): string {
    const safe = origin.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
    // The digest keeps two origins that escape alike apart.
    return join(this.#dir, `${safe}-${createHash('sha256').update(origin).digest('hex').slice(0, 16)}.json`);
  }

  /** The checkpoint of `origin` cosigned last, if any. */
  read(origin: string): WitnessedCheckpoint | undefined {
    const path = this.#path(origin);
    if (!existsSync(path)) return undefined;
    const state = JSON.parse(readFileSync(path, 'utf8')) as WitnessedCheckpoint;
    if (state.origin !== origin || !Number.isSafeInteger(state.size)) {
      throw new TamgaError('STORE_CORRUPT', `${path}: the witness state does not belong to ${origin}`);
    }
    return state;
  }

  /** Replaces the state of `state.origin`, durably. */
  write(state: WitnessedCheckpoint): void {
    replaceFileDurably(this.#path(state.origin), `${JSON.stringify(state)}\n`, 0o600);
  }
}
