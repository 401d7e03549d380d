import { consistencyProofNodes, hashChildren, inclusionProofNodes, rehashProof, subtreesOf, TamgaError, ValidationError } from '@tamga/core';
import type { NodeId } from '@tamga/core';
import { STORED_LEVEL_STRIDE } from './journal-store.js';
import type { JournalStore } from './journal-store.js';

/** A proof as served: the hashes in order (RFC 9162 §2.1.3 / §2.1.4). */
export interface Proof {
  readonly hashes: Buffer[];
}

/**
 * Builds RFC 9162 inclusion and consistency proofs from the store's Merkle nodes. Nodes at levels that
 * are multiples of {@link STORED_LEVEL_STRIDE} are read; others are folded from the nearest stored
 * level below (at most 2^(stride-1) hashes each).
 */
export class Prover {
  readonly #store: JournalStore;

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
    return { hashes: rehashProof(nodes, await this.#hashes(logId, nodes.ids)) };
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

  async #hashes(logId: number, ids: readonly NodeId[]): Promise<Buffer[]> {
    for (let attempt = 1; ; attempt++) {
      const cut = (await this.#store.purgeState(logId))?.purgedTo ?? 0;
      try {
        return await Promise.all(ids.map((id) => this.#resolve(logId, id, cut)));
      } catch (error) {
        // A purge slice moved the cut while the leaves were read: resolve again from the retained nodes.
        if (attempt < 3 && ((await this.#store.purgeState(logId))?.purgedTo ?? 0) !== cut) continue;
        throw error;
      }
    }
  }

  /**
   * The hash of a node. Below a purge cut (`cut`: records `[0, cut)` are gone) the node is a retained one, or it is
   * folded from its children, down to the leaves that are left; levels from {@link STORED_LEVEL_STRIDE} up are never
   * purged (merkle_nodes is append-only). A node that needs a purged leaf nobody retained: `RECORDS_PURGED`.
   */
  async #resolve(logId: number, id: NodeId, cut: number): Promise<Buffer> {
    const { level, index } = id;
    if (level >= STORED_LEVEL_STRIDE || index * 2 ** level >= cut) return this.#nodeHash(logId, id);
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

  async #nodeHash(logId: number, { level, index }: NodeId): Promise<Buffer> {
    const base = level - (level % STORED_LEVEL_STRIDE);
    const width = 2 ** (level - base);
    let layer = await this.#store.readNodes(logId, base, index * width, (index + 1) * width);
    while (layer.length > 1) {
      const next: Buffer[] = [];
      for (let i = 0; i < layer.length; i += 2) next.push(hashChildren(layer[i]!, layer[i + 1]!));
      layer = next;
    }
    return layer[0]!;
  }
}

function checkSize(size: number, logSize: number, field: string): void {
  if (!Number.isSafeInteger(size) || size < 1 || size > logSize) {
    throw new ValidationError('TREE_SIZE_OUT_OF_RANGE', `${field} must be between 1 and the log size ${logSize}`, { field });
  }
}
