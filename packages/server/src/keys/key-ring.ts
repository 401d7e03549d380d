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

  private constructor(hmac: HmacKey[], checkpoint: CheckpointKey[]) {
    this.#hmac = hmac;
    this.#checkpoint = checkpoint;
  }

  /** Loads the keys in `dir`, creating the directory and a first key of each type when missing. */
  static openOrCreate(dir: string): KeyRing {
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
    const created = new Date().toISOString();
    const day = created.slice(0, 10);
    const suffix = randomBytes(3).toString('hex');
    if (!files.some((f) => f.type === 'hmac')) {
      files.push(writeKey(dir, { type: 'hmac', id: `hmac-${day}-${suffix}`, secret: randomBytes(32).toString('hex'), createdAt: created }));
    }
    if (!files.some((f) => f.type === 'checkpoint')) {
      const { seed } = generateEd25519Key();
      files.push(writeKey(dir, { type: 'checkpoint', id: `tamga-${day}-${suffix}`, secret: seed.toString('hex'), createdAt: created }));
    }
    const byTime = (a: KeyFile, b: KeyFile): number => a.createdAt.localeCompare(b.createdAt);
    const hmac = files
      .filter((f) => f.type === 'hmac')
      .sort(byTime)
      .map((f) => ({ kid: f.id, secret: Buffer.from(f.secret, 'hex'), createdAt: f.createdAt }));
    const checkpoint = files
      .filter((f) => f.type === 'checkpoint')
      .sort(byTime)
      .map((f) => {
        const seed = Buffer.from(f.secret, 'hex');
        const publicKey = publicKeyFromSeed(seed);
        return { name: f.id, seed, publicKey, createdAt: f.createdAt, verifierKey: formatVerifierKey(f.id, publicKey) };
      });
    return new KeyRing(hmac, checkpoint);
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

  /** Signers for new checkpoints: the newest checkpoint key. */
  checkpointSigners(): NoteSigner[] {
    const key = this.#checkpoint[this.#checkpoint.length - 1]!;
    return [createEd25519Signer(key.name, key.seed)];
  }
}

function writeKey(dir: string, file: KeyFile): KeyFile {
  const path = join(dir, `${file.type}-${file.id}.key.json`);
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return file;
}
