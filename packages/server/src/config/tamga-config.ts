import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { TamgaError } from '@tamga/core';
import { loadAccessConfig } from '../auth/access-config.js';
import type { AccessConfig } from '../auth/access-config.js';
import { loadEvidenceConfig } from '../evidence/evidence-config.js';
import type { EvidenceConfig } from '../evidence/evidence-config.js';
import { loadStoreConfig } from '../store/store-config.js';
import type { StoreConfig } from '../store/store-config.js';
import { loadHttpConfig } from '../http/http-config.js';
import type { HttpConfig } from '../http/http-config.js';
import { loadForwardConfig } from '../forward/forward-config.js';
import type { ForwardConfig } from '../forward/forward-config.js';

/** Server configuration: environment variables with matching CLI flags (flags win). */
export interface TamgaConfig {
  /** `TAMGA_HOST` / `--host`. Default `127.0.0.1`. */
  readonly host: string;
  /** `TAMGA_PORT` / `--port`. Default 7300. */
  readonly port: number;
  /** `TAMGA_DATA_DIR` / `--data-dir`. Default `./data`. Holds the SQLite file and the keys. */
  readonly dataDir: string;
  /** `TAMGA_DATABASE_URL` / `--database-url`: `postgres://...` selects PostgreSQL; unset means SQLite. */
  readonly databaseUrl: string | undefined;
  /** `TAMGA_DATABASE_SCHEMA` / `--database-schema`: PostgreSQL schema of Tamga's tables. Default `tamga`. */
  readonly databaseSchema: string;
  /** `TAMGA_NODE_ID` / `--node-id`. Default: the host name. */
  readonly nodeId: string;
  /** `TAMGA_ADMIN_API_KEY`: a fixed administrator key (for automation); else one is made on first start. */
  readonly adminApiKey: string | undefined;
  /** `TAMGA_KEYS_DIR` / `--keys-dir`. Default `<data dir>/keys`. Nodes sharing a database share it. */
  readonly keysDir: string;
  /** `TAMGA_LOG_ORIGIN` / `--log-origin`: prefix of log origins in checkpoints. Default `tamga`. */
  readonly logOrigin: string;
  /** `TAMGA_LOG_LEVEL` / `--log-level` (pino levels). Default `warn`. */
  readonly logLevel: string;
  /**
   * `TAMGA_CATALOG_DIR` / `--catalog-dir`: tenant catalogue files `<tenantId>.json|.yaml|.yml` registered at
   * start-up (`default.*` is the default tenant). Unset: none.
   */
  readonly catalogDir: string | undefined;
  /** Users, sessions and abuse limits: `TAMGA_ADMIN_PASSWORD`, `TAMGA_LOGIN_*`, `TAMGA_INGEST_*`, ... (see AccessConfig). */
  readonly access: AccessConfig;
  /** Checkpoint publishing (`TAMGA_CHECKPOINT_DIR`, `TAMGA_CHECKPOINT_WEBHOOK`), key overlap, self-check (see EvidenceConfig). */
  readonly evidence: EvidenceConfig;
  /** Free disk space kept for SQLite, PostgreSQL timeouts: `TAMGA_MIN_FREE_DISK_MB`, `TAMGA_DATABASE_*_TIMEOUT_SECONDS`. */
  readonly store: StoreConfig;
  /** Timeouts and the per-address connection limit of the HTTP server (`TAMGA_*_TIMEOUT_SECONDS`, see HttpConfig). */
  readonly http: HttpConfig;
  /** Forwarding: `TAMGA_FORWARD_FILE`, `TAMGA_FORWARD_ALARM_MINUTES` (see ForwardConfig). */
  readonly forward: ForwardConfig;
}

/** The log levels `TAMGA_LOG_LEVEL` takes (pino's). */
const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const FLAGS: Readonly<Record<string, keyof TamgaConfig>> = {
  '--host': 'host',
  '--port': 'port',
  '--data-dir': 'dataDir',
  '--database-url': 'databaseUrl',
  '--database-schema': 'databaseSchema',
  '--node-id': 'nodeId',
  '--keys-dir': 'keysDir',
  '--log-origin': 'logOrigin',
  '--log-level': 'logLevel',
  '--catalog-dir': 'catalogDir',
};

/** Reads the configuration from `env` and `args` (`--flag value` or `--flag=value`). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, args: readonly string[] = []): TamgaConfig {
  const flags: Partial<Record<keyof TamgaConfig, string>> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const key = FLAGS[name];
    if (key === undefined) throw new TamgaError('CONFIG_INVALID', `Unknown option ${name}`, { field: name });
    const value = inline ?? args[++i];
    if (value === undefined) throw new TamgaError('CONFIG_INVALID', `Option ${name} needs a value`, { field: name });
    flags[key] = value;
  }
  const pick = (key: keyof TamgaConfig, envName: string): string | undefined => {
    const v = flags[key] ?? env[envName];
    return v === '' ? undefined : v;
  };
  const portText = pick('port', 'TAMGA_PORT') ?? '7300';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    const field = flags.port !== undefined ? '--port' : 'TAMGA_PORT';
    throw new TamgaError('CONFIG_INVALID', `${field} must be a port number (0 to 65535), not "${portText}"`, { field });
  }
  const dataDir = resolve(pick('dataDir', 'TAMGA_DATA_DIR') ?? './data');
  const databaseUrl = pick('databaseUrl', 'TAMGA_DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    const field = flags.databaseUrl !== undefined ? '--database-url' : 'TAMGA_DATABASE_URL';
    throw new TamgaError('CONFIG_INVALID', `${field} must start with postgres:// or postgresql://`, { field });
  }
  const logLevel = pick('logLevel', 'TAMGA_LOG_LEVEL') ?? 'warn';
  if (!LOG_LEVELS.includes(logLevel)) {
    const field = flags.logLevel !== undefined ? '--log-level' : 'TAMGA_LOG_LEVEL';
    throw new TamgaError('CONFIG_INVALID', `${field} must be one of ${LOG_LEVELS.join(', ')}, not "${logLevel}"`, { field });
  }
  return {
    host: pick('host', 'TAMGA_HOST') ?? '127.0.0.1',
    port,
    dataDir,
    databaseUrl,
    databaseSchema: pick('databaseSchema', 'TAMGA_DATABASE_SCHEMA') ?? 'tamga',
    nodeId: pick('nodeId', 'TAMGA_NODE_ID') ?? hostname(),
    adminApiKey: env.TAMGA_ADMIN_API_KEY === '' ? undefined : env.TAMGA_ADMIN_API_KEY,
    keysDir: resolve(pick('keysDir', 'TAMGA_KEYS_DIR') ?? join(dataDir, 'keys')),
    logOrigin: pick('logOrigin', 'TAMGA_LOG_ORIGIN') ?? 'tamga',
    logLevel,
    catalogDir: ((dir) => (dir === undefined ? undefined : resolve(dir)))(pick('catalogDir', 'TAMGA_CATALOG_DIR')),
    access: loadAccessConfig(env),
    evidence: loadEvidenceConfig(env),
    store: loadStoreConfig(env),
    http: loadHttpConfig(env),
    forward: loadForwardConfig(env),
  };
}
