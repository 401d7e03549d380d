import { describe, expect, it } from 'vitest';
import { contentSecurityPolicyOf } from './security-headers.js';

describe('contentSecurityPolicyOf', () => {
  it("sends the built page's own policy, plus frame-ancestors 'none'", () => {
    const html = `<head><meta http-equiv="Content-Security-Policy" content="default-src &#39;self&#39;; script-src &#39;self&#39;"></head>`;
    expect(contentSecurityPolicyOf(html)).toBe("default-src 'self'; script-src 'self'; frame-ancestors 'none'");
  });

  it('allows nothing when no page is built', () => {
    expect(contentSecurityPolicyOf(undefined)).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(contentSecurityPolicyOf('<head></head>')).toBe("default-src 'none'; frame-ancestors 'none'");
  });
});
