import { createReadStream, createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { once } from 'node:events';
import { BUNDLE_FILES, VerificationError } from '@tamga/core';

/** What {@link writeBundleDir} wrote. */
export interface WrittenBundle {
  readonly records: number;
  readonly checkpoints: number;
  readonly manifest: Record<string, unknown>;
}

/**
 * Splits the single-stream form of a bundle (`GET /api/v1/logs/{tenant}/export`, or the journal page's "Evidence
 * bundle" download; docs/bundle-format.md, "Over HTTP") into the four files of a bundle directory `dir` (which
 * must exist). Throws `BUNDLE_INVALID` when the stream has no manifest or keys, or was cut: no end line, or an end
 * line whose count differs from the record lines received.
 */
export async function writeBundleDir(input: Readable, dir: string): Promise<WrittenBundle> {
  const records = createWriteStream(join(dir, BUNDLE_FILES.records));
  const checkpoints: string[] = [];
  let manifest: Record<string, unknown> | undefined;
  let keys: Record<string, unknown> | undefined;
  let written = 0;
  let declared: number | undefined;
  let lineNumber = 0;
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      lineNumber++;
      if (line === '') continue;
      if (line.startsWith('{"seq":')) {
        if (!records.write(`${line}\n`)) await once(records, 'drain');
        written++;
        continue;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (cause) {
        throw new VerificationError('BUNDLE_INVALID', `Line ${lineNumber} of the bundle stream is not JSON`, {}, { cause });
      }
      const { type, ...section } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { type?: unknown } & Record<string, unknown>;
      if (type === 'manifest') manifest = section;
      else if (type === 'keys') keys = section;
      else if (type === 'checkpoint') checkpoints.push(JSON.stringify({ size: section.size, note: section.note }));
      else if (type === 'end') declared = section.records as number;
    }
  } finally {
    records.end();
    await once(records, 'finish');
  }
  if (manifest === undefined || keys === undefined || declared !== written) {
    throw new VerificationError(
      'BUNDLE_INVALID',
      `The bundle stream was cut (${written} records received${declared === undefined ? ', no end line' : `, ${declared} sent`}): export again`,
    );
  }
  writeFileSync(join(dir, BUNDLE_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, BUNDLE_FILES.keys), `${JSON.stringify(keys, null, 2)}\n`);
  writeFileSync(join(dir, BUNDLE_FILES.checkpoints), checkpoints.map((c) => `${c}\n`).join(''));
  return { records: written, checkpoints: checkpoints.length, manifest };
}

/** {@link writeBundleDir} over a downloaded stream file. */
export function writeBundleDirFromFile(path: string, dir: string): Promise<WrittenBundle> {
  return writeBundleDir(createReadStream(path), dir);
}
