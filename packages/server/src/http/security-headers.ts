import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The Content-Security-Policy of the journal page: the policy `packages/ui/vite.config.ts` writes into
 * index.html as a meta tag, plus `frame-ancestors 'none'`, which only a header can carry (CSP 3 §6.4.2).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
});

/** Sets the security headers on a reply (also used where `onSend` hooks do not run, e.g. unparsable URLs). */
export function setSecurityHeaders(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(HEADERS)) void reply.header(name, value);
}

/** `onSend` hook: the security headers on every response (page, API, errors). */
export async function addSecurityHeaders(_request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  setSecurityHeaders(reply);
  // API answers hold journal data: never cached by the browser or a proxy.
  if (_request.url.startsWith('/api/') && !reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
  return payload;
}
