import { isIP } from 'node:net';
import { TamgaError } from '@tamga/core';

/**
 * Limits of the HTTP server against slow and greedy clients (docs/decisions/0019-http-limits.md). Every request is
 * bounded in time on the way in; answers that are long on purpose (the live stream, exports) are not, as long as
 * bytes keep moving.
 */
export interface HttpConfig {
  /** `TAMGA_HEADERS_TIMEOUT_SECONDS`: the request line and headers must arrive within this. Default 10. */
  readonly headersTimeoutMs: number;
  /** `TAMGA_REQUEST_TIMEOUT_SECONDS`: the whole request, body included, must arrive within this. Default 60. */
  readonly requestTimeoutMs: number;
  /** `TAMGA_KEEP_ALIVE_TIMEOUT_SECONDS`: an idle kept-alive connection is closed after this. Default 72. */
  readonly keepAliveTimeoutMs: number;
  /**
   * `TAMGA_IDLE_TIMEOUT_SECONDS`: a connection on which no byte moves either way for this long is closed (a client
   * that stopped reading an export, a handler stuck). The live stream sends a comment every 15 s. Default 300.
   */
  readonly idleTimeoutMs: number;
  /**
   * `TAMGA_MAX_CONNECTIONS_PER_IP`: open connections one client address may hold; requests on connections beyond
   * it get 429 and the connection closes. 0 = no limit (behind a proxy that connects from one address). Default 128.
   */
  readonly maxConnectionsPerIp: number;
  /**
   * `TAMGA_TRUST_PROXY`: reverse proxies and load balancers whose `X-Forwarded-For` / `X-Forwarded-Proto` are
   * believed, as addresses or CIDRs, comma-separated (also `loopback`, `linklocal`, `uniquelocal`). Journalled IPs and
   * per-IP limits are then the client's, and the session cookie is `Secure` when the proxy says it took HTTPS.
   * Default none: `X-Forwarded-For` is ignored, as anyone can send it.
   */
  readonly trustProxy: readonly string[];
  /** `TAMGA_METRICS_TOKEN`: bearer token of `GET /metrics`; unset = only clients on this host (loopback) may scrape. */
  readonly metricsToken?: string;
}

/** The defaults of {@link HttpConfig}. */
export const DEFAULT_HTTP_CONFIG: HttpConfig = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 72_000,
  idleTimeoutMs: 300_000,
  maxConnectionsPerIp: 128,
  trustProxy: Object.freeze([]),
});

const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Parses `TAMGA_TRUST_PROXY`: each entry an address, an address/prefix, or a range name. */
function trustedProxies(raw: string | undefined): readonly string[] {
  if (raw === undefined || raw.trim() === '') return [];
  return raw.split(',').map((entry) => {
    const item = entry.trim();
    const [address = '', prefix, extra] = item.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const isValid =
      PROXY_RANGE_NAMES.has(item) ||
      (family !== 0 && extra === undefined && (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits)));
    if (!isValid) {
      throw new TamgaError('CONFIG_INVALID', `TAMGA_TRUST_PROXY: "${item}" is no address, CIDR range or one of loopback, linklocal, uniquelocal`, {
        field: 'TAMGA_TRUST_PROXY',
      });
    }
    return item;
  });
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallbackMs: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallbackMs;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new TamgaError('CONFIG_INVALID', `${name} must be a number of seconds of at least ${min}, not "${raw}"`, { field: name });
  return Math.round(n * 1000);
}

/** Reads the {@link HttpConfig} from the environment; a malformed or inconsistent value is `CONFIG_INVALID`. */
export function loadHttpConfig(env: NodeJS.ProcessEnv = process.env): HttpConfig {
  const headersTimeoutMs = seconds(env, 'TAMGA_HEADERS_TIMEOUT_SECONDS', DEFAULT_HTTP_CONFIG.headersTimeoutMs, 0.1);
  const requestTimeoutMs = seconds(env, 'TAMGA_REQUEST_TIMEOUT_SECONDS', DEFAULT_HTTP_CONFIG.requestTimeoutMs, 0.1);
  if (headersTimeoutMs > requestTimeoutMs) {
    // Node refuses it too: the headers are part of the request.
    throw new TamgaError('CONFIG_INVALID', 'TAMGA_HEADERS_TIMEOUT_SECONDS must not exceed TAMGA_REQUEST_TIMEOUT_SECONDS', {
      field: 'TAMGA_HEADERS_TIMEOUT_SECONDS',
    });
  }
  const raw = env.TAMGA_MAX_CONNECTIONS_PER_IP;
  const maxConnectionsPerIp = raw === undefined || raw === '' ? DEFAULT_HTTP_CONFIG.maxConnectionsPerIp : Number(raw);
  if (!Number.isInteger(maxConnectionsPerIp) || maxConnectionsPerIp < 0) {
    throw new TamgaError('CONFIG_INVALID', `TAMGA_MAX_CONNECTIONS_PER_IP must be a whole number (0 = no limit), not "${raw}"`, {
      field: 'TAMGA_MAX_CONNECTIONS_PER_IP',
    });
  }
  const metricsToken = env.TAMGA_METRICS_TOKEN === undefined || env.TAMGA_METRICS_TOKEN === '' ? undefined : env.TAMGA_METRICS_TOKEN;
  if (metricsToken !== undefined && metricsToken.length < 16) {
    throw new TamgaError('CONFIG_INVALID', 'TAMGA_METRICS_TOKEN must be at least 16 characters', { field: 'TAMGA_METRICS_TOKEN' });
  }
  return {
    ...(metricsToken !== undefined && { metricsToken }),
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: seconds(env, 'TAMGA_KEEP_ALIVE_TIMEOUT_SECONDS', DEFAULT_HTTP_CONFIG.keepAliveTimeoutMs, 0.1),
    idleTimeoutMs: seconds(env, 'TAMGA_IDLE_TIMEOUT_SECONDS', DEFAULT_HTTP_CONFIG.idleTimeoutMs, 1),
    maxConnectionsPerIp,
    trustProxy: trustedProxies(env.TAMGA_TRUST_PROXY),
  };
}
