import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { loadConfig, openAccessControl, parseLogin, parseOptionalTime, parseRoles, parseTenants, ROLES } from '@tamga/server';
import type { AccessControl, Principal, UserChanges, UserView } from '@tamga/server';
import { parseCommand, usageError } from '../cli-args.js';
import { SERVER_OPTIONS, SERVER_OPTIONS_USAGE, serverFlags } from '../server-options.js';

const ACTIONS = ['list', 'create', 'update', 'disable', 'reset-password'] as const;

export const USERS_USAGE = `Usage: tamga users <action> [options] [server options]

Actions (on the configured store: --data-dir / --database-url, like serve):
  list                              List users
  create <login> --role R [--tenant T] [--password P] [--no-must-change]
                                    Create a user; without --password a one-time password is printed
  update <login> [--role R] [--tenant T] [--enable | --disable] [--expires <RFC 3339 | never>]
                                    Change a user (--role and --tenant replace the lists)
  disable <login>                   Disable a user and end its sessions
  reset-password <login> [--password P]
                                    Set a one-time password (printed) and unlock the account

--role and --tenant repeat or take commas. Roles: ${ROLES.join(', ')}. Tenant "default" is the default tenant.

${SERVER_OPTIONS_USAGE}
`;

interface Parsed {
  readonly positional: string[];
  readonly roles?: string[];
  readonly tenants?: string[];
  readonly password?: string;
  readonly enabled?: boolean;
  readonly expires?: string;
  readonly mustChange: boolean;
  readonly serverArgs: string[];
}

const OPTIONS = {
  role: { type: 'string', multiple: true },
  tenant: { type: 'string', multiple: true },
  password: { type: 'string' },
  expires: { type: 'string' },
  enable: { type: 'boolean', default: false },
  disable: { type: 'boolean', default: false },
  'no-must-change': { type: 'boolean', default: false },
  ...SERVER_OPTIONS,
} as const;

const split = (values: readonly string[] | undefined): string[] | undefined => values?.flatMap((v) => v.split(',').filter((s) => s !== ''));

function parseUsersArgs(args: readonly string[]): Parsed {
  const { values, positionals } = parseCommand({ command: 'tamga users', usage: USERS_USAGE, options: OPTIONS, allowPositionals: true, choices: { role: ROLES } }, args);
  if (values.enable && values.disable) throw usageError('tamga users', 'give --enable or --disable, not both');
  const roles = split(values.role);
  const tenants = split(values.tenant);
  return {
    positional: positionals,
    serverArgs: serverFlags(values),
    mustChange: !values['no-must-change'],
    ...(roles !== undefined && { roles }),
    ...(tenants !== undefined && { tenants }),
    ...(values.password !== undefined && { password: values.password }),
    ...(values.enable && { enabled: true }),
    ...(values.disable && { enabled: false }),
    ...(values.expires !== undefined && { expires: values.expires }),
  };
}

/** The command line as the actor of the journalled changes: `cli:<OS user>`, no IP. */
function cliActor(): Principal {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (containers): keep "unknown".
  }
  const name = `cli:${user}`;
  return { name, canRead: true, canIngest: true, isAdmin: true, kind: 'bootstrap', id: 'cli', userId: name };
}

function row(u: UserView): string {
  const tenants = u.tenants.map((t) => t ?? 'default').join(',') || '-';
  const expires = u.expiresAt === null ? 'never' : new Date(u.expiresAt).toISOString();
  const state = u.enabled ? 'enabled' : 'disabled';
  return [u.login.padEnd(20), u.roles.join(',').padEnd(28), tenants.padEnd(20), state.padEnd(9), (u.mustChangePassword ? 'yes' : 'no').padEnd(12), expires].join(' ');
}

const oneTimePassword = (): string => randomBytes(15).toString('base64url');

/** `tamga users ...`: manages users directly on the configured store. Returns the exit code. */
export async function users(args: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const parsed = parseUsersArgs(args);
  const [action, ...positional] = parsed.positional;
  if (action === undefined) throw usageError('tamga users', `name an action: ${ACTIONS.join(', ')}`);
  if (action === 'help') {
    out.write(USERS_USAGE);
    return 0;
  }
  if (!(ACTIONS as readonly string[]).includes(action)) throw usageError('tamga users', `unknown action "${action}" (${ACTIONS.join(', ')})`);
  const wanted = action === 'list' ? 0 : 1;
  if (positional.length !== wanted) {
    throw usageError(`tamga users ${action}`, positional.length < wanted ? 'name the user\'s login' : `unexpected argument "${positional[wanted]}"`);
  }
  const config = loadConfig(process.env, parsed.serverArgs);
  const { access, close } = await openAccessControl(config);
  try {
    return await run(access, action, { ...parsed, positional }, out);
  } finally {
    await close();
  }
}

async function run(access: AccessControl, action: string, p: Parsed, out: NodeJS.WritableStream): Promise<number> {
  const actor = cliActor();
  const origin = { ip: '' };
  const login = (): string => parseLogin(p.positional[0]);
  switch (action) {
    case 'list': {
      out.write(`${['login'.padEnd(20), 'roles'.padEnd(28), 'tenants'.padEnd(20), 'state'.padEnd(9), 'must change'.padEnd(12), 'expires'].join(' ')}\n`);
      for (const u of await access.listUsers()) out.write(`${row(u)}\n`);
      return 0;
    }
    case 'create': {
      const password = p.password ?? oneTimePassword();
      const user = await access.createUser(
        actor,
        {
          login: login(),
          password,
          roles: parseRoles(p.roles ?? [], '--role'),
          tenants: parseTenants(p.tenants ?? [], access.tenantIds, '--tenant'),
          mustChangePassword: p.mustChange,
          ...(p.enabled !== undefined && { enabled: p.enabled }),
          ...(p.expires !== undefined && { expiresAt: p.expires === 'never' ? null : parseOptionalTime(p.expires, '--expires') }),
        },
        origin,
      );
      out.write(`Created ${user.login}.\n`);
      if (p.password === undefined) out.write(`One-time password (shown only now; it must be changed at first sign-in):\n  ${password}\n`);
      return 0;
    }
    case 'update':
    case 'disable': {
      const changes: UserChanges =
        action === 'disable'
          ? { enabled: false }
          : {
              ...(p.roles !== undefined && { roles: parseRoles(p.roles, '--role') }),
              ...(p.tenants !== undefined && { tenants: parseTenants(p.tenants, access.tenantIds, '--tenant') }),
              ...(p.enabled !== undefined && { enabled: p.enabled }),
              ...(p.expires !== undefined && { expiresAt: p.expires === 'never' ? null : parseOptionalTime(p.expires, '--expires') }),
              ...(p.password !== undefined && { password: p.password }),
            };
      const user = await access.updateUser(actor, login(), changes, origin);
      out.write(`${row(user)}\n`);
      return 0;
    }
    case 'reset-password': {
      const password = p.password ?? oneTimePassword();
      await access.updateUser(actor, login(), { password, mustChangePassword: true }, origin);
      out.write(`The password of ${login()} was reset; the account is unlocked.\n`);
      if (p.password === undefined) out.write(`One-time password (shown only now; it must be changed at first sign-in):\n  ${password}\n`);
      return 0;
    }
    default:
      out.write(`Unknown action "${action}".\n\n${USERS_USAGE}`);
      return 2;
  }
}
