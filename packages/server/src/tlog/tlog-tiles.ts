import { Buffer } from 'node:buffer';
import { TamgaError } from '@tamga/core';
import type { JournalStore } from '../journal/journal-store.js';

/** Height of a tile (c2sp.org/tlog-tiles): a tile holds up to 2^8 = 256 hashes of one tree level. */
export const TILE_HEIGHT = 8;
/** Hashes (or entries) in a full tile. */
export const TILE_WIDTH = 256;
/** Highest tile level the spec allows (levels 0–63). */
const MAX_TILE_LEVEL = 63;
/** Largest entry an entry bundle can carry: its length is a big-endian uint16 (c2sp.org/tlog-tiles, "Log entries"). */
const MAX_ENTRY_SIZE = 0xffff;

/** A tile coordinate: `level` (`entries` for an entry bundle), index `index`, `width` hashes or entries (256 = full). */
export interface TileCoordinate {
  readonly level: number | 'entries';
  readonly index: number;
  readonly width: number;
}

function notFound(message: string): TamgaError {
  return new TamgaError('NOT_FOUND', message, { field: 'path' });
}

/**
 * Parses the path of a tile below `tile/`: `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`, where `<N>` is written in
 * zero-padded groups of three digits, every group but the last prefixed with `x` (`x001/x234/067` for 1234067) and
 * `<W>` is 1–255 without leading zeros (c2sp.org/tlog-tiles, "Merkle Tree" and "Log entries").
 *
 * @throws TamgaError `NOT_FOUND` for any other spelling: a path names a tile exactly one way.
 */
export function parseTilePath(path: string): TileCoordinate {
  const match = /^(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*)([0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/.exec(path);
  if (match === null) throw notFound(`Not a tile path: tile/${path}`);
  const [, levelText, prefixes, last, widthText] = match as unknown as [string, string, string, string, string | undefined];
  const level = levelText === 'entries' ? 'entries' : Number(levelText);
  if (level !== 'entries' && level > MAX_TILE_LEVEL) throw notFound('Tile levels go from 0 to 63');
  const groups = [...prefixes.split('/').filter((g) => g !== '').map((g) => g.slice(1)), last];
  // A leading group of zeros would be a second spelling of the same index.
  if (groups.length > 1 && groups[0] === '000') throw notFound('A tile index has no leading zero groups');
  if (groups.length > 5) throw notFound('Tile index too large');
  const index = Number(groups.join(''));
  const width = widthText === undefined ? TILE_WIDTH : Number(widthText);
  if (!Number.isSafeInteger(index)) throw notFound('Tile index too large');
  if (widthText !== undefined && width >= TILE_WIDTH) throw notFound('Partial tiles are 1 to 255 wide');
  return { level, index, width };
}

/** The path of a tile below `tile/` ({@link parseTilePath} reversed). */
export function formatTilePath(tile: TileCoordinate): string {
  const digits = String(tile.index).padStart(3, '0');
  const pad = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups: string[] = [];
  for (let i = 0; i < pad.length; i += 3) groups.push(pad.slice(i, i + 3));
  const n = groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
  return `${tile.level}/${n}${tile.width < TILE_WIDTH ? `.p/${tile.width}` : ''}`;
}

/**
 * Reads a tenant log as C2SP tlog-tiles from the store: a level-L tile is the stored Merkle nodes of tree level 8·L
 * (level 0: the leaf hashes, `SHA-256(0x00 ‖ L)`), an entry bundle is the records' canonical bytes `L` (the leaf
 * inputs), each prefixed with its length as a big-endian uint16. Only what the tree of `treeSize` leaves (the latest
 * checkpoint) holds is served: a tile or bundle beyond it is `NOT_FOUND`.
 */
export async function readTile(store: JournalStore, logId: number, treeSize: number, tile: TileCoordinate): Promise<Buffer> {
  const treeLevel = tile.level === 'entries' ? 0 : tile.level * TILE_HEIGHT;
  // Hashes at tree level h of a tree of n leaves: ⌊n / 2^h⌋ (only complete subtrees have a hash).
  const available = Math.floor(treeSize / 2 ** treeLevel);
  const from = tile.index * TILE_WIDTH;
  if (from + tile.width > available) throw notFound('The tile is beyond the latest checkpoint');
  if (treeLevel === 0) {
    // Leaf hashes and entries of records the retention policy purged are gone (tiles of level 1 and up stay).
    const purgedTo = (await store.purgeState(logId))?.purgedTo ?? 0;
    if (from < purgedTo) {
      throw new TamgaError('RECORDS_PURGED', `Records before seq ${purgedTo} were purged by the retention policy; this tile starts at ${from}`, {
        purgedTo,
      });
    }
  }
  if (tile.level !== 'entries') {
    const hashes = await store.readNodes(logId, treeLevel, from, from + tile.width);
    if (hashes.length !== tile.width) throw new TamgaError('STORE_FAILED', `Hashes ${from}…${from + tile.width - 1} of level ${treeLevel} are not all stored`);
    return Buffer.concat(hashes);
  }
  const records = await store.readRecordsBySeq(logId, from, from + tile.width);
  if (records.length !== tile.width) throw new TamgaError('STORE_FAILED', `Records ${from}…${from + tile.width - 1} are not all stored`);
  const parts: Buffer[] = [];
  for (const record of records) {
    const length = Buffer.alloc(2);
    if (record.canonical.length > MAX_ENTRY_SIZE) {
      throw new TamgaError('STORE_FAILED', `Record ${record.seq} is larger than an entry bundle can carry (65535 bytes)`);
    }
    length.writeUInt16BE(record.canonical.length, 0);
    parts.push(length, Buffer.from(record.canonical));
  }
  return Buffer.concat(parts);
}
