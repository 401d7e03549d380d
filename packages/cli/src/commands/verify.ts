import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberOption, parseCommand, usageError } from '../cli-args.js';
import type { VerificationReport } from '@tamga/core';
import { loadHmacKeys, loadPinnedKeys, readText } from '../evidence/bundle-files.js';
import { writeBundleDirFromFile } from '../evidence/bundle-stream.js';
import { verifyBundleDir } from '../evidence/verify-bundle-dir.js';
import type { VerifyBundleDirOptions } from '../evidence/verify-bundle-dir.js';

/** Exit codes of `tamga verify` and `tamga verify-receipt`. */
export const EXIT = Object.freeze({ valid: 0, tampered: 1, unusable: 2 });

const USAGE = `Usage: tamga verify DIR|FILE [--keys FILE] [--hmac-key FILE|DIR] [--trusted-checkpoint FILE]
                    [--save-checkpoint FILE] [--json] [--workers N]
Verifies an evidence bundle offline: a bundle directory (tamga export), or the single-stream file the journal
page and GET /api/v1/logs/{tenant}/export download. Exit 0 valid, 1 tampered, 2 unusable input.`;

/**
 * `tamga verify DIR|FILE`: offline verification of an evidence bundle (docs/bundle-format.md). A file is the
 * bundle's single-stream form; it is split into a temporary directory first.
 */
export async function verify(args: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseCommand({
    command: 'tamga verify',
    usage: USAGE,
    allowPositionals: true,
    options: {
      keys: { type: 'string' },
      'hmac-key': { type: 'string' },
      'trusted-checkpoint': { type: 'string' },
      'save-checkpoint': { type: 'string' },
      json: { type: 'boolean', default: false },
      workers: { type: 'string' },
    },
  }, args);
  const bundle = positionals[0];
  if (bundle === undefined) throw usageError('tamga verify', 'name the bundle DIR or FILE');
  if (positionals.length > 1) throw usageError('tamga verify', `unexpected argument "${positionals[1]}" (one bundle at a time)`);
  const workers = values.workers === undefined ? undefined : numberOption('tamga verify', 'workers', values.workers, { min: 1, max: 64, integer: true });
  const options = {
    ...(values.keys !== undefined && { verifiers: loadPinnedKeys(values.keys) }),
    ...(values['hmac-key'] !== undefined && { hmacKeys: loadHmacKeys(values['hmac-key']) }),
    ...(values['trusted-checkpoint'] !== undefined && { trustedCheckpoint: readText(values['trusted-checkpoint']) }),
    ...(workers !== undefined && { workers }),
  };
  const report = isFile(bundle) ? await verifyBundleFile(bundle, options) : await verifyBundleDir(bundle, options);
  if (values['save-checkpoint'] !== undefined && report.newestCheckpoint !== null) {
    writeFileSync(values['save-checkpoint'], report.newestCheckpoint);
  }
  out.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, values['save-checkpoint']));
  return report.status === 'valid' ? EXIT.valid : EXIT.tampered;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false; // verifyBundleDir names what is missing
  }
}

/** Verifies a bundle stream file through a temporary bundle directory, removed afterwards. */
async function verifyBundleFile(path: string, options: VerifyBundleDirOptions): Promise<VerificationReport> {
  const dir = mkdtempSync(join(tmpdir(), 'tamga-verify-'));
  try {
    await writeBundleDirFromFile(path, dir);
    return await verifyBundleDir(dir, options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The human-readable report. */
export function formatReport(r: VerificationReport, savedTo?: string): string {
  const c = r.counts;
  const lines = [
    `${r.status === 'valid' ? 'VALID' : 'TAMPERED'}: log ${r.origin}, records [${r.range.from}, ${r.range.to}), tree size ${r.treeSize}`,
    `  ${r.checked} records: ${c.valid} valid, ${c.redacted} redacted, ${c['unknown-key']} unknown-key, ${c.tampered} tampered`,
    `  ${r.checkpointsVerified} checkpoints verified; HMAC signatures ${r.hmacChecked ? 'checked' : 'not checked (give --hmac-key)'}`,
  ];
  if (r.status !== 'valid') {
    lines.push(`  first bad seq: ${r.firstBadSeq ?? 'unknown'}; ${r.problemCount} problem(s):`);
    for (const p of r.problems.slice(0, 20)) {
      lines.push(`  - ${p.seq === null ? '' : `seq ${p.seq}: `}${p.code} (${p.reason}) ${p.message}`);
    }
    if (r.problemCount > 20) lines.push(`  … and ${r.problemCount - 20} more (--json lists up to 1000)`);
  }
  const redacted = r.records.filter((x) => x.status === 'redacted').map((x) => x.seq);
  if (redacted.length > 0) lines.push(`  redacted (payload erased, journalled): seq ${redacted.slice(0, 20).join(', ')}${redacted.length > 20 ? ', …' : ''}`);
  if (savedTo !== undefined && r.newestCheckpoint !== null) lines.push(`  newest verified checkpoint saved to ${savedTo}`);
  return `${lines.join('\n')}\n`;
}
