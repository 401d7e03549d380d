/**
 * The one argument parser of every `tamga` command: `node:util` `parseArgs` in strict mode, with `--help`, one-line
 * usage errors (exit 2, pointing to `--help`) and options restricted to a list of values.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Exit code of wrong usage (an unknown option, a missing value, a value outside its list). */
export const USAGE_EXIT = 2;

/**
 * Ends a command early with an exit code and what to print: help on standard output (exit 0), a usage error on
 * standard error (exit 2). `main` prints it; nothing else is printed, never a stack trace.
 */
export class CliExit extends Error {
  constructor(
    readonly exitCode: number,
    readonly output: string,
  ) {
    super(output.trim());
    this.name = 'CliExit';
  }

  /** Where `output` goes: standard output for help (exit 0), standard error otherwise. */
  get toStdout(): boolean {
    return this.exitCode === 0;
  }
}

/** A command's options and usage text. */
export interface CommandSpec<O extends Options, P extends boolean> {
  /** As the user typed it, e.g. `tamga keys list`; errors start with it and point to `<command> --help`. */
  readonly command: string;
  /** The `--help` text. */
  readonly usage: string;
  readonly options: O;
  readonly allowPositionals?: P;
  /** Options whose values must be one of a list (each value of a `multiple` option, each comma-separated part). */
  readonly choices?: { readonly [K in keyof O]?: readonly string[] };
}

type Parsed<O extends Options, P extends boolean> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: P; strict: true }>>;

/** A usage error of `command`: one line on standard error, exit 2. */
export function usageError(command: string, message: string): CliExit {
  return new CliExit(USAGE_EXIT, `${command}: ${message}. See "${command} --help".\n`);
}

/** Whether `args` ask for help (`--help` or `-h` before a `--` that ends the options). */
export function asksForHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '--help' || arg === '-h') return true;
  }
  return false;
}

/**
 * Parses `args` the way every `tamga` command does.
 *
 * @throws CliExit with the usage (exit 0) when `args` ask for help; with one line naming the option and pointing to
 *   `--help` (exit 2) for an unknown option, a missing value, a value given to a flag, an unexpected argument or a
 *   value outside its list.
 */
export function parseCommand<const O extends Options, const P extends boolean = false>(spec: CommandSpec<O, P>, args: readonly string[]): Parsed<O, P> {
  if (asksForHelp(args)) throw new CliExit(0, spec.usage.endsWith('\n') ? spec.usage : `${spec.usage}\n`);
  let parsed: Parsed<O, P>;
  try {
    parsed = parseArgs({ args: [...args], options: spec.options, allowPositionals: (spec.allowPositionals ?? false) as P, strict: true }) as Parsed<O, P>;
  } catch (error) {
    throw usageError(spec.command, describeParseError(error as Error & { code?: string }));
  }
  for (const [name, allowed] of Object.entries(spec.choices ?? {}) as [string, readonly string[] | undefined][]) {
    const value = (parsed.values as Record<string, unknown>)[name];
    if (allowed === undefined || value === undefined) continue;
    for (const v of (Array.isArray(value) ? value : [value]) as string[]) {
      for (const part of v.split(',')) {
        if (!allowed.includes(part.trim())) throw usageError(spec.command, `--${name} must be one of ${allowed.join(', ')}, not "${part}"`);
      }
    }
  }
  return parsed;
}

/** `parseArgs`'s error as a short phrase naming the option (its own messages span several lines). */
function describeParseError(error: Error & { code?: string }): string {
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option ?? error.message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(error.message)) return `option ${option} takes no value`;
      return `option ${option} needs a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const arg = /argument: '(.*)'/.exec(error.message)?.[1] ?? error.message;
      return `unexpected argument "${arg}"`;
    }
    default:
      return error.message.split('\n')[0]!.replace(/\.$/, '');
  }
}

/**
 * A number given as an option's text: finite, at least `min` (and an integer when asked), else a usage error
 * naming the option.
 */
export function numberOption(command: string, name: string, text: string, rule: { readonly min: number; readonly max?: number; readonly integer?: boolean }): number {
  const n = Number(text);
  const ok = text.trim() !== '' && Number.isFinite(n) && n >= rule.min && (rule.max === undefined || n <= rule.max) && (rule.integer !== true || Number.isInteger(n));
  if (!ok) {
    const kind = rule.integer === true ? 'an integer' : 'a number';
    throw usageError(command, `--${name} must be ${kind} ${rule.max === undefined ? `of at least ${rule.min}` : `from ${rule.min} to ${rule.max}`}, not "${text}"`);
  }
  return n;
}

/** Fails with a usage error naming every missing option (`--url, --api-key`). */
export function requireGiven(command: string, missing: readonly (string | false)[]): void {
  const names = missing.filter((m): m is string => m !== false);
  if (names.length > 0) throw usageError(command, `missing ${names.join(', ')}`);
}
