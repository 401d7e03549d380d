/**
 * @tamga/cli — the `tamga` command. One file per command in `commands/`.
 */
import { isTamgaError } from '@tamga/core';
import { serve } from './commands/serve.js';

const USAGE = `Usage: tamga <command> [options]

Commands:
  serve      Run the Tamga server (SQLite in ./data by default; TAMGA_DATABASE_URL for PostgreSQL)
  help       Show this help

Configuration: environment variables TAMGA_HOST, TAMGA_PORT, TAMGA_DATA_DIR, TAMGA_DATABASE_URL,
TAMGA_NODE_ID, TAMGA_ADMIN_API_KEY, TAMGA_KEYS_DIR, TAMGA_LOG_ORIGIN, TAMGA_LOG_LEVEL, or the matching
flags (--host, --port, --data-dir, --database-url, --node-id, --keys-dir, --log-origin, --log-level).
`;

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(args);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return 0;
      default:
        process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (isTamgaError(error)) {
      process.stderr.write(`tamga: ${error.message} [${error.code}]\n`);
      return 2;
    }
    throw error;
  }
}
