/** The options of the commands that open the server's store or keys (`serve`, `users`, `keys`), as `loadConfig` takes them. */

/** The flags `loadConfig` reads (each also an environment variable, see {@link SERVER_OPTIONS_USAGE}). */
export const SERVER_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
  'database-schema': { type: 'string' },
  'node-id': { type: 'string' },
  'keys-dir': { type: 'string' },
  'log-origin': { type: 'string' },
  'log-level': { type: 'string' },
  'catalog-dir': { type: 'string' },
} as const;

/** pino's levels, the values `--log-level` takes. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const SERVER_OPTIONS_USAGE = `Server options (each flag wins over its environment variable):
  --host H             TAMGA_HOST          address to listen on (default 127.0.0.1)
  --port P             TAMGA_PORT          port (default 7300; 0 picks a free one)
  --data-dir D         TAMGA_DATA_DIR      SQLite file and keys (default ./data)
  --database-url URL   TAMGA_DATABASE_URL  postgres://... selects PostgreSQL (default: SQLite in the data dir)
  --database-schema S  TAMGA_DATABASE_SCHEMA  PostgreSQL schema (default tamga)
  --node-id N          TAMGA_NODE_ID       this node's name (default: the host name)
  --keys-dir D         TAMGA_KEYS_DIR      signing keys (default <data dir>/keys)
  --log-origin O       TAMGA_LOG_ORIGIN    prefix of log origins in checkpoints (default tamga)
  --log-level L        TAMGA_LOG_LEVEL     ${LOG_LEVELS.join(', ')} (default warn)
  --catalog-dir D      TAMGA_CATALOG_DIR   tenant catalogue files <tenant>.json|.yaml registered at start`;

/** The given server options as `--name=value` arguments for `loadConfig`. */
export function serverFlags(values: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(SERVER_OPTIONS).flatMap((name) => {
    const value = values[name];
    return typeof value === 'string' ? [`--${name}=${value}`] : [];
  });
}
