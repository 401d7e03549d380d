import { TamgaError } from '@tamga/core';
import { createTamgaServer, limitHeapGrowth, loadConfig, shouldLimitHeapGrowth } from '@tamga/server';
import type { ListeningServer, TamgaConfig } from '@tamga/server';
import { parseCommand } from '../cli-args.js';
import { LOG_LEVELS, SERVER_OPTIONS, SERVER_OPTIONS_USAGE, serverFlags } from '../server-options.js';

const USAGE = `Usage: tamga serve [server options]
Runs the Tamga server: the HTTP API and the journal page. SQLite in the data directory by default, PostgreSQL with
--database-url. At first start it creates the signing keys, an administrator (login admin, a one-time password) and
an administrator API key, and prints the password and the key once, after it listens. SIGINT or SIGTERM stop it.

${SERVER_OPTIONS_USAGE}

Other settings are environment variables only (TAMGA_ADMIN_API_KEY, TAMGA_ADMIN_PASSWORD, TAMGA_CHECKPOINT_DIR,
TAMGA_FORWARD_FILE, ...): see the README's configuration table.`;

/** `tamga serve [server options]`: runs the server until SIGINT or SIGTERM. */
export async function serve(args: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values } = parseCommand({ command: 'tamga serve', usage: USAGE, options: SERVER_OPTIONS, choices: { 'log-level': LOG_LEVELS } }, args);
  const config = loadConfig(process.env, serverFlags(values));
  // This process is the server's alone: on SQLite, whose page caches and writer live in it, its heaps are kept close to
  // what they hold live. On PostgreSQL that cost the request thread, which then does all of an append's work, 8 µs of
  // CPU per event, for a process that stays near 210 MB with V8's own growth (decision 0054).
  if (shouldLimitHeapGrowth(config)) limitHeapGrowth();
  // The first start's one-time secrets are made only once the server listens: a start that fails (a port in use)
  // leaves nothing behind that the next start could not show.
  const server = await createTamgaServer(config, { logger: { level: config.logLevel }, credentialsOnListen: true });
  let started: ListeningServer;
  try {
    started = await server.listen({ host: config.host, port: config.port });
  } catch (error) {
    await server.close();
    throw listenError(error, config);
  }
  const url = started.address.replace('://127.0.0.1', '://localhost').replace('://[::1]', '://localhost');
  const store =
    config.databaseUrl === undefined ? `SQLite in ${config.dataDir}` : `PostgreSQL ${redact(config.databaseUrl)}`;
  out.write(serveBanner({ url, store, config, createdAdminPassword: started.createdAdminPassword, createdApiKey: started.createdApiKey }));

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      out.write('Tamga is stopping...\n');
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  return 0;
}

/** A failure to listen as one line naming the address and what to do (a port in use, a port needing privileges). */
function listenError(error: unknown, config: Pick<TamgaConfig, 'host' | 'port'>): unknown {
  const code = (error as { code?: unknown }).code;
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE') {
    return new TamgaError('CONFIG_INVALID', `Cannot listen on ${where}: the port is in use by another program; stop it or choose another port (--port, TAMGA_PORT)`, { field: 'TAMGA_PORT' });
  }
  if (code === 'EACCES') {
    return new TamgaError('CONFIG_INVALID', `Cannot listen on ${where}: permission denied (ports below 1024 need privileges); choose another port (--port, TAMGA_PORT)`, { field: 'TAMGA_PORT' });
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new TamgaError('CONFIG_INVALID', `Cannot listen on ${where}: this machine has no such address (--host, TAMGA_HOST)`, { field: 'TAMGA_HOST' });
  }
  return error;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/**
 * What `tamga serve` prints once it listens. At first start it shows the administrator's one-time password
 * (and the bootstrap API key, when one was generated) exactly once.
 */
export function serveBanner(b: {
  url: string;
  store: string;
  config: Pick<TamgaConfig, 'nodeId' | 'keysDir' | 'adminApiKey'>;
  createdAdminPassword: string | undefined;
  createdApiKey: string | undefined;
}): string {
  const lines = [
    `Tamga is listening on ${b.url}`,
    `  journal page: ${b.url}/`,
    `  store: ${b.store}   node: ${b.config.nodeId}   keys: ${b.config.keysDir}`,
    `  API:   ${b.url}/api/v1/events   (OpenAPI: ${b.url}/api/v1/openapi.json)`,
  ];
  if (b.createdAdminPassword !== undefined) {
    lines.push(
      '',
      '  First start: the administrator account was created. Its one-time password is shown only now;',
      '  sign in at the journal page and choose a new one.',
      '    login:    admin',
      `    password: ${b.createdAdminPassword}`,
    );
  }
  if (b.createdApiKey !== undefined) {
    lines.push(
      '',
      '  An administrator API key for automation was created. It is shown only this once: save it now.',
      `    ${b.createdApiKey}`,
      '',
      `  Try: curl -H "Authorization: Bearer ${b.createdApiKey}" "${b.url}/api/v1/events"`,
    );
  } else if (b.config.adminApiKey !== undefined) {
    lines.push('  Automation may use the API key in TAMGA_ADMIN_API_KEY.');
  }
  if (b.createdAdminPassword === undefined) {
    lines.push('  Sign in as a user (tamga users list), or use an API key.');
  }
  return `${lines.join('\n')}\n`;
}
