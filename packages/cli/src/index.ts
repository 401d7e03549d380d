/**
 * @tamga/cli — the `tamga` command. One file per command in `commands/`, each loaded only when run (so `--version`
 * and usage errors answer at once).
 */
import { readFileSync } from 'node:fs';
import { isTamgaError } from '@tamga/core';
import { CliExit, usageError } from './cli-args.js';
import { FetchWatch } from './network-errors.js';

const USAGE = `Usage: tamga <command> [options]      tamga <command> --help      tamga --version

Commands:
  serve            Run the Tamga server: API and journal page (SQLite in ./data by default, or PostgreSQL)
  users            Manage users on the configured store: list, create, update, disable, reset-password
  keys             List the signing keys, or rotate one (applies at the next start)
  catalog          Check catalogue files (catalog validate FILE...), list the built-in entries (catalog list)
  send             Send events (NDJSON on standard input), batched and retried, each stored once
  ingest-log       Send the business platform's log files (seed 003) as events, once
  pull-events      Copy an asset server's events (seed 004 Event API) into a tenant, once
  export           Download a tenant's log as an evidence bundle directory
  compact          Rewrite the SQLite journal of a stopped server (16 KiB pages, space freed by purges)
  verify           Verify an evidence bundle offline (exit 0 valid, 1 tampered, 2 unusable input, 3 not witnessed)
  witness          Run a C2SP tlog-witness that cosigns checkpoints consistent with those it cosigned before
  verify-receipt   Verify one event's receipt offline
  help [COMMAND]   Show this help, or a command's

Every command answers --help. Exit status 2 means wrong usage or configuration.
`;

const CATALOG_USAGE = `Usage: tamga catalog validate [--builtin ID,...] FILE...
       tamga catalog list [--catalog ID] [--lang en|ru] [--json]
"tamga catalog validate --help" and "tamga catalog list --help" tell more.
`;

/** The version of the `tamga` command: the CLI package's (the same relative path from `src` and `dist`). */
export function cliVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code. Help goes to stdout (exit 0); a usage
 * error (`CliExit`), a coded error (`TamgaError`) and a network error of any command are one line on stderr and exit 2;
 * a network error names the URL and the cause.
 */
export async function main(argv: readonly string[], err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const [command, ...args] = argv;
  const network = new FetchWatch();
  network.install();
  try {
    switch (command) {
      case 'serve':
        return await (await import('./commands/serve.js')).serve(args);
      case 'export':
        return await (await import('./commands/export.js')).exportBundle(args);
      case 'send':
        return await (await import('./commands/send.js')).send(args);
      case 'ingest-log':
        return await (await import('./commands/ingest-log.js')).ingestLog(args);
      case 'verify':
        return await (await import('./commands/verify.js')).verify(args);
      case 'verify-receipt':
        return await (await import('./commands/verify-receipt.js')).verifyReceipt(args);
      case 'keys':
        return await (await import('./commands/keys.js')).keys(args);
      case 'compact':
        return await (await import('./commands/compact.js')).compact(args);
      case 'users':
        return await (await import('./commands/users.js')).users(args);
      case 'pull-events':
        return await (await import('./commands/pull-events.js')).pullEvents(args);
      case 'witness':
        return await (await import('./commands/witness.js')).witness(args);
      case 'catalog':
        if (args[0] === 'validate') return (await import('./commands/catalog-validate.js')).catalogValidate(args.slice(1));
        if (args[0] === 'list') return (await import('./commands/catalog-list.js')).catalogList(args.slice(1));
        if (args[0] === undefined || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') throw new CliExit(args[0] === undefined ? 2 : 0, CATALOG_USAGE);
        throw usageError('tamga catalog', `unknown action "${args[0]}" (validate or list)`);
      case '--version':
      case '-V':
      case 'version':
        process.stdout.write(`tamga ${cliVersion()}\n`);
        return 0;
      case 'help':
        if (args[0] !== undefined && args[0] !== 'help') return await main([args[0], '--help'], err);
        process.stdout.write(USAGE);
        return 0;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return 0;
      case undefined:
        err.write(USAGE);
        return 2;
      default:
        throw usageError('tamga', command.startsWith('-') ? `unknown option ${command}` : `unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof CliExit) {
      (error.toStdout ? process.stdout : err).write(error.output);
      return error.exitCode;
    }
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
