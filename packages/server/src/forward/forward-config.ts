import { resolve } from 'node:path';
import { TamgaError } from '@tamga/core';

/** Forwarding settings of a node (the destinations themselves are in the database, or in the file). */
export interface ForwardConfig {
  /**
   * `TAMGA_FORWARD_FILE`: a JSON or YAML file of destinations applied at every start (created, changed or deleted to
   * match it; such destinations cannot be changed over the API). Unset: none.
   */
  readonly file: string | undefined;
  /** `TAMGA_FORWARD_ALARM_MINUTES`: a destination failing this long is journalled as down. Default 5. */
  readonly alarmMs: number;
}

/** Reads the {@link ForwardConfig} from the environment. */
export function loadForwardConfig(env: NodeJS.ProcessEnv = process.env): ForwardConfig {
  const file = env.TAMGA_FORWARD_FILE;
  const alarm = env.TAMGA_FORWARD_ALARM_MINUTES;
  const minutes = alarm === undefined || alarm === '' ? 5 : Number(alarm);
  if (!Number.isFinite(minutes) || minutes <= 0) {
    throw new TamgaError('CONFIG_INVALID', `TAMGA_FORWARD_ALARM_MINUTES must be a positive number, not "${alarm}"`, { field: 'TAMGA_FORWARD_ALARM_MINUTES' });
  }
  return { file: file === undefined || file === '' ? undefined : resolve(file), alarmMs: minutes * 60_000 };
}
