import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isTamgaError, parseWitnessKey, TamgaError } from '@tamga/core';

/** A witness the log submits its checkpoints to (c2sp.org/tlog-witness). */
export interface WitnessEndpoint {
  /** The witness's URL prefix: checkpoints are posted to `<url>/add-checkpoint`. */
  readonly url: string;
  /** Its cosignature verifier key, `name+hexkeyid+base64(0x04 ‖ public key)` (c2sp.org/tlog-cosignature). */
  readonly key: string;
  /** The key's name: the name on the cosignature lines it adds. */
  readonly name: string;
}

/** How tenant logs are shown to the world: the tlog-tiles read API and the witnesses. */
export interface TlogConfig {
  /**
   * `TAMGA_TLOG_PUBLIC_TENANTS`: comma-separated tenants whose log (checkpoint, tiles, entry bundles under
   * `/tlog/<tenant>/`) anyone may read without credentials; `default` names the default tenant, `*` every tenant.
   * Unset: none — every tenant's log is private (an API key or session that may read the tenant).
   */
  readonly publicTenants: readonly string[] | '*';
  /** `TAMGA_WITNESS_FILE`: a JSON file `{"witnesses": [{"url": …, "key": …}]}`. Unset: no witnesses. */
  readonly witnesses: readonly WitnessEndpoint[];
  /** `TAMGA_WITNESS_TIMEOUT_SECONDS`: how long one submission to a witness may take. Default 10. */
  readonly witnessTimeoutMs: number;
}

/** A {@link TlogConfig} with nothing public and no witnesses. */
export const DEFAULT_TLOG_CONFIG: TlogConfig = Object.freeze({ publicTenants: [], witnesses: [], witnessTimeoutMs: 10_000 });

function invalid(field: string, message: string, cause?: unknown): TamgaError {
  return new TamgaError('CONFIG_INVALID', message, { field }, { cause });
}

/** Reads the {@link TlogConfig} from the environment (and the witness file it names). */
export function loadTlogConfig(env: NodeJS.ProcessEnv = process.env): TlogConfig {
  const publicText = env.TAMGA_TLOG_PUBLIC_TENANTS ?? '';
  const publicTenants =
    publicText.trim() === '*'
      ? '*'
      : publicText
          .split(',')
          .map((t) => t.trim())
          .filter((t) => t !== '');
  const timeoutText = env.TAMGA_WITNESS_TIMEOUT_SECONDS;
  const timeout = timeoutText === undefined || timeoutText === '' ? 10 : Number(timeoutText);
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw invalid('TAMGA_WITNESS_TIMEOUT_SECONDS', `TAMGA_WITNESS_TIMEOUT_SECONDS must be a positive number, not "${timeoutText}"`);
  }
  const file = env.TAMGA_WITNESS_FILE;
  const witnesses = file === undefined || file === '' ? [] : readWitnessFile(resolve(file));
  return { publicTenants, witnesses, witnessTimeoutMs: timeout * 1000 };
}

/** Reads `{"witnesses": [{"url": "http://…", "key": "name+id+key"}]}`. */
export function readWitnessFile(path: string): WitnessEndpoint[] {
  const field = 'TAMGA_WITNESS_FILE';
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw invalid(field, `${path}: cannot read the witness file as JSON (${(error as Error).message})`, error);
  }
  const list = (parsed as { witnesses?: unknown } | null)?.witnesses;
  if (!Array.isArray(list)) throw invalid(field, `${path}: expected {"witnesses": [{"url": …, "key": …}]}`);
  return list.map((item: unknown, i) => {
    const { url, key } = (item ?? {}) as { url?: unknown; key?: unknown };
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) throw invalid(field, `${path}: witnesses[${i}].url must be an http(s) URL`);
    if (typeof key !== 'string') throw invalid(field, `${path}: witnesses[${i}].key must be the witness's verifier key`);
    try {
      return { url: url.replace(/\/+$/, ''), key, name: parseWitnessKey(key).name };
    } catch (error) {
      if (!isTamgaError(error)) throw error;
      throw invalid(field, `${path}: witnesses[${i}].key: ${error.message}`, error);
    }
  });
}
