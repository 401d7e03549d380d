import { afterAll, describe, expect, it } from 'vitest';
import { KeyRing } from '../keys/key-ring.js';
import { tempDir } from '../test-support/fixtures.js';
import { SecretBox } from './secret-box.js';

const dir = tempDir();
afterAll(() => dir.remove());

describe('SecretBox', () => {
  const keys = KeyRing.openOrCreate(dir.path);
  const box = new SecretBox(keys);

  it('seals a secret so that the sealed text does not show it, and opens it again', () => {
    const sealed = box.seal('s3cret-token', 'd1/token');
    expect(sealed).toMatch(/^sealed:v1:hmac-/);
    expect(sealed).not.toContain('s3cret');
    expect(box.open(sealed, 'd1/token')).toBe('s3cret-token');
  });

  it('refuses a secret moved to another destination or field, or altered', () => {
    const sealed = box.seal('s3cret-token', 'd1/token');
    expect(() => box.open(sealed, 'd2/token')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    const parts = sealed.split(':');
    parts[4] = Buffer.from('other').toString('base64url');
    expect(() => box.open(parts.join(':'), 'd1/token')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('opens secrets sealed before an HMAC key rotation, and says which key is missing otherwise', () => {
    const sealed = box.seal('before rotation', 'd1/secret');
    keys.rotateHmac();
    expect(box.open(sealed, 'd1/secret')).toBe('before rotation');
    expect(box.seal('after', 'd1/secret').split(':')[2]).toBe(keys.activeHmacKey.kid);
    expect(() => box.open(sealed.replace(/hmac-[^:]+/, 'hmac-gone'), 'd1/secret')).toThrow(/hmac-gone/);
  });
});
