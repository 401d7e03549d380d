import { resolve } from 'node:path';
import { TamgaError } from '@tamga/core';
import { DEFAULT_CHECKPOINT_OVERLAP_MS } from '../keys/key-ring.js';

/** Evidence settings: where checkpoints are published outside the database, key overlap, self-check. */
export interface EvidenceConfig {
  /** `TAMGA_CHECKPOINT_DIR`: directory of append-only checkpoint files (one per checkpoint). Unset: none. */
  readonly checkpointDir: string | undefined;
  /** `TAMGA_CHECKPOINT_WEBHOOK`: URL each new checkpoint note is POSTed to (with retries). Unset: none. */
  readonly checkpointWebhook: string | undefined;
  /** `TAMGA_CHECKPOINT_KEY_OVERLAP_HOURS`: how long the previous checkpoint key co-signs after a rotation. Default 24. */
  readonly checkpointKeyOverlapMs: number;
  /** `TAMGA_SELF_CHECK_SECONDS`: interval of the checkpoint self-check; 0 turns it off. Default 600. */
  readonly selfCheckIntervalMs: number;
  /** `TAMGA_RETENTION_INTERVAL_MINUTES`: interval of the scheduled retention purge; 0 turns it off. Default 60. */
  readonly retentionIntervalMs: number;
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new TamgaError('CONFIG_INVALID', `${name} must be a non-negative number, not "${raw}"`, { field: name });
  return n;
}

/** Reads the {@link EvidenceConfig} from the environment. */
export function loadEvidenceConfig(env: NodeJS.ProcessEnv = process.env): EvidenceConfig {
  const dir = env.TAMGA_CHECKPOINT_DIR;
  const webhook = env.TAMGA_CHECKPOINT_WEBHOOK;
  if (webhook !== undefined && webhook !== '' && !/^https?:\/\//.test(webhook)) {
    throw new TamgaError('CONFIG_INVALID', 'TAMGA_CHECKPOINT_WEBHOOK must be an http:// or https:// URL', { field: 'TAMGA_CHECKPOINT_WEBHOOK' });
  }
  return {
    checkpointDir: dir === undefined || dir === '' ? undefined : resolve(dir),
    checkpointWebhook: webhook === undefined || webhook === '' ? undefined : webhook,
    checkpointKeyOverlapMs: number(env, 'TAMGA_CHECKPOINT_KEY_OVERLAP_HOURS', DEFAULT_CHECKPOINT_OVERLAP_MS / 3_600_000) * 3_600_000,
    selfCheckIntervalMs: number(env, 'TAMGA_SELF_CHECK_SECONDS', 600) * 1000,
    retentionIntervalMs: number(env, 'TAMGA_RETENTION_INTERVAL_MINUTES', 60) * 60_000,
  };
}
