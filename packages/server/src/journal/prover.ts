import { consistencyProofNodes, hashChildren, inclusionProofNodes, rehashProof, subtreesOf, TamgaError, ValidationError } from '@tamga/core';
import type { NodeId } from '@tamga/core';
import { STORED_LEVEL_STRIDE } from './journal-store.js';
import type { JournalStore } from './journal-store.js';

/** Node hashes of the upper levels a prover keeps besides {@link UpperTree} (about 150 bytes each). */
const NODE_CACHE_SIZE = 4096;
/**
 * Level-{@link STORED_LEVEL_STRIDE} nodes up to which a log's upper levels are kept whole in memory: 65,536 of them
 * (16.7 M leaves), 4 MiB with the levels above. Beyond, proofs read those nodes, and the LRU keeps the hot ones.
 */
const UPPER_MAX_NODES = 65_536;

/** A proof as served: the hashes in order (RFC 9162 §2.1.3 / §2.1.4). */
export interface Proof {
  readonly hashes: Buffer[];
}

/**
 * Builds RFC 9162 inclusion and consistency proofs from the store's Merkle nodes. Nodes at levels that
 * are multiples of {@link STORED_LEVEL_STRIDE} are read; others are folded from the nearest stored
 * level below (at most 2^(stride-1) hashes each). The rows a proof needs are read in a few ranges (one per stored
 * level, typically), and the hashes of the upper levels are kept in memory.
 */
export class Prover {
  readonly #store: JournalStore;
  readonly #cache = new NodeCache(NODE_CACHE_SIZE);
  readonly #upper = new Map<number, { readonly tree: UpperTree; growing: Promise<void> }>();

  constructor(store: JournalStore) {
    this.#store = store;
  }

  /** Inclusion proof of leaf `index` in the tree of `size` leaves of log `logId` (size ≤ the log's size). */
  async inclusion(logId: number, logSize: number, index: number, size: number): Promise<Proof> {
    checkSize(size, logSize, 'treeSize');
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new ValidationError('TREE_SIZE_OUT_OF_RANGE', `seq ${index} is not below treeSize ${size}`, { field: 'seq' });
    }
    const purgedTo = (await this.#store.purgeState(logId))?.purgedTo ?? 0;
    if (index < purgedTo) {
      throw new TamgaError('RECORDS_PURGED', `seq ${index} was purged by the retention policy; the earliest record kept is seq ${purgedTo}`, {
        field: 'seq',
        purgedTo,
      });
    }
    const nodes = inclusionProofNodes(index, size);
    return { hashes: rehashProof(nodes, await this.#hashes(logId, nodes.ids, purgedTo)) };
  }

  /** Consistency proof between the trees of `size1` and `size2` leaves of log `logId`. */
  async consistency(logId: number, logSize: number, size1: number, size2: number): Promise<Proof> {
    checkSize(size2, logSize, 'to');
    if (!Number.isSafeInteger(size1) || size1 < 1 || size1 > size2) {
      throw new ValidationError('TREE_SIZE_OUT_OF_RANGE', `from must be between 1 and to (${size2})`, { field: 'from' });
    }
    const nodes = consistencyProofNodes(size1, size2);
    return { hashes: rehashProof(nodes, await this.#hashes(logId, nodes.ids)) };
  }

  /**
   * Hashes of the perfect subtrees covering leaves `[from, to)` of log `logId`, left to right (`subtreesOf`):
   * `[0, n)` gives the compact range (right frontier) of the tree of `n` leaves. Used by evidence bundles so a
   * verifier can rebuild roots around the records it holds.
   */
  async subtreeHashes(logId: number, from: number, to: number): Promise<Buffer[]> {
    return this.#hashes(logId, subtreesOf(from, to));
  }

  /** Hashes of the given perfect subtree nodes of log `logId`, purged or not (below a purge cut: retained nodes and the leaves left). */
  nodeHashes(logId: number, ids: readonly NodeId[]): Promise<Buffer[]> {
    return this.#hashes(logId, ids);
  }

  /** `cut`: the purge cut the caller just read, if it did (one query less: a round trip on PostgreSQL). */
  async #hashes(logId: number, ids: readonly NodeId[], cut?: number): Promise<Buffer[]> {
    let at = cut ?? (await this.#store.purgeState(logId))?.purgedTo ?? 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#resolveAll(logId, ids, at);
      } catch (error) {
        // A purge slice moved the cut while the leaves were read: resolve again from the retained nodes.
        const now = (await this.#store.purgeState(logId))?.purgedTo ?? 0;
        if (attempt < 3 && now !== at) {
          at = now;
          continue;
        }
        throw error;
      }
    }
  }

  /**
   * The hashes of `ids`: nodes of the upper levels from the cache, the others folded from the stored rows they cover,
   * read as few ranges as possible (a proof's nodes below one stored level mostly lie side by side: the siblings of a
   * path within one block of 2^stride rows), each range one query, the ranges in parallel.
   */
  async #resolveAll(logId: number, ids: readonly NodeId[], cut: number): Promise<Buffer[]> {
    const out: Buffer[] = new Array<Buffer>(ids.length);
    const wanted: Wanted[] = [];
    const below: Promise<void>[] = [];
    const upper = await this.#upperFor(logId, ids);
    ids.forEach((id, i) => {
      if (id.level < STORED_LEVEL_STRIDE && id.index * 2 ** id.level < cut) {
        below.push(this.#resolve(logId, id, cut).then((hash) => void (out[i] = hash)));
        return;
      }
      const cached = id.level >= STORED_LEVEL_STRIDE ? (upper?.get(id.level, id.index) ?? this.#cache.get(logId, id)) : undefined;
      if (cached !== undefined) {
        out[i] = cached;
        return;
      }
      const base = id.level - (id.level % STORED_LEVEL_STRIDE);
      const width = 2 ** (id.level - base);
      wanted.push({ i, id, base, from: id.index * width, to: (id.index + 1) * width });
    });
    const ranges = mergeRanges(wanted);
    // Awaited together: when one read fails (a purge slice moved the cut), the others' failures are not left unhandled.
    const [rows] = await Promise.all([Promise.all(ranges.map((r) => this.#store.readNodes(logId, r.base, r.from, r.to))), Promise.all(below)]);
    ranges.forEach((range, r) => {
      for (const w of range.wanted) {
        const hash = foldPerfect(rows[r]!, w.from - range.from, w.to - range.from);
        if (w.id.level >= STORED_LEVEL_STRIDE) this.#cache.set(logId, w.id, hash);
        out[w.i] = hash;
      }
    });
    return out;
  }

  /**
   * The upper levels of log `logId` in memory, first grown (from the stored level-{@link STORED_LEVEL_STRIDE} nodes it
   * lacks) to cover the nodes of `ids` at those levels; undefined for a log too large to keep so.
   */
  async #upperFor(logId: number, ids: readonly NodeId[]): Promise<UpperTree | undefined> {
    let need = 0;
    for (const id of ids) if (id.level >= STORED_LEVEL_STRIDE) need = Math.max(need, (id.index + 1) * 2 ** (id.level - STORED_LEVEL_STRIDE));
    let entry = this.#upper.get(logId);
    if (need > UPPER_MAX_NODES || (entry?.tree.size ?? 0) >= need) return entry?.tree;
    if (entry === undefined) {
      entry = { tree: new UpperTree(), growing: Promise.resolve() };
      this.#upper.set(logId, entry);
    }
    const { tree } = entry;
    // One growth at a time per log; a failed read leaves the tree as it was, for the next proof to try again.
    const step = entry.growing.then(async () => {
      if (tree.size < need) tree.extend(await this.#store.readNodes(logId, STORED_LEVEL_STRIDE, tree.size, need));
    });
    entry.growing = step.catch(() => undefined);
    await step;
    return tree;
  }

  /**
   * The hash of a node. Below a purge cut (`cut`: records `[0, cut)` are gone) the node is a retained one, or it is
   * folded from its children, down to the leaves that are left; levels from {@link STORED_LEVEL_STRIDE} up are never
   * purged (merkle_nodes is append-only). A node that needs a purged leaf nobody retained: `RECORDS_PURGED`.
   */
  async #resolve(logId: number, id: NodeId, cut: number): Promise<Buffer> {
    const { level, index } = id;
    if (level >= STORED_LEVEL_STRIDE || index * 2 ** level >= cut) return (await this.#resolveAll(logId, [id], cut))[0]!;
    const retained = await this.#store.readRetainedNode(logId, level, index);
    if (retained !== undefined) return retained;
    if (level === 0) {
      throw new TamgaError('RECORDS_PURGED', `The records before seq ${cut} were purged by the retention policy; this proof needs seq ${index}`, {
        purgedTo: cut,
      });
    }
    const [left, right] = await Promise.all([
      this.#resolve(logId, { level: level - 1, index: index * 2 }, cut),
      this.#resolve(logId, { level: level - 1, index: index * 2 + 1 }, cut),
    ]);
    return hashChildren(left, right);
  }
}

/** A node to fold from the stored rows `[from, to)` of level `base`; `i` is its place in the answer. */
interface Wanted {
  readonly i: number;
  readonly id: NodeId;
  readonly base: number;
  readonly from: number;
  readonly to: number;
}

/** Rows of one stored level read with one query, and the nodes folded from them. */
interface RowRange {
  readonly base: number;
  readonly from: number;
  to: number;
  readonly wanted: Wanted[];
}

/**
 * Rows apart by at most this many are read in one range: a query costs more than a few extra rows (a round trip on
 * PostgreSQL), and a consistency proof's nodes at one level are often close but not adjacent.
 */
const MERGE_GAP = 64;

/** The row ranges covering `wanted`, per stored level, overlapping or near ranges merged. */
function mergeRanges(wanted: readonly Wanted[]): RowRange[] {
  const sorted = [...wanted].sort((a, b) => a.base - b.base || a.from - b.from);
  const ranges: RowRange[] = [];
  for (const w of sorted) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.base === w.base && w.from <= last.to + MERGE_GAP) {
      last.to = Math.max(last.to, w.to);
      last.wanted.push(w);
    } else {
      ranges.push({ base: w.base, from: w.from, to: w.to, wanted: [w] });
    }
  }
  return ranges;
}

/** Root of the perfect subtree over `rows[from, to)` (`to - from` a power of two). */
function foldPerfect(rows: readonly Buffer[], from: number, to: number): Buffer {
  if (to - from === 1) return rows[from]!;
  let layer: Buffer[] = [];
  for (let i = from; i < to; i += 2) layer.push(hashChildren(rows[i]!, rows[i + 1]!));
  while (layer.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < layer.length; i += 2) next.push(hashChildren(layer[i]!, layer[i + 1]!));
    layer = next;
  }
  return layer[0]!;
}

/**
 * Every complete node of a log from level {@link STORED_LEVEL_STRIDE} up, packed level by level: the stored nodes of
 * that level, read once, and the levels above folded from them. A complete node never changes (the log is append-only
 * and these levels are never purged), so the tree only grows, as proofs need more of it.
 */
class UpperTree {
  /** `#levels[k]` holds the `#counts[k]` nodes of level `STORED_LEVEL_STRIDE + k`, 32 bytes each. */
  readonly #levels: Buffer[] = [];
  readonly #counts: number[] = [];

  /** Nodes of the lowest kept level. */
  get size(): number {
    return this.#counts[0] ?? 0;
  }

  get(level: number, index: number): Buffer | undefined {
    const k = level - STORED_LEVEL_STRIDE;
    if (k < 0 || k >= this.#counts.length || index >= this.#counts[k]!) return undefined;
    return this.#levels[k]!.subarray(index * 32, index * 32 + 32);
  }

  /** Appends the next nodes of the lowest level, and every node above they complete. */
  extend(nodes: readonly Buffer[]): void {
    for (const node of nodes) this.#push(0, node);
    for (let k = 0; k < this.#counts.length; k++) {
      // A parent is complete once both its children are.
      while ((this.#counts[k + 1] ?? 0) * 2 + 2 <= this.#counts[k]!) {
        const i = this.#counts[k + 1] ?? 0;
        const level = this.#levels[k]!;
        this.#push(k + 1, hashChildren(level.subarray(i * 64, i * 64 + 32), level.subarray(i * 64 + 32, i * 64 + 64)));
      }
    }
  }

  #push(k: number, hash: Uint8Array): void {
    const count = this.#counts[k] ?? 0;
    let level = this.#levels[k];
    if (level === undefined || level.length < (count + 1) * 32) {
      const grown = Buffer.allocUnsafe(Math.max(1024, (count + 1) * 64));
      level?.copy(grown, 0, 0, count * 32);
      this.#levels[k] = level = grown;
    }
    level.set(hash, count * 32);
    this.#counts[k] = count + 1;
  }
}

/**
 * Hashes of nodes at levels from {@link STORED_LEVEL_STRIDE} up, least recently used dropped first. Such a node covers
 * a perfect subtree, which never changes once complete (the log is append-only and these levels are never purged), so
 * a cached hash never goes stale. The upper levels, which every proof of a log passes through, stay in it.
 */
class NodeCache {
  readonly #max: number;
  readonly #hashes = new Map<string, Buffer>();

  constructor(max: number) {
    this.#max = max;
  }

  get(logId: number, { level, index }: NodeId): Buffer | undefined {
    const key = `${logId}/${level}/${index}`;
    const hash = this.#hashes.get(key);
    if (hash !== undefined) {
      this.#hashes.delete(key);
      this.#hashes.set(key, hash);
    }
    return hash;
  }

  set(logId: number, { level, index }: NodeId, hash: Buffer): void {
    this.#hashes.set(`${logId}/${level}/${index}`, hash);
    if (this.#hashes.size > this.#max) this.#hashes.delete(this.#hashes.keys().next().value!);
  }
}

function checkSize(size: number, logSize: number, field: string): void {
  if (!Number.isSafeInteger(size) || size < 1 || size > logSize) {
    throw new ValidationError('TREE_SIZE_OUT_OF_RANGE', `${field} must be between 1 and the log size ${logSize}`, { field });
  }
}
