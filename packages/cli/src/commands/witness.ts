import { resolve } from 'node:path';
import { TamgaError } from '@tamga/core';
import { buildWitnessServer, parseWitnessedLogs } from '@tamga/server';

const USAGE = `Usage: tamga witness --log ORIGIN=VERIFIER_KEY [--log …] [--data-dir DIR] [--name NAME] [--host H] [--port P]

Runs a C2SP tlog-witness: POST /add-checkpoint cosigns a checkpoint of a configured log only when it is signed by
the log's key and consistent with the last checkpoint of that log this witness cosigned.
  --log ORIGIN=KEY  a log to witness: its origin (ORIGIN ending in * = every origin with that prefix, e.g. all
                    tenant logs of one Tamga) and its checkpoint verifier key (GET /.well-known/tamga-keys);
                    repeat for more logs or keys (TAMGA_WITNESS_LOGS: the same, one per line)
  --data-dir DIR    the witness key (created at first start) and its state (TAMGA_WITNESS_DATA_DIR, ./witness)
  --name NAME       the key name at first start (TAMGA_WITNESS_NAME, default tamga-witness)
  --host, --port    where to listen (TAMGA_WITNESS_HOST 127.0.0.1, TAMGA_WITNESS_PORT 7380)
`;

/** `tamga witness`: a minimal C2SP tlog-witness server. */
export async function witness(args: readonly string[], out: NodeJS.WritableStream = process.stdout, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const logs: string[] = (env.TAMGA_WITNESS_LOGS ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  let dataDir = env.TAMGA_WITNESS_DATA_DIR || './witness';
  let name = env.TAMGA_WITNESS_NAME || undefined;
  let host = env.TAMGA_WITNESS_HOST || '127.0.0.1';
  let port = env.TAMGA_WITNESS_PORT || '7380';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') {
      out.write(USAGE);
      return 0;
    }
    // --flag value or --flag=value (the first = splits: --log=ORIGIN=KEY works too).
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = inline ?? args[++i];
    if (value === undefined) throw new TamgaError('CONFIG_INVALID', `Option ${flag} needs a value`, { field: flag });
    if (flag === '--log') logs.push(value);
    else if (flag === '--data-dir') dataDir = value;
    else if (flag === '--name') name = value;
    else if (flag === '--host') host = value;
    else if (flag === '--port') port = value;
    else throw new TamgaError('CONFIG_INVALID', `Unknown option ${flag} (tamga witness --help)`, { field: flag });
  }
  if (logs.length === 0) throw new TamgaError('CONFIG_INVALID', 'Name at least one log to witness: --log ORIGIN=VERIFIER_KEY', { field: '--log' });
  const portNumber = Number(port);
  if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65535) {
    throw new TamgaError('CONFIG_INVALID', `--port must be a port number, not "${port}"`, { field: '--port' });
  }
  const server = await buildWitnessServer({ dataDir: resolve(dataDir), ...(name !== undefined && { name }), logs: parseWitnessedLogs(logs) });
  const address = await server.http.listen({ host, port: portNumber });
  out.write(
    [
      `Tamga witness listening on ${address}`,
      `  verifier key: ${server.key.key.text}`,
      `  data: ${resolve(dataDir)}`,
      ...parseWitnessedLogs(logs).map((l) => `  witnesses: ${l.origin}`),
      '',
    ].join('\n'),
  );
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.http.close();
  return 0;
}
