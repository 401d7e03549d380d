import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TamgaError } from '@tamga/core';
import { parse as parseYaml } from 'yaml';

/** Keys of a file entry that name a file whose content is the value of another key. */
const FILE_KEYS: Readonly<Record<string, string>> = { tokenFile: 'token', secretFile: 'secret', caFile: 'ca', certFile: 'cert', keyFile: 'key' };

function invalid(path: string, where: string, message: string): never {
  throw new TamgaError('CONFIG_INVALID', `TAMGA_FORWARD_FILE ${path}: ${where}${message}`, { field: 'TAMGA_FORWARD_FILE' });
}

/**
 * Reads `TAMGA_FORWARD_FILE`: JSON or YAML `{ "destinations": [ … ] }`, each entry the body of
 * `POST /api/v1/forwarding/destinations`. Two conveniences keep secrets out of the file: a string `${NAME}` is the
 * environment variable NAME, and `tokenFile`, `secretFile`, `tls.caFile`, `tls.certFile` and `tls.keyFile` name a
 * file (relative to this one) holding the value.
 *
 * @returns the entries as API bodies, names unique.
 * @throws TamgaError `CONFIG_INVALID` naming the file and the entry: the server does not start.
 */
export function readForwardFile(path: string, env: NodeJS.ProcessEnv = process.env): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    invalid(path, '', `cannot be read (${(error as Error).message})`);
  }
  let document: unknown;
  try {
    document = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 50 });
  } catch (error) {
    invalid(path, '', `is not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'} (${(error as Error).message})`);
  }
  const destinations = (document as { destinations?: unknown } | null)?.destinations;
  if (typeof document !== 'object' || document === null || !Array.isArray(destinations)) invalid(path, '', 'must be an object with a "destinations" list');
  const names = new Set<string>();
  return destinations.map((entry, i) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) invalid(path, `destinations[${i}]: `, 'must be an object');
    const body = resolveValues(entry as Record<string, unknown>, dirname(path), env, path, `destinations[${i}]`);
    const name = body.name;
    if (typeof name === 'string') {
      if (names.has(name)) invalid(path, `destinations[${i}]: `, `the name "${name}" is used twice`);
      names.add(name);
    }
    return body;
  });
}

/** Replaces `${NAME}` strings with the environment's values and `*File` keys with the files' contents. */
function resolveValues(object: Record<string, unknown>, dir: string, env: NodeJS.ProcessEnv, path: string, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    const at = `${where}.${key}`;
    const target = FILE_KEYS[key];
    if (target !== undefined) {
      if (typeof value !== 'string') invalid(path, `${at}: `, 'must be a file name');
      if (object[target] !== undefined) invalid(path, `${at}: `, `give ${key} or ${target}, not both`);
      try {
        const content = readFileSync(resolve(dir, value), 'utf8');
        // Secrets kept in files usually end with a line break that is not part of them.
        out[target] = target === 'token' || target === 'secret' ? content.replace(/\r?\n$/, '') : content;
      } catch (error) {
        invalid(path, `${at}: `, `cannot read ${value} (${(error as Error).message})`);
      }
      continue;
    }
    out[key] = resolveValue(value, dir, env, path, at);
  }
  return out;
}

function resolveValue(value: unknown, dir: string, env: NodeJS.ProcessEnv, path: string, at: string): unknown {
  if (typeof value === 'string') {
    const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(value);
    if (m === null) return value;
    const fromEnv = env[m[1]!];
    if (fromEnv === undefined) invalid(path, `${at}: `, `environment variable ${m[1]} is not set`);
    return fromEnv;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return resolveValues(value as Record<string, unknown>, dir, env, path, at);
  return value;
}
