import { createTamgaServer, loadConfig } from '@tamga/server';
import type { TamgaConfig } from '@tamga/server';

/** `tamga serve [--host H] [--port P] [--data-dir D] [--database-url URL] [--node-id N]`: runs the server. */
export async function serve(args: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const config = loadConfig(process.env, args);
  const server = await createTamgaServer(config, { logger: { level: config.logLevel } });
  const address = await server.http.listen({ host: config.host, port: config.port });
  const url = address.replace('://127.0.0.1', '://localhost').replace('://[::1]', '://localhost');
  const store =
    config.databaseUrl === undefined ? `SQLite in ${config.dataDir}` : `PostgreSQL ${redact(config.databaseUrl)}`;
  out.write(serveBanner({ url, store, config, createdAdminPassword: server.createdAdminPassword, createdApiKey: server.createdApiKey }));

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
