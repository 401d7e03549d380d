import type { FastifyReply, FastifyRequest } from 'fastify';

/** Name of the session cookie. */
export const SESSION_COOKIE = 'tamga_session';

/** The session cookie's value, if the request carries one (RFC 6265 §5.4 `Cookie` header). */
export function readSessionCookie(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string' || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Sets (or, with `value` null, clears) the session cookie: HttpOnly (no script reads it), SameSite=Strict
 * (no cross-site request carries it), `Path=/api/` (only the API needs it), Secure when the request came
 * over TLS.
 */
export function writeSessionCookie(request: FastifyRequest, reply: FastifyReply, value: string | null, maxAgeSeconds = 0): void {
  const attributes = ['Path=/api/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${value === null ? 0 : maxAgeSeconds}`];
  if (request.protocol === 'https') attributes.push('Secure');
  void reply.header('set-cookie', `${SESSION_COOKIE}=${value ?? ''}; ${attributes.join('; ')}`);
}
