/**
 * @tamga/cli — the `tamga` command. One file per command in `commands/`.
 */
import { isTamgaError } from '@tamga/core';
import { catalogList } from './commands/catalog-list.js';
import { catalogValidate } from './commands/catalog-validate.js';
import { serve } from './commands/serve.js';
import { exportBundle } from './commands/export.js';
import { keys } from './commands/keys.js';
import { verify } from './commands/verify.js';
import { verifyReceipt } from './commands/verify-receipt.js';
import { users } from './commands/users.js';
import { pullEvents } from './commands/pull-events.js';

const USAGE = `Usage: tamga <command> [options]

Commands:
  serve      Run the Tamga server (SQLite in ./data by default; TAMGA_DATABASE_URL for PostgreSQL)
  catalog validate FILE...   Check catalogue files (JSON/YAML); problems as FILE:LINE, exit 1 on any
  catalog list [--catalog X] [--lang ru]   List the built-in catalogue entries
  users list|create|update|disable|reset-password   Manage users on the configured store ("tamga users help")
  export --url URL --api-key KEY --tenant T [--from --to] --out DIR   Download an evidence bundle
  verify DIR|FILE [--keys F] [--hmac-key F] [--trusted-checkpoint F] [--save-checkpoint F] [--json]
             Verify a bundle directory or a downloaded bundle file offline (exit 0 valid, 1 tampered,
             2 unusable input)
  verify-receipt FILE [--keys F] [--hmac-key F] [--json]   Verify one event's receipt alone
  keys list | keys rotate --hmac|--checkpoint   Keys in the keys directory (rotation applies at next start)
  pull-events --source-url URL [--source-token T] --url URL --api-key KEY --tenant T --state FILE [--follow]
             [--interval S]   Copy an asset server's events (seed 004 Event API) into a tenant, every type, once
  help       Show this help

Configuration: environment variables TAMGA_HOST, TAMGA_PORT, TAMGA_DATA_DIR, TAMGA_DATABASE_URL,
TAMGA_NODE_ID, TAMGA_ADMIN_API_KEY, TAMGA_KEYS_DIR, TAMGA_LOG_ORIGIN, TAMGA_LOG_LEVEL, TAMGA_CATALOG_DIR, or the
matching flags (--host, --port, --data-dir, --database-url, --node-id, --keys-dir, --log-origin, --log-level,
--catalog-dir).
`;

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serve(args);
      case 'export':
        return await exportBundle(args);
      case 'verify':
        return await verify(args);
      case 'verify-receipt':
        return await verifyReceipt(args);
      case 'keys':
        return await keys(args);
      case 'users':
        return await users(args);
      case 'pull-events':
        return await pullEvents(args);
      case 'catalog':
        if (args[0] === 'validate') return catalogValidate(args.slice(1));
        if (args[0] === 'list') return catalogList(args.slice(1));
        process.stderr.write(`Unknown catalog command "${args[0] ?? ''}": use "catalog validate" or "catalog list".\n`);
        return 2;
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
