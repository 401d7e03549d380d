import { mkdirSync, readdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ERROR_CODES, TamgaError } from '@tamga/core';
import type { ErrorCode } from '@tamga/core';
import { writeBundleDir } from '../evidence/bundle-stream.js';
import { parseCommand, requireGiven } from '../cli-args.js';

const USAGE = `Usage: tamga export --url URL --api-key KEY --tenant T [--from SEQ|TIME] [--to SEQ|TIME] --out DIR
Downloads a tenant's log as an evidence bundle directory (docs/bundle-format.md). The key may also come from
TAMGA_API_KEY. from/to: seqs [from, to), or RFC 3339 times (the seq range covering them).`;

/** `tamga export`: writes the bundle of `GET /api/v1/logs/{tenant}/export` into a directory. */
export async function exportBundle(args: readonly string[], out: NodeJS.WritableStream = process.stdout, fetchImpl: typeof fetch = fetch): Promise<number> {
  const { values } = parseCommand({
    command: 'tamga export',
    usage: USAGE,
    options: {
      url: { type: 'string' },
      'api-key': { type: 'string' },
      tenant: { type: 'string', default: 'default' },
      from: { type: 'string' },
      to: { type: 'string' },
      out: { type: 'string' },
    },
  }, args);
  const apiKey = values['api-key'] ?? process.env.TAMGA_API_KEY;
  requireGiven('tamga export', [values.url === undefined && '--url', apiKey === undefined && '--api-key (or TAMGA_API_KEY)', values.out === undefined && '--out']);
  const dir = values.out!;
  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).length > 0) throw new TamgaError('CONFIG_INVALID', `${dir} is not empty: give a new directory`, { field: '--out' });
  const query = new URLSearchParams();
  if (values.from !== undefined) query.set('from', values.from);
  if (values.to !== undefined) query.set('to', values.to);
  const url = `${values.url!.replace(/\/+$/, '')}/api/v1/logs/${encodeURIComponent(values.tenant)}/export${query.size > 0 ? `?${query}` : ''}`;
  const res = await fetchImpl(url, { headers: { authorization: `Bearer ${apiKey}` } });
  if (!res.ok || res.body === null) {
    const problem = (await res.json().catch(() => ({}))) as { code?: string; detail?: string };
    const code = (problem.code !== undefined && problem.code in ERROR_CODES ? problem.code : 'INTERNAL') as ErrorCode;
    throw new TamgaError(code, `Export failed (${res.status}): ${problem.detail ?? res.statusText}`);
  }
  const { records, checkpoints, manifest } = await writeBundleDir(Readable.fromWeb(res.body as WebReadableStream), dir);
  const range = manifest.range as { from: number; to: number };
  out.write(`Exported ${records} records of ${String(manifest.origin)} (seq [${range.from}, ${range.to}), tree size ${String(manifest.treeSize)}, ${checkpoints} checkpoints) to ${dir}\nVerify offline: tamga verify ${dir}\n`);
  return 0;
}
