/**
 * @tamga/cli — the `tamga` command. One file per command in `commands/`.
 */
import { isTamgaError } from '@tamga/core';
import { FetchWatch } from './network-errors.js';
import { catalogList } from './commands/catalog-list.js';
import { catalogValidate } from './commands/catalog-validate.js';
import { serve } from './commands/serve.js';
import { exportBundle } from './commands/export.js';
import { send } from './commands/send.js';
import { ingestLog } from './commands/ingest-log.js';
import { keys } from './commands/keys.js';
import { verify } from './commands/verify.js';
import { verifyReceipt } from './commands/verify-receipt.js';
import { users } from './commands/users.js';
import { pullEvents } from './commands/pull-events.js';
import { witness } from './commands/witness.js';

const USAGE = `Usage: tamga <command> [options]

Commands:
  serve      Run the Tamga server (SQLite in ./data by default; TAMGA_DATABASE_URL for PostgreSQL)
  catalog validate FILE...   Check catalogue files (JSON/YAML); problems as FILE:LINE, exit 1 on any
  catalog list [--catalog X] [--lang ru]   List the built-in catalogue entries
  users list|create|update|disable|reset-password   Manage users on the configured store ("tamga users help")
  send --url URL --api-key KEY [--spool DIR] [--tenant T] [--timeout S] < events.ndjson
             Send events (NDJSON on stdin) through the SDK: batched, retried, stored once; with --spool, kept on
             disk until delivered (exit 0 all stored, 1 some refused, 3 some not delivered in time)
  export --url URL --api-key KEY --tenant T [--from --to] --out DIR   Download an evidence bundle
  ingest-log --url URL --api-key KEY --tenant T --state FILE [--timezone TZ] [--follow] [--dry-run] PATH...
             Send the business platform's log files (seed 003) as events, once ("tamga ingest-log --help")
  verify DIR|FILE [--keys F] [--hmac-key F] [--trusted-checkpoint F] [--save-checkpoint F] [--json]
             Verify a bundle directory or a downloaded bundle file offline (exit 0 valid, 1 tampered,
             2 unusable input)
  verify-receipt FILE [--keys F] [--hmac-key F] [--json]   Verify one event's receipt alone
  keys list | keys rotate --hmac|--checkpoint   Keys in the keys directory (rotation applies at next start)
  pull-events --source-url URL [--source-token T] --url URL --api-key KEY --tenant T --state FILE [--follow]
             [--interval S]   Copy an asset server's events (seed 004 Event API) into a tenant, every type, once
  witness --log ORIGIN=KEY [--data-dir D] [--name N] [--port P]   Run a C2SP tlog-witness that cosigns checkpoints
             consistent with those it cosigned before ("tamga witness --help")
  help       Show this help

Configuration: environment variables TAMGA_HOST, TAMGA_PORT, TAMGA_DATA_DIR, TAMGA_DATABASE_URL,
TAMGA_NODE_ID, TAMGA_ADMIN_API_KEY, TAMGA_KEYS_DIR, TAMGA_LOG_ORIGIN, TAMGA_LOG_LEVEL, TAMGA_CATALOG_DIR,
TAMGA_TLOG_PUBLIC_TENANTS, TAMGA_WITNESS_FILE (README, "Configuration"), or the
matching flags (--host, --port, --data-dir, --database-url, --node-id, --keys-dir, --log-origin, --log-level,
--catalog-dir).
`;

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code. A coded error (`TamgaError`) and a
 * network error of any command are one line on stderr and exit 2; a network error names the URL and the cause.
 */
export async function main(argv: readonly string[], err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const [command, ...args] = argv;
  const network = new FetchWatch();
  network.install();
  try {
    switch (command) {
      case 'serve':
        return await serve(args);
      case 'export':
        return await exportBundle(args);
      case 'send':
        return await send(args);
      case 'ingest-log':
        return await ingestLog(args);
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
      case 'witness':
        return await witness(args);
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
      err.write(`tamga: ${error.message} [${error.code}]\n`);
      return 2;
    }
    const unreachable = network.describe(error);
    if (unreachable !== undefined) {
      err.write(`tamga: ${unreachable} [SERVER_UNREACHABLE]\n`);
      return 2;
    }
    throw error;
  } finally {
    network.restore();
  }
}
