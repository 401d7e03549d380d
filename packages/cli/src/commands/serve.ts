import { createTamgaServer, loadConfig } from '@tamga/server';

/** `tamga serve [--host H] [--port P] [--data-dir D] [--database-url URL] [--node-id N]`: runs the server. */
export async function serve(args: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const config = loadConfig(process.env, args);
  const server = await createTamgaServer(config, { logger: { level: config.logLevel } });
  const address = await server.http.listen({ host: config.host, port: config.port });
  const url = address.replace('://127.0.0.1', '://localhost').replace('://[::1]', '://localhost');
  const store =
    config.databaseUrl === undefined ? `SQLite in ${config.dataDir}` : `PostgreSQL ${redact(config.databaseUrl)}`;
  const lines = [
    `Tamga is listening on ${url}`,
    `  journal page: ${url}/   (sign in with the API key)`,
    `  store: ${store}   node: ${config.nodeId}   keys: ${config.keysDir}`,
    `  API:   ${url}/api/v1/events   (OpenAPI: ${url}/api/v1/openapi.json)`,
  ];
  if (server.createdApiKey !== undefined) {
    lines.push(
      '',
      '  An administrator API key was created. It is shown only this once: save it now.',
      `    ${server.createdApiKey}`,
      '',
      `  Try: curl -H "Authorization: Bearer ${server.createdApiKey}" "${url}/api/v1/events"`,
    );
  } else if (config.adminApiKey !== undefined) {
    lines.push('  Log in with the API key in TAMGA_ADMIN_API_KEY.');
  } else {
    lines.push('  Log in with the API key printed at first start (or set TAMGA_ADMIN_API_KEY).');
  }
  out.write(`${lines.join('\n')}\n`);

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
