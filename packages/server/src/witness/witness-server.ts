import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { cosignCheckpoint, isTamgaError, openNote, parseCheckpoint, parseVerifierKey, TamgaError, verifyConsistency } from '@tamga/core';
import type { NoteVerifier } from '@tamga/core';
import { openOrCreateWitnessKey, WitnessStateStore } from './witness-store.js';
import type { WitnessSigningKey } from './witness-store.js';

/** A log the witness witnesses: its origin (a trailing `*` matches every origin with that prefix) and its keys. */
export interface WitnessedLog {
  readonly origin: string;
  readonly keys: readonly NoteVerifier[];
}

/** Options of {@link buildWitnessServer}. */
export interface WitnessServerConfig {
  /** Holds `witness-key.json` and the per-log state (`logs/`). */
  readonly dataDir: string;
  /** The witness's key name (first start; later starts must repeat it or leave it out). Default `tamga-witness`. */
  readonly name?: string;
  readonly logs: readonly WitnessedLog[];
  /** Clock in UTC milliseconds. */
  readonly now?: () => number;
  /** Fastify logger setting. Default off. */
  readonly logger?: boolean | { level: string };
}

/** A built witness: its key and its HTTP server (not listening). */
export interface WitnessServer {
  readonly key: WitnessSigningKey;
  readonly http: FastifyInstance;
}

/** Largest add-checkpoint request: a note and up to 63 proof lines fit well within it. */
const MAX_BODY = 64 * 1024;

/**
 * Parses `--log ORIGIN=VERIFIER_KEY` (the key of the log's checkpoints, `name+id+base64`); an origin ending in `*`
 * covers every origin with that prefix (all tenant logs of one Tamga: `tamga.example.com/*`). Repeat an origin to
 * accept several keys (a key rotation).
 */
export function parseWitnessedLogs(specs: readonly string[]): WitnessedLog[] {
  const byOrigin = new Map<string, NoteVerifier[]>();
  for (const spec of specs) {
    const at = spec.indexOf('=');
    if (at <= 0) throw new TamgaError('CONFIG_INVALID', `--log ${spec}: expected ORIGIN=VERIFIER_KEY`, { field: '--log' });
    const origin = spec.slice(0, at);
    let key: NoteVerifier;
    try {
      key = parseVerifierKey(spec.slice(at + 1));
    } catch (error) {
      if (!isTamgaError(error)) throw error;
      throw new TamgaError('CONFIG_INVALID', `--log ${origin}: ${error.message}`, { field: '--log' }, { cause: error });
    }
    byOrigin.set(origin, [...(byOrigin.get(origin) ?? []), key]);
  }
  return [...byOrigin].map(([origin, keys]) => ({ origin, keys }));
}

class HttpAnswer extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly contentType = 'text/plain; charset=utf-8',
  ) {
    super(message);
  }
}

/**
 * Parses an add-checkpoint body (c2sp.org/tlog-witness): `old <size>`, one base64 hash per line (the consistency
 * proof), an empty line, then the checkpoint note.
 */
function parseAddCheckpoint(body: string): { oldSize: number; proof: Buffer[]; note: string } {
  const lines = body.split('\n');
  const first = /^old (0|[1-9][0-9]{0,15})$/.exec(lines[0] ?? '');
  if (first === null) throw new HttpAnswer(400, 'The body must start with "old <size>"');
  const proof: Buffer[] = [];
  let i = 1;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const hash = Buffer.from(lines[i]!, 'base64');
    if (hash.length !== 32 || hash.toString('base64') !== lines[i]) throw new HttpAnswer(400, `Proof line ${i} is not a base64 SHA-256 hash`);
    if (proof.length >= 63) throw new HttpAnswer(400, 'The proof has more than 63 hashes');
    proof.push(hash);
  }
  if (i >= lines.length) throw new HttpAnswer(400, 'A blank line must separate the proof from the checkpoint');
  return { oldSize: Number(first[1]), proof, note: lines.slice(i + 1).join('\n') };
}

/**
 * A minimal C2SP tlog-witness (https://c2sp.org/tlog-witness): `POST /add-checkpoint` cosigns a checkpoint of a
 * configured log only when its signature verifies with the log's key and it is consistent with the checkpoint of
 * that log it cosigned last (RFC 9162 consistency proof from `old`). Answers: 200 with a timestamped Ed25519
 * cosignature line (c2sp.org/tlog-cosignature); 400 malformed; 403 no valid signature by the log's key; 404 unknown
 * log; 409 `old` is not the size it knows (body: that size, `text/x.tlog.size`); 422 the proof does not verify
 * (history rewritten, or a split view). The new state is on disk (fsync) before a cosignature goes out; requests
 * are handled one at a time, so two views of one log cannot both be cosigned.
 */
export async function buildWitnessServer(config: WitnessServerConfig): Promise<WitnessServer> {
  const key = openOrCreateWitnessKey(config.dataDir, config.name);
  const state = new WitnessStateStore(config.dataDir);
  const now = config.now ?? Date.now;
  const http = Fastify({ logger: config.logger ?? false, bodyLimit: MAX_BODY });
  http.removeAllContentTypeParsers();
  http.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  let queue: Promise<unknown> = Promise.resolve();

  function logOf(origin: string): WitnessedLog | undefined {
    return config.logs.find((l) => (l.origin.endsWith('*') ? origin.startsWith(l.origin.slice(0, -1)) : l.origin === origin));
  }

  function addCheckpoint(body: string): string {
    const { oldSize, proof, note } = parseAddCheckpoint(body);
    const split = note.lastIndexOf('\n\n');
    const origin = note.slice(0, Math.max(0, note.indexOf('\n')));
    const log = logOf(origin);
    if (log === undefined || split < 0) throw new HttpAnswer(404, `This witness does not witness the log "${origin}"`);
    let checkpoint;
    try {
      checkpoint = parseCheckpoint(openNote(note, log.keys).text);
    } catch (error) {
      if (!isTamgaError(error)) throw error;
      const status = error.code === 'KEY_UNKNOWN' || error.code === 'SIGNATURE_INVALID' ? 403 : 400;
      throw new HttpAnswer(status, `The checkpoint does not verify: ${error.message}`);
    }
    const known = state.read(origin);
    const knownSize = known?.size ?? 0;
    if (oldSize !== knownSize) throw new HttpAnswer(409, `${knownSize}\n`, 'text/x.tlog.size');
    if (checkpoint.size < oldSize) throw new HttpAnswer(400, `The checkpoint size ${checkpoint.size} is below old ${oldSize}`);
    if (known !== undefined) {
      try {
        verifyConsistency(oldSize, checkpoint.size, proof, Buffer.from(known.rootHash, 'base64'), checkpoint.rootHash);
      } catch (error) {
        if (!isTamgaError(error)) throw error;
        throw new HttpAnswer(422, `Not consistent with the checkpoint of size ${known.size} cosigned before: ${error.message}`);
      }
    } else if (proof.length > 0) {
      throw new HttpAnswer(400, 'A first checkpoint comes without a proof (old 0)');
    }
    const seconds = Math.floor(now() / 1000);
    // Durable before the cosignature leaves: a crash after answering must not forget what was cosigned.
    state.write({ origin, size: checkpoint.size, rootHash: checkpoint.rootHash.toString('base64'), at: new Date(now()).toISOString() });
    return `${cosignCheckpoint(key.key.name, key.seed, note.slice(0, split + 1), seconds)}\n`;
  }

  function answer(reply: FastifyReply, status: number, text: string, contentType = 'text/plain; charset=utf-8'): FastifyReply {
    return reply.status(status).type(contentType).send(text);
  }

  http.post('/add-checkpoint', async (request, reply) => {
    const body = typeof request.body === 'string' ? request.body : '';
    const run = queue.then(() => addCheckpoint(body));
    queue = run.catch(() => undefined);
    try {
      return answer(reply, 200, await run);
    } catch (error) {
      if (error instanceof HttpAnswer) return answer(reply, error.status, error.status === 409 ? error.message : `${error.message}\n`, error.contentType);
      throw error;
    }
  });

  // The witness's verifier key, for logs and verifiers to configure.
  http.get('/', async (_request, reply) => answer(reply, 200, `${key.key.text}\n`));
  return { key, http };
}
