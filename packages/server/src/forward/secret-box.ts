import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { TamgaError } from '@tamga/core';

/** The HMAC keys a {@link SecretBox} derives from: a `KeyRing`, or the forwarding thread's view of one. */
export interface HmacKeySource {
  /** The key new seals use. */
  readonly activeHmacKey: { readonly kid: string };
  /** The secret of a key, if known. */
  hmacSecret(kid: string): Buffer | undefined;
}

const PREFIX = 'sealed:v1';
const INFO = 'tamga forwarding secrets v1';

/**
 * Seals the secrets of forwarding destinations (webhook HMAC secrets, bearer tokens, header values, TLS client
 * keys) at rest: AES-256-GCM under a key derived with HKDF-SHA256 from an HMAC key of the key ring, so a copy of
 * the database alone does not reveal them. The sealed form names the HMAC key (`sealed:v1:<kid>:<iv>:<ct>:<tag>`,
 * base64url), so secrets sealed before a key rotation still open: rotated HMAC keys are kept for verification.
 * Each secret is bound to where it is used (`context`, e.g. `<destination id>/token`) as additional data, so a
 * sealed value copied into another destination or field does not open.
 */
export class SecretBox {
  readonly #keys: HmacKeySource;
  readonly #derived = new Map<string, Buffer>();

  constructor(keys: HmacKeySource) {
    this.#keys = keys;
  }

  #key(kid: string): Buffer | undefined {
    let key = this.#derived.get(kid);
    if (key === undefined) {
      const secret = this.#keys.hmacSecret(kid);
      if (secret === undefined) return undefined;
      key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), INFO, 32));
      this.#derived.set(kid, key);
    }
    return key;
  }

  /** Seals `plain` for use at `context`. */
  seal(plain: string, context: string): string {
    const kid = this.#keys.activeHmacKey.kid;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key(kid)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [PREFIX, kid, iv.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join(':');
  }

  /**
   * Opens a value sealed for `context`.
   *
   * @throws TamgaError `CONFIG_INVALID` when its key is not in the key ring or it was altered or moved.
   */
  open(sealed: string, context: string): string {
    const parts = sealed.split(':');
    const [p1, p2, kid, iv, ct, tag] = parts;
    const key = kid === undefined ? undefined : this.#key(kid);
    if (parts.length !== 6 || `${p1}:${p2}` !== PREFIX || key === undefined) {
      throw new TamgaError('CONFIG_INVALID', `The secret of ${context} cannot be opened: its HMAC key ${kid ?? '?'} is not in the keys directory`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv!, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag!, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct!, 'base64url')), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new TamgaError('CONFIG_INVALID', `The secret of ${context} cannot be opened: it was altered or belongs elsewhere`, {}, { cause: error });
    }
  }
}
