import { TamgaError } from '@tamga/core';

/** Settings of users, sessions and abuse limits; from environment variables (see README, Configuration). */
export interface AccessConfig {
  /** `TAMGA_ADMIN_PASSWORD`: the first start's password of `admin` (else one is generated and printed). */
  readonly adminPassword: string | undefined;
  /** `TAMGA_PASSWORD_MAX_AGE_DAYS`: a password older than this is refused (LoginUserExpired). Default 0 = never. */
  readonly passwordMaxAgeDays: number;
  /** `TAMGA_LOGIN_LOCKOUT_ATTEMPTS`: failed sign-ins that lock an account. Default 5. */
  readonly lockoutAttempts: number;
  /** `TAMGA_LOGIN_LOCKOUT_MINUTES`: the window those failures are counted in, and the lock's length. Default 15. */
  readonly lockoutMinutes: number;
  /** `TAMGA_LOGIN_RATE_PER_IP`: sign-in attempts a minute from one address. Default 20. */
  readonly loginRatePerIp: number;
  /** `TAMGA_LOGIN_RATE_PER_ACCOUNT`: sign-in attempts a minute for one login. Default 10. */
  readonly loginRatePerAccount: number;
  /** `TAMGA_INGEST_RATE`: events a second one API key or user may append (token bucket). Default 20,000. */
  readonly ingestRate: number;
  /** `TAMGA_INGEST_BURST`: the bucket's size in events. Default 100,000. */
  readonly ingestBurst: number;
  /** `TAMGA_SESSION_IDLE_MINUTES`: a session unused this long ends. Default 30. */
  readonly sessionIdleMinutes: number;
  /** `TAMGA_SESSION_MAX_HOURS`: a session ends this long after sign-in. Default 12. */
  readonly sessionMaxHours: number;
}

/** The defaults of {@link AccessConfig}. */
export const DEFAULT_ACCESS_CONFIG: AccessConfig = Object.freeze({
  adminPassword: undefined,
  passwordMaxAgeDays: 0,
  lockoutAttempts: 5,
  lockoutMinutes: 15,
  loginRatePerIp: 20,
  loginRatePerAccount: 10,
  ingestRate: 20_000,
  ingestBurst: 100_000,
  sessionIdleMinutes: 30,
  sessionMaxHours: 12,
});

const NUMBERS: readonly [keyof AccessConfig, string, number][] = [
  ['passwordMaxAgeDays', 'TAMGA_PASSWORD_MAX_AGE_DAYS', 0],
  ['lockoutAttempts', 'TAMGA_LOGIN_LOCKOUT_ATTEMPTS', 1],
  ['lockoutMinutes', 'TAMGA_LOGIN_LOCKOUT_MINUTES', 1],
  ['loginRatePerIp', 'TAMGA_LOGIN_RATE_PER_IP', 1],
  ['loginRatePerAccount', 'TAMGA_LOGIN_RATE_PER_ACCOUNT', 1],
  ['ingestRate', 'TAMGA_INGEST_RATE', 1],
  ['ingestBurst', 'TAMGA_INGEST_BURST', 1],
  ['sessionIdleMinutes', 'TAMGA_SESSION_IDLE_MINUTES', 1],
  ['sessionMaxHours', 'TAMGA_SESSION_MAX_HOURS', 1],
];

/** Reads {@link AccessConfig} from `env`; a malformed number is `CONFIG_INVALID`. */
export function loadAccessConfig(env: NodeJS.ProcessEnv = process.env): AccessConfig {
  const config: Record<string, unknown> = { ...DEFAULT_ACCESS_CONFIG };
  const password = env.TAMGA_ADMIN_PASSWORD;
  config.adminPassword = password === undefined || password === '' ? undefined : password;
  for (const [key, name, min] of NUMBERS) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) {
      throw new TamgaError('CONFIG_INVALID', `${name} must be a whole number of at least ${min}, not "${text}"`, { field: name });
    }
    config[key] = value;
  }
  return config as unknown as AccessConfig;
}
