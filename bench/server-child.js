// Runs a Tamga server in its own process for the benchmark, so the load generator does not share its
// event loop. Prints {"url": ...} on stdout once listening; stops on SIGTERM.
import { createTamgaServer, loadConfig } from '@tamga/server';

const config = loadConfig(process.env);
const server = await createTamgaServer(config);
const url = await server.http.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url, pid: process.pid })}\n`);
process.on('message', (msg) => {
  if (msg === 'rss') process.send?.({ rss: process.memoryUsage().rss });
});
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
