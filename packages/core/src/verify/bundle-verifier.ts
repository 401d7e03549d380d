/**
 * Offline verification of an evidence bundle (DESIGN.md §4, docs/bundle-format.md), as pure functions over
 * parsed bundle content: no files, no server, no database.
 *
 * Steps, each reporting problems with a coded error and the first bad `seq`:
 * 1. every checkpoint note is signed by a known key (the bundle's `keys.json`, or pinned keys) and is for this
 *    log; two checkpoints of one size agree (`SIGNATURE_INVALID`, `KEY_UNKNOWN`, `CHECKPOINT_INVALID`,
 *    `LOG_INCONSISTENT`);
 * 2. `seq` is contiguous from `range.from` to `range.to` (`LOG_INCONSISTENT`: gap, out-of-order, truncated);
 * 3. every record: leaf, canonical header, payload digest, and with HMAC keys the signature
 *    (`RECORD_TAMPERED`, see `record-steps.ts`);
 * 4. the tree rebuilt from the manifest's frontier and the leaves has the root of every checkpoint, and of the
 *    newest one through the manifest's tail (`LOG_INCONSISTENT`, reason `root-mismatch`);
 * 5. a checkpoint the auditor saved earlier is consistent with the bundle: its root is rebuilt at its size, and a
 *    bundle smaller than it means a rollback (`LOG_INCONSISTENT`, reasons `fork`, `rollback`).
 *
 * Records are fed one at a time ({@link BundleVerifier.addLine}) so bundles of any size verify in constant
 * memory.
 */
import { Buffer } from 'node:buffer';
import { isTamgaError, VerificationError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { parseCheckpoint } from '../checkpoint/checkpoint.js';
import { openNote, parseVerifierKey } from '../checkpoint/signed-note.js';
import type { NoteVerifier } from '../checkpoint/signed-note.js';
import { CompactRange } from '../merkle/compact-range.js';
import { hashLeaf } from '../merkle/hasher.js';
import type { IntegrityStatus } from '../record/record.js';
import { parseBundleRecord } from './bundle-format.js';
import type { BundleCheckpoint, BundleKeys, BundleManifest, BundleRecord } from './bundle-format.js';
import { checkRecordBytes } from './record-bytes.js';
import { checkExportedRecord } from './record-steps.js';
import { rootWithTail } from './subtrees.js';

/** One problem found. `seq` is the first bad record it concerns, `null` when it concerns no single record. */
export interface VerificationProblem {
  readonly code: ErrorCode;
  readonly reason: string;
  readonly seq: number | null;
  readonly message: string;
  /** For checkpoint problems: the checkpoint's tree size. */
  readonly checkpointSize?: number;
  /** For missing records (`gap`, `truncated`): the last missing seq (`seq` is the first). */
  readonly lastSeq?: number;
}

/** The outcome of verifying a bundle (or a range of the stored log, server-side). */
export interface VerificationReport {
  /** `valid` when no problem was found (records may still be `redacted` or `unknown-key`), else `tampered`. */
  readonly status: 'valid' | 'tampered';
  readonly origin: string;
  readonly range: { readonly from: number; readonly to: number };
  readonly treeSize: number;
  /** Records read. */
  readonly checked: number;
  /** Records by status. */
  readonly counts: Readonly<Record<IntegrityStatus, number>>;
  /** The smallest `seq` any problem names, or `null`. */
  readonly firstBadSeq: number | null;
  /** Problems in the order found (at most {@link MAX_LISTED}; `problemCount` has the total). */
  readonly problems: readonly VerificationProblem[];
  readonly problemCount: number;
  /** Every record whose status is not `valid` (at most {@link MAX_LISTED}). */
  readonly records: readonly { readonly seq: number; readonly status: IntegrityStatus }[];
  /** Checkpoints whose signature verified and whose root was rebuilt from the records. */
  readonly checkpointsVerified: number;
  /** The newest checkpoint note whose signature and root verified, to keep for the next run; `null` if none. */
  readonly newestCheckpoint: string | null;
  /** Whether HMAC signatures were checked (HMAC keys were given). */
  readonly hmacChecked: boolean;
}

/** Options of {@link BundleVerifier}. */
export interface BundleVerifierOptions {
  /** Checkpoint keys to trust: pinned ones (`--keys`), or those of the bundle's `keys.json`. */
  readonly verifiers: readonly NoteVerifier[];
  /** HMAC secrets by key id; when given, every record signature is checked. */
  readonly hmacKeys?: ReadonlyMap<string, Uint8Array>;
  /** A checkpoint note saved earlier: the bundle must be consistent with it. */
  readonly trustedCheckpoint?: string;
}

/** Most problems and non-valid records listed in a report. */
export const MAX_LISTED = 1000;

interface ExpectedRoot {
  readonly root: Buffer;
  readonly note: string | null; // null: the auditor's trusted checkpoint
}

/**
 * Verifier keys from a bundle's `keys.json` (or `/.well-known/tamga-keys`).
 *
 * @throws VerificationError `BUNDLE_INVALID` when a verifier key is malformed.
 */
export function verifiersFromKeys(keys: BundleKeys): NoteVerifier[] {
  return keys.checkpointKeys.map((k, i) => {
    try {
      return parseVerifierKey(k.verifierKey);
    } catch (cause) {
      throw new VerificationError('BUNDLE_INVALID', `checkpointKeys[${i}].verifierKey is not a valid Ed25519 verifier key`, { field: `checkpointKeys[${i}]` }, { cause });
    }
  });
}

/** Incremental verifier of one bundle: construct, feed every record line in order, then {@link finish}. */
export class BundleVerifier {
  readonly #manifest: BundleManifest;
  readonly #hmacKeys: ReadonlyMap<string, Uint8Array> | undefined;
  readonly #keyFor: ((kid: string) => Uint8Array | undefined) | undefined;
  readonly #expected = new Map<number, ExpectedRoot[]>();
  readonly #problems: VerificationProblem[] = [];
  #problemCount = 0;
  readonly #nonValid: { seq: number; status: IntegrityStatus }[] = [];
  readonly #counts: Record<IntegrityStatus, number> = { valid: 0, tampered: 0, redacted: 0, 'unknown-key': 0 };
  #firstBadSeq: number | null = null;
  #range: CompactRange;
  /** The next seq expected in the records. */
  #next: number;
  /** False once the leaf sequence is broken (gap, reorder, unreadable record, root mismatch): no more root checks. */
  #treeIntact = true;
  #checked = 0;
  #checkpointsVerified = 0;
  #newest: { size: number; note: string } | null = null;
  #finished = false;

  /**
   * @throws VerificationError `BUNDLE_INVALID` when the bundle has no checkpoint, or the trusted checkpoint is
   *   unreadable, for another log, or cannot be checked against this bundle's range.
   */
  constructor(manifest: BundleManifest, checkpoints: readonly BundleCheckpoint[], options: BundleVerifierOptions) {
    this.#manifest = manifest;
    this.#hmacKeys = options.hmacKeys;
    if (options.hmacKeys !== undefined) {
      const keys = options.hmacKeys;
      this.#keyFor = (kid) => keys.get(kid);
    }
    this.#range = CompactRange.fromBytes(manifest.range.from, Buffer.concat(manifest.frontier as Buffer[]));
    this.#next = manifest.range.from;
    if (checkpoints.length === 0) {
      throw new VerificationError('BUNDLE_INVALID', 'The bundle holds no checkpoint: nothing anchors its records', { field: 'checkpoints' });
    }
    for (const cp of checkpoints) this.#openCheckpoint(cp, options.verifiers);
    if (!this.#expected.has(manifest.treeSize)) {
      this.#problem('LOG_INCONSISTENT', 'no-newest-checkpoint', null, `No valid checkpoint of size ${manifest.treeSize} (the manifest's treeSize) in the bundle`);
    }
    if (options.trustedCheckpoint !== undefined) this.#addTrusted(options.trustedCheckpoint, options.verifiers);
    this.#checkRootAt(manifest.range.from, () => this.#range.root());
  }

  #problem(code: ErrorCode, reason: string, seq: number | null, message: string, checkpointSize?: number, lastSeq?: number): void {
    this.#problemCount++;
    if (this.#problems.length < MAX_LISTED) {
      this.#problems.push({
        code,
        reason,
        seq,
        message,
        ...(checkpointSize !== undefined && { checkpointSize }),
        ...(lastSeq !== undefined && { lastSeq }),
      });
    }
    if (seq !== null && (this.#firstBadSeq === null || seq < this.#firstBadSeq)) this.#firstBadSeq = seq;
    if (seq !== null && seq >= this.#lastGoodSize() && (this.#windowBad === null || seq < this.#windowBad)) this.#windowBad = seq;
  }

  /** The first bad seq found since the last root that matched: what a root mismatch is explained by. */
  #windowBad: number | null = null;

  #fromError(error: unknown, fallbackSeq: number | null, checkpointSize?: number): void {
    if (!isTamgaError(error)) throw error;
    const reason = typeof error.details.reason === 'string' ? error.details.reason : error.code.toLowerCase();
    const seq = typeof error.details.seq === 'number' ? error.details.seq : fallbackSeq;
    this.#problem(error.code, reason, seq, error.message, checkpointSize);
  }

  /** Step 1: signature by a known key, origin, size; remembers the root to check at that size. */
  #openCheckpoint(cp: BundleCheckpoint, verifiers: readonly NoteVerifier[]): void {
    const manifest = this.#manifest;
    try {
      const opened = openNote(cp.note, verifiers);
      const body = parseCheckpoint(opened.text);
      if (body.origin !== manifest.origin) {
        throw new VerificationError('CHECKPOINT_INVALID', `Checkpoint of size ${cp.size} is for log ${body.origin}`, { reason: 'origin-mismatch' });
      }
      if (body.size !== cp.size) {
        throw new VerificationError('CHECKPOINT_INVALID', `Checkpoint line says size ${cp.size}, its note ${body.size}`, { reason: 'size-mismatch' });
      }
      if (body.size < manifest.range.from || (body.size > manifest.range.to && body.size !== manifest.treeSize)) {
        return; // outside what this bundle can rebuild: ignored, as documented
      }
      this.#expect(body.size, { root: body.rootHash, note: cp.note });
    } catch (error) {
      // A checkpoint that does not verify taints the records it covers; the first seq it could vouch for is unknown.
      this.#fromError(error, null, cp.size);
    }
  }

  #expect(size: number, expected: ExpectedRoot): void {
    const list = this.#expected.get(size) ?? [];
    const other = list.find((e) => !e.root.equals(expected.root));
    if (other !== undefined) {
      this.#problem('LOG_INCONSISTENT', 'fork', null, `Two checkpoints of size ${size} have different roots: the log was forked or rewritten`, size);
    }
    list.push(expected);
    this.#expected.set(size, list);
  }

  /** Step 5 set-up: the auditor's checkpoint. */
  #addTrusted(note: string, verifiers: readonly NoteVerifier[]): void {
    const m = this.#manifest;
    let text: string;
    try {
      text = openNote(note, verifiers).text;
    } catch (error) {
      if (isTamgaError(error) && error.code === 'NOTE_MALFORMED') {
        throw new VerificationError('BUNDLE_INVALID', 'The trusted checkpoint is not a signed note', { field: 'trustedCheckpoint' }, { cause: error });
      }
      // Signed by a key the bundle does not list (or not at all): the keys or the checkpoint were replaced.
      this.#fromError(error, null);
      return;
    }
    let body;
    try {
      body = parseCheckpoint(text);
    } catch (cause) {
      throw new VerificationError('BUNDLE_INVALID', 'The trusted checkpoint is not a tlog checkpoint', { field: 'trustedCheckpoint' }, { cause });
    }
    if (body.origin !== m.origin) {
      throw new VerificationError('BUNDLE_INVALID', `The trusted checkpoint is for log ${body.origin}, the bundle for ${m.origin}`, { field: 'trustedCheckpoint' });
    }
    if (body.size > m.treeSize) {
      this.#problem(
        'LOG_INCONSISTENT',
        'rollback',
        m.treeSize,
        `The log has ${m.treeSize} records but a checkpoint saved earlier already had ${body.size}: records from seq ${m.treeSize} were removed (rollback)`,
        body.size,
      );
      return;
    }
    if (body.size < m.range.from || (body.size > m.range.to && body.size !== m.treeSize)) {
      throw new VerificationError(
        'BUNDLE_INVALID',
        `The trusted checkpoint (size ${body.size}) is outside what this bundle can rebuild: export with from ≤ ${body.size}`,
        { field: 'trustedCheckpoint' },
      );
    }
    this.#expect(body.size, { root: body.rootHash, note: null });
  }

  /** Step 4: compares the rebuilt root with every checkpoint of this size. */
  #checkRootAt(size: number, root: () => Buffer): void {
    const expected = this.#expected.get(size);
    if (expected === undefined || !this.#treeIntact) return;
    const actual = root();
    let ok = true;
    for (const e of expected) {
      if (!e.root.equals(actual)) {
        ok = false;
        const what = e.note === null ? 'the checkpoint saved earlier' : 'its signed checkpoint';
        const firstUnvouched = this.#windowBad ?? this.#lastGoodSize();
        this.#problem(
          'LOG_INCONSISTENT',
          e.note === null ? 'fork' : 'root-mismatch',
          firstUnvouched,
          `The records do not rebuild the root of ${what} at size ${size}: a record in seq [${firstUnvouched}, ${size}) was changed, added or removed`,
          size,
        );
      }
    }
    if (ok) {
      this.#lastGood = size;
      this.#windowBad = null;
      for (const e of expected) {
        if (e.note === null) continue;
        this.#checkpointsVerified++;
        if (this.#newest === null || size >= this.#newest.size) this.#newest = { size, note: e.note };
      }
    } else {
      this.#treeIntact = false;
    }
  }

  #lastGood: number | null = null;

  #lastGoodSize(): number {
    return this.#lastGood ?? this.#manifest.range.from;
  }

  /** Feeds one line of `records.ndjson` (empty lines are skipped). */
  addLine(line: string): void {
    if (line.length === 0 || line.trim() === '') return;
    this.addChecked(checkRecordLine(line, this.#next, this.#manifest.origin, this.#keyFor));
  }

  /**
   * Feeds the line `bytes[start, stop)` of `records.ndjson` (no newline): the same as {@link addLine} on its UTF-8
   * text, without decoding or parsing the whole line when it is the exporter's own form of a valid record.
   */
  addLineBytes(bytes: Buffer, start: number, stop: number): void {
    const fast = checkRecordBytes(bytes, start, stop, this.#manifest.origin, this.#keyFor);
    if (fast === undefined) this.addLine(bytes.toString('utf8', start, stop));
    else this.addChecked(fast);
  }

  /** Feeds one parsed record (in `seq` order). */
  addRecord(record: BundleRecord): void {
    this.addChecked(checkParsedRecord(record, this.#manifest.origin, this.#keyFor));
  }

  #mark(seq: number, status: IntegrityStatus): void {
    this.#counts[status]++;
    if (status !== 'valid' && this.#nonValid.length < MAX_LISTED) this.#nonValid.push({ seq, status });
  }

  /**
   * Feeds the outcome of {@link checkRecordLine} for the next line. The per-record steps are independent of each
   * other, so callers may run them in parallel (worker threads) and feed the outcomes here in line order.
   */
  addChecked(checked: CheckedLine): void {
    if (this.#finished) throw new Error('BundleVerifier: record after finish');
    this.#checked++;
    const m = this.#manifest;
    if (checked.seq === null || checked.leaf === null) {
      // Unreadable line: the seq it should have held is the one named.
      if (checked.problem) this.#problem(checked.problem.code, checked.problem.reason, this.#next, checked.problem.message);
      this.#mark(this.#next, 'tampered');
      this.#treeIntact = false;
      this.#next++;
      return;
    }
    const seq = checked.seq;
    // Step 2: contiguous seq.
    if (seq !== this.#next) {
      if (seq > this.#next) {
        this.#problem('LOG_INCONSISTENT', 'gap', this.#next, `Records seq ${this.#next}..${seq - 1} are missing`, undefined, seq - 1);
      } else {
        this.#problem('LOG_INCONSISTENT', 'out-of-order', seq, `Record seq ${seq} comes after seq ${this.#next - 1}: records were reordered, repeated or inserted`);
      }
      this.#treeIntact = false;
    }
    if (seq >= m.range.to) {
      this.#problem('LOG_INCONSISTENT', 'beyond-range', seq, `Record seq ${seq} is beyond the bundle's range [${m.range.from}, ${m.range.to})`);
      this.#treeIntact = false;
    }
    this.#next = seq + 1;
    // Step 3's outcome.
    if (checked.problem) this.#problemOf(checked.problem, seq);
    this.#mark(seq, checked.status);
    // Step 4: the tree.
    if (this.#treeIntact) {
      this.#range.append(checked.leaf);
      this.#checkRootAt(this.#range.size, () => this.#range.root());
    }
  }

  /**
   * Feeds the outcomes of `count` consecutive lines given as columns, as worker threads send them: `seqs[i]`, its leaf
   * at `leaves[32 i, 32 i + 32)`, its status `statusNames[statuses[i]]`, and the problems as `[line index, problem]` in
   * line order. The same as {@link addChecked} on each line, without an object per record. A line whose record is
   * unreadable comes as its text in `unreadable` (`[line index, text]`, its seq -1), fed through {@link addLine}: only
   * here is the seq it should hold known, which its problem names.
   */
  addCheckedColumns(
    count: number,
    seqs: Float64Array,
    leaves: Uint8Array,
    statuses: Uint8Array,
    statusNames: readonly IntegrityStatus[],
    problems: readonly (readonly [number, CheckProblem])[],
    unreadable: readonly (readonly [number, string])[] = [],
  ): void {
    let p = 0;
    let u = 0;
    for (let i = 0; i < count; i++) {
      const seq = seqs[i]!;
      const problem = p < problems.length && problems[p]![0] === i ? problems[p++]![1] : undefined;
      if (u < unreadable.length && unreadable[u]![0] === i) {
        this.addLine(unreadable[u++]![1]);
        continue;
      }
      const status = statusNames[statuses[i]!]!;
      if (problem === undefined && seq === this.#next && seq < this.#manifest.range.to && !this.#finished) {
        // addChecked's path for a record in its place, inline.
        this.#checked++;
        this.#next = seq + 1;
        this.#mark(seq, status);
        if (this.#treeIntact) {
          this.#range.append(leaves.subarray(i * 32, i * 32 + 32));
          if (this.#expected.has(this.#range.size)) this.#checkRootAt(this.#range.size, () => this.#range.root());
        }
        continue;
      }
      const leaf = seq < 0 ? null : Buffer.from(leaves.buffer, leaves.byteOffset + i * 32, 32);
      this.addChecked({ seq: seq < 0 ? null : seq, leaf, status, ...(problem !== undefined && { problem }) });
    }
  }

  #problemOf(p: CheckProblem, fallbackSeq: number): void {
    this.#problem(p.code, p.reason, p.seq ?? fallbackSeq, p.message);
  }

  /** Ends the records: checks the tail is complete and the newest checkpoint's root; returns the report. */
  finish(): VerificationReport {
    this.#finished = true;
    const m = this.#manifest;
    if (this.#next < m.range.to) {
      this.#problem('LOG_INCONSISTENT', 'truncated', this.#next, `Records seq ${this.#next}..${m.range.to - 1} are missing: the bundle was cut`, undefined, m.range.to - 1);
      this.#treeIntact = false;
    }
    if (this.#treeIntact && this.#range.size === m.range.to && m.treeSize > m.range.to) {
      try {
        const root = rootWithTail(this.#range, m.tail, m.treeSize);
        this.#checkRootAt(m.treeSize, () => root);
      } catch (error) {
        this.#fromError(error, null);
      }
    }
    return {
      status: this.#problemCount === 0 ? 'valid' : 'tampered',
      origin: m.origin,
      range: m.range,
      treeSize: m.treeSize,
      checked: this.#checked,
      counts: { ...this.#counts },
      firstBadSeq: this.#firstBadSeq,
      problems: [...this.#problems],
      problemCount: this.#problemCount,
      records: [...this.#nonValid],
      checkpointsVerified: this.#checkpointsVerified,
      newestCheckpoint: this.#problemCount === 0 ? (this.#newest?.note ?? null) : null,
      hmacChecked: this.#hmacKeys !== undefined,
    };
  }
}

/** A problem found by the per-record steps. */
export interface CheckProblem {
  readonly code: ErrorCode;
  readonly reason: string;
  readonly seq: number | null;
  readonly message: string;
}

/** Outcome of the per-record steps of one line: plain data, so it can cross a worker thread boundary. */
export interface CheckedLine {
  /** The line's seq; `null` when the line is unreadable. */
  readonly seq: number | null;
  /**
   * The leaf to feed the tree: `hashLeaf(canonical)`, or, when the line's bytes do not match the stored leaf
   * hash, the stored one (if that was forged too, the next checkpoint's root tells). `null` when unreadable.
   */
  readonly leaf: Buffer | null;
  readonly status: IntegrityStatus;
  readonly problem?: CheckProblem;
}

function toProblem(error: unknown): CheckProblem {
  if (!isTamgaError(error)) throw error;
  return {
    code: error.code,
    reason: typeof error.details.reason === 'string' ? error.details.reason : error.code.toLowerCase(),
    seq: typeof error.details.seq === 'number' ? error.details.seq : null,
    message: error.message,
  };
}

/** Step 3 on a parsed record. */
export function checkParsedRecord(record: BundleRecord, origin: string, hmacKeyFor?: (kid: string) => Uint8Array | undefined): CheckedLine {
  const leaf = hashLeaf(record.canonical);
  try {
    return { seq: record.seq, leaf, status: checkExportedRecord(record, leaf, origin, hmacKeyFor) };
  } catch (error) {
    return { seq: record.seq, leaf: record.leafHash ?? leaf, status: 'tampered', problem: toProblem(error) };
  }
}

/**
 * Step 3 on one line of `records.ndjson`: parse, leaf, canonical header, payload and (with keys) signature.
 *
 * @param expectedSeq - the seq the line should hold, named when it is unreadable.
 */
export function checkRecordLine(
  line: string,
  expectedSeq: number,
  origin: string,
  hmacKeyFor?: (kid: string) => Uint8Array | undefined,
): CheckedLine {
  let record: BundleRecord;
  try {
    record = parseBundleRecord(line, expectedSeq);
  } catch (error) {
    return { seq: null, leaf: null, status: 'tampered', problem: toProblem(error) };
  }
  return checkParsedRecord(record, origin, hmacKeyFor);
}

/** Parsed bundle content, as {@link verifyBundle} takes it. */
export interface BundleContent {
  readonly manifest: BundleManifest;
  readonly checkpoints: readonly BundleCheckpoint[];
  /** The lines of `records.ndjson`. */
  readonly records: Iterable<string>;
}

/** Verifies a whole bundle held in memory (convenience over {@link BundleVerifier}). */
export function verifyBundle(content: BundleContent, options: BundleVerifierOptions): VerificationReport {
  const verifier = new BundleVerifier(content.manifest, content.checkpoints, options);
  for (const line of content.records) verifier.addLine(line);
  return verifier.finish();
}
