import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { TamgaError } from '@tamga/core';
import { loadConfig, openAccessControl, parseLogin, parseOptionalTime, parseRoles, parseTenants, ROLES } from '@tamga/server';
import type { AccessControl, Principal, UserChanges, UserView } from '@tamga/server';

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

function parseArgs(args: readonly string[]): Parsed {
  const positional: string[] = [];
  const serverArgs: string[] = [];
  let roles: string[] | undefined;
  let tenants: string[] | undefined;
  let password: string | undefined;
  let enabled: boolean | undefined;
  let expires: string | undefined;
  let mustChange = true;
  const value = (i: number, name: string): string => {
    const v = args[i];
    if (v === undefined) throw new TamgaError('VALIDATION_FAILED', `Option ${name} needs a value`, { field: name });
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const take = (): string => inline ?? value(++i, name);
    switch (name) {
      case '--role':
        roles = [...(roles ?? []), ...take().split(',').filter((s) => s !== '')];
        break;
      case '--tenant':
        tenants = [...(tenants ?? []), ...take().split(',').filter((s) => s !== '')];
        break;
      case '--password':
        password = take();
        break;
      case '--expires':
        expires = take();
        break;
      case '--enable':
        enabled = true;
        break;
      case '--disable':
        enabled = false;
        break;
      case '--no-must-change':
        mustChange = false;
        break;
      default:
        if (arg.startsWith('--')) {
          // A server option (--data-dir, --database-url, ...), checked by loadConfig.
          serverArgs.push(arg);
          if (inline === undefined && args[i + 1] !== undefined && !args[i + 1]!.startsWith('--')) serverArgs.push(args[++i]!);
        } else {
          positional.push(arg);
        }
    }
  }
  return {
    positional,
    serverArgs,
    mustChange,
    ...(roles !== undefined && { roles }),
    ...(tenants !== undefined && { tenants }),
    ...(password !== undefined && { password }),
    ...(enabled !== undefined && { enabled }),
    ...(expires !== undefined && { expires }),
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
  const [action, ...rest] = args;
  if (action === undefined || action === 'help' || action === '--help') {
    out.write(USERS_USAGE);
    return action === undefined ? 2 : 0;
  }
  const parsed = parseArgs(rest);
  const config = loadConfig(process.env, parsed.serverArgs);
  const { access, close } = await openAccessControl(config);
  try {
    return await run(access, action, parsed, out);
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
