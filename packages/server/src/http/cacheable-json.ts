import { createHash } from 'node:crypto';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Bodies smaller than this are sent as they are: compressing them saves less than the header costs. */
const MIN_COMPRESSED_BYTES = 1024;

/**
 * Sends `value` as JSON the browser may keep: a strong ETag of the body, `Cache-Control: private, no-cache` (kept, but
 * revalidated on each use, since it depends on who asks), `304 Not Modified` when `If-None-Match` names the same body,
 * and the body compressed (br, else gzip) when the client accepts it. For answers that are large and rarely change,
 * like the catalogue the journal page loads.
 */
export function sendCacheableJson(request: FastifyRequest, reply: FastifyReply, value: unknown, vary: readonly string[]): FastifyReply {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
  void reply
    .header('etag', etag)
    .header('cache-control', 'private, no-cache')
    .header('vary', [...vary, 'Authorization', 'Cookie', 'Accept-Encoding'].join(', '));
  if (matches(request.headers['if-none-match'], etag)) return reply.status(304).send();
  void reply.type('application/json; charset=utf-8');
  if (body.length < MIN_COMPRESSED_BYTES) return reply.send(body);
  const accepted = acceptedEncodings(request.headers['accept-encoding']);
  if (accepted.has('br')) {
    // Quality 5: within a few per cent of the best for JSON, at a small fraction of quality 11's time.
    return reply.header('content-encoding', 'br').send(brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }));
  }
  if (accepted.has('gzip')) return reply.header('content-encoding', 'gzip').send(gzipSync(body, { level: 6 }));
  return reply.send(body);
}

/** Whether an `If-None-Match` header names `etag` (or `*`); weak validators compare by their opaque part (RFC 9110 §13.1.2). */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

/** The content codings an `Accept-Encoding` header accepts (q > 0). */
function acceptedEncodings(header: string | undefined): Set<string> {
  const accepted = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (coding !== undefined && coding !== '' && (q === undefined || Number(q) > 0)) accepted.add(coding);
  }
  return accepted;
}
