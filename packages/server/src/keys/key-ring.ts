import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  createEd25519Signer,
  formatVerifierKey,
  generateEd25519Key,
  publicKeyFromSeed,
  TamgaError,
} from '@tamga/core';
import type { NoteSigner } from '@tamga/core';
import { makeDirectoryDurably, writeFileDurably } from './durable-file.js';

/** An HMAC key that signs records. */
export interface HmacKey {
  readonly kid: string;
  readonly secret: Buffer;
  /** RFC 3339 time the key was created. */
  readonly createdAt: string;
}

/** An Ed25519 key that signs checkpoints. */
export interface CheckpointKey {
  /** Signed-note key name, e.g. `tamga-2026-11-22`. */
  readonly name: string;
  readonly seed: Buffer;
  readonly publicKey: Buffer;
  readonly createdAt: string;
  /** The C2SP verifier key string: `name+keyid+base64(0x01‖pub)`. */
  readonly verifierKey: string;
}

interface KeyFile {
  readonly type: 'hmac' | 'checkpoint';
  readonly id: string;
  readonly secret: string;
  readonly createdAt: string;
}

/**
 * The server's keys, kept as one file per key in a directory readable by the owner only
 * (`<data dir>/keys` by default). The newest key of each type signs; older ones keep verifying.
 * Created on first start.
 */
export class KeyRing {
  readonly #hmac: HmacKey[];
  readonly #checkpoint: CheckpointKey[];
  readonly #dir: string;
  readonly #overlapMs: number;

  private constructor(hmac: HmacKey[], checkpoint: CheckpointKey[], dir: string, overlapMs: number) {
    this.#hmac = hmac;
    this.#checkpoint = checkpoint;
    this.#dir = dir;
    this.#overlapMs = overlapMs;
  }

  /**
   * Loads the keys in `dir`, creating the directory and a first key of each type when missing. Every key file is
   * durable before this returns (see {@link writeFileDurably}), so nothing is ever signed with a key a power cut
   * could take away.
   *
   * @param options.checkpointOverlapMs - how long after a checkpoint-key rotation the previous key still
   *   co-signs checkpoints, so verifiers that pinned only it keep working. Default 24 h.
   * @throws TamgaError `CONFIG_INVALID` naming the file when a key file is empty, damaged or cannot be read: it is
   *   never replaced or skipped, since records signed with it would then read `unknown-key`.
   */
  static openOrCreate(dir: string, options: { readonly checkpointOverlapMs?: number } = {}): KeyRing {
    makeDirectoryDurably(dir, 0o700);
    chmodSync(dir, 0o700);
    const files = readKeyFiles(dir);
    if (!files.some((f) => f.type === 'hmac')) files.push(writeKey(dir, newKeyFile('hmac')));
    if (!files.some((f) => f.type === 'checkpoint')) files.push(writeKey(dir, newKeyFile('checkpoint')));
    return KeyRing.#of(files, dir, options);
  }

  /**
   * Loads the keys in `dir` without creating or changing anything (`tamga keys`): a mistyped directory must not mint
   * a key.
   *
   * @throws TamgaError `CONFIG_INVALID` when `dir` does not exist, is not a directory, or holds no key of a type;
   *   and as {@link KeyRing.openOrCreate} for a damaged key file.
   */
  static openExisting(dir: string, options: { readonly checkpointOverlapMs?: number } = {}): KeyRing {
    let isDir: boolean;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      throw new TamgaError('CONFIG_INVALID', `The keys directory ${dir} does not exist (check --data-dir / --keys-dir; the server creates it at first start)`, { field: 'keysDir' });
    }
    if (!isDir) throw new TamgaError('CONFIG_INVALID', `The keys directory ${dir} is not a directory`, { field: 'keysDir' });
    const files = readKeyFiles(dir);
    const missing = (['hmac', 'checkpoint'] as const).filter((type) => !files.some((f) => f.type === type));
    if (missing.length > 0) {
      throw new TamgaError(
        'CONFIG_INVALID',
        `The keys directory ${dir} has no ${missing.join(' and no ')} key (check --data-dir / --keys-dir; the server creates its keys at first start)`,
        { field: 'keysDir' },
      );
    }
    return KeyRing.#of(files, dir, options);
  }

  static #of(files: readonly KeyFile[], dir: string, options: { readonly checkpointOverlapMs?: number }): KeyRing {
    const byTime = (a: KeyFile, b: KeyFile): number => a.createdAt.localeCompare(b.createdAt);
    const hmac = files
      .filter((f) => f.type === 'hmac')
      .sort(byTime)
      .map((f) => ({ kid: f.id, secret: Buffer.from(f.secret, 'hex'), createdAt: f.createdAt }));
    const checkpoint = files.filter((f) => f.type === 'checkpoint').sort(byTime).map(toCheckpointKey);
    return new KeyRing(hmac, checkpoint, dir, options.checkpointOverlapMs ?? DEFAULT_CHECKPOINT_OVERLAP_MS);
  }

  /** The keys directory. */
  get dir(): string {
    return this.#dir;
  }

  /** How long the previous checkpoint key co-signs after a rotation, ms. */
  get checkpointOverlapMs(): number {
    return this.#overlapMs;
  }

  /**
   * Rotates the HMAC key: writes a new key file and makes it the one new records are signed with, at once.
   * Older keys stay, so records keep verifying with their `sigKid`.
   */
  rotateHmac(): HmacKey {
    const file = writeKey(this.#dir, newKeyFile('hmac'));
    const key = { kid: file.id, secret: Buffer.from(file.secret, 'hex'), createdAt: file.createdAt };
    this.#hmac.push(key);
    return key;
  }

  /**
   * Rotates the checkpoint key: writes a new Ed25519 key file; from now on checkpoints are signed by the new key
   * and, for the overlap period, by the previous one too.
   */
  rotateCheckpoint(): CheckpointKey {
    const key = toCheckpointKey(writeKey(this.#dir, newKeyFile('checkpoint')));
    this.#checkpoint.push(key);
    return key;
  }

  /** Every HMAC key id, oldest first, with its validity window (until the next key was created). */
  get hmacKeys(): readonly HmacKey[] {
    return this.#hmac;
  }

  /**
   * The public key document of `/.well-known/tamga-keys` and of evidence bundles: every checkpoint key ever
   * used with its validity window (a key signs from its creation until its successor's creation plus the
   * overlap), and every HMAC key id (no secrets) with its window.
   */
  publicKeys(): PublicKeys {
    const cps = this.#checkpoint;
    const hmacs = this.#hmac;
    return {
      checkpointKeys: cps.map((k, i) => ({
        name: k.name,
        verifierKey: k.verifierKey,
        algorithm: 'Ed25519',
        publicKey: k.publicKey.toString('base64'),
        validFrom: k.createdAt,
        validUntil: cps[i + 1] === undefined ? null : new Date(Date.parse(cps[i + 1]!.createdAt) + this.#overlapMs).toISOString(),
      })),
      hmacKeys: hmacs.map((k, i) => ({ kid: k.kid, validFrom: k.createdAt, validUntil: hmacs[i + 1]?.createdAt ?? null })),
    };
  }

  /** The key new records are signed with. */
  get activeHmacKey(): HmacKey {
    return this.#hmac[this.#hmac.length - 1]!;
  }

  /** The HMAC secret of `kid`, if this server holds it. */
  hmacSecret(kid: string): Buffer | undefined {
    return this.#hmac.find((k) => k.kid === kid)?.secret;
  }

  /** Every checkpoint key, oldest first. */
  get checkpointKeys(): readonly CheckpointKey[] {
    return this.#checkpoint;
  }

  /**
   * Signers for new checkpoints: the newest checkpoint key, and during the overlap after a rotation
   * (`checkpointOverlapMs` after the newest key was created) the previous key as well (DESIGN.md §4).
   */
  checkpointSigners(nowMs: number = Date.now()): NoteSigner[] {
    const n = this.#checkpoint.length;
    const newest = this.#checkpoint[n - 1]!;
    const signers = [createEd25519Signer(newest.name, newest.seed)];
    const previous = this.#checkpoint[n - 2];
    if (previous !== undefined && nowMs < Date.parse(newest.createdAt) + this.#overlapMs) {
      signers.push(createEd25519Signer(previous.name, previous.seed));
    }
    return signers;
  }
}

/** Default overlap of checkpoint keys after a rotation: 24 hours. */
export const DEFAULT_CHECKPOINT_OVERLAP_MS = 24 * 3_600_000;

/** The public keys document (`/.well-known/tamga-keys`, a bundle's `keys.json`). */
export interface PublicKeys {
  readonly checkpointKeys: readonly {
    readonly name: string;
    readonly verifierKey: string;
    readonly algorithm: 'Ed25519';
    readonly publicKey: string;
    readonly validFrom: string;
    readonly validUntil: string | null;
  }[];
  readonly hmacKeys: readonly { readonly kid: string; readonly validFrom: string; readonly validUntil: string | null }[];
}

/** A fresh key file of `type`, named by type, day and a random suffix. */
function newKeyFile(type: 'hmac' | 'checkpoint'): KeyFile {
  const createdAt = new Date().toISOString();
  const id = `${type === 'hmac' ? 'hmac' : 'tamga'}-${createdAt.slice(0, 10)}-${randomBytes(3).toString('hex')}`;
  const secret = type === 'hmac' ? randomBytes(32).toString('hex') : generateEd25519Key().seed.toString('hex');
  return { type, id, secret, createdAt };
}

function toCheckpointKey(f: KeyFile): CheckpointKey {
  const seed = Buffer.from(f.secret, 'hex');
  const publicKey = publicKeyFromSeed(seed);
  return { name: f.id, seed, publicKey, createdAt: f.createdAt, verifierKey: formatVerifierKey(f.id, publicKey) };
}

/** Writes a new key file durably (temporary file, fsync, link, directory fsync); owner-only. */
function writeKey(dir: string, file: KeyFile): KeyFile {
  writeFileDurably(join(dir, `${file.type}-${file.id}.key.json`), `${JSON.stringify(file, null, 2)}\n`, 0o600);
  return file;
}

/** What the operator can do about a key file that cannot be used; Tamga never replaces or skips one. */
const KEY_FILE_ADVICE =
  'Tamga does not replace or skip a key file: records signed with it would read unknown-key. Restore this file from ' +
  'your backup of the keys directory; if nothing was ever signed with this key (an interrupted first start or ' +
  'rotation, e.g. by an older Tamga that did not write keys durably), move the file out of the directory. Then start again.';

/** Reads and checks one key file; a file that cannot serve as a key is a `CONFIG_INVALID` naming it and what to do. */
function readKeyFile(path: string): KeyFile {
  const refuse = (what: string, cause?: unknown): never => {
    throw new TamgaError('CONFIG_INVALID', `Key file ${path} ${what}. ${KEY_FILE_ADVICE}`, { field: 'keysDir', path }, { cause });
  };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    return refuse(`cannot be read (${code}): check that the user running Tamga owns it and can read it (mode 0600)`, error);
  }
  if (text.length === 0) return refuse('is empty (0 bytes)');
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch (error) {
    return refuse(`is damaged: its ${Buffer.byteLength(text)} bytes are not a complete key (JSON)`, error);
  }
  const f = file as Partial<Record<keyof KeyFile, unknown>>;
  const isKey =
    (f.type === 'hmac' || f.type === 'checkpoint') &&
    typeof f.id === 'string' &&
    f.id !== '' &&
    typeof f.secret === 'string' &&
    /^[0-9a-f]{64}$/.test(f.secret) &&
    typeof f.createdAt === 'string' &&
    !Number.isNaN(Date.parse(f.createdAt));
  if (!isKey) return refuse('is damaged: it lacks a valid type, id, 32-byte hex secret or creation time');
  return file as KeyFile;
}

/** The key files of `dir`, in name order. */
function readKeyFiles(dir: string): KeyFile[] {
  const files: KeyFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith('.key.json')) files.push(readKeyFile(join(dir, name)));
  }
  return files;
}
