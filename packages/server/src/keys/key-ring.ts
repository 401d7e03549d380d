import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
   * Loads the keys in `dir`, creating the directory and a first key of each type when missing.
   *
   * @param options.checkpointOverlapMs - how long after a checkpoint-key rotation the previous key still
   *   co-signs checkpoints, so verifiers that pinned only it keep working. Default 24 h.
   */
  static openOrCreate(dir: string, options: { readonly checkpointOverlapMs?: number } = {}): KeyRing {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const files: KeyFile[] = [];
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith('.key.json')) continue;
      try {
        files.push(JSON.parse(readFileSync(join(dir, name), 'utf8')) as KeyFile);
      } catch (error) {
        throw new TamgaError('CONFIG_INVALID', `Key file ${join(dir, name)} is unreadable`, {}, { cause: error });
      }
    }
    if (!files.some((f) => f.type === 'hmac')) files.push(writeKey(dir, newKeyFile('hmac')));
    if (!files.some((f) => f.type === 'checkpoint')) files.push(writeKey(dir, newKeyFile('checkpoint')));
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

function writeKey(dir: string, file: KeyFile): KeyFile {
  const path = join(dir, `${file.type}-${file.id}.key.json`);
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return file;
}
