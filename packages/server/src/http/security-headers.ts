import type { FastifyReply, FastifyRequest } from 'fastify';

/** Response headers every answer carries (page, API, errors). */
export type SecurityHeaders = Readonly<Record<string, string>>;

/**
 * The Content-Security-Policy header: the policy the UI build writes into the page's index.html as a meta
 * tag (`packages/ui/vite.config.ts` is its one source), plus `frame-ancestors 'none'`, which only a header
 * can carry (CSP 3 §6.4.2). Without a built page only the API is served: `default-src 'none'`.
 */
export function contentSecurityPolicyOf(indexHtml: string | undefined): string {
  const meta = indexHtml === undefined ? undefined : /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i.exec(indexHtml)?.[1];
  const policy = meta === undefined ? "default-src 'none'" : meta.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return `${policy}; frame-ancestors 'none'`;
}

/** The security headers for a page whose index.html is `indexHtml` (undefined when no page is built). */
export function securityHeaders(indexHtml: string | undefined): SecurityHeaders {
  return Object.freeze({
    'content-security-policy': contentSecurityPolicyOf(indexHtml),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  });
}

/** Sets the security headers on a reply (also used where `onSend` hooks do not run, e.g. unparsable URLs). */
export function setSecurityHeaders(reply: FastifyReply, headers: SecurityHeaders): void {
  for (const [name, value] of Object.entries(headers)) void reply.header(name, value);
}

/** An `onSend` hook setting the security headers on every response. */
export function addSecurityHeaders(headers: SecurityHeaders) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    setSecurityHeaders(reply, headers);
    // API answers hold journal data: never cached by the browser or a proxy.
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    return payload;
  };
}
