import { TamgaError } from '@tamga/core';

/**
 * A matcher of file names for `--glob`: comma-separated patterns where `*` is any run of characters, `?` one
 * character and `[…]` one of a set (`[!…]` none of it), as in a shell. Patterns match names, not paths (a
 * directory's files are matched by name; subdirectories are not entered).
 *
 * @example compileNameGlob('*.log,*.log.*')('web.log.1.gz') // true
 * @throws TamgaError `CONFIG_INVALID` for an empty pattern or an unclosed `[`.
 */
export function compileNameGlob(patterns: string): (name: string) => boolean {
  const res = patterns.split(',').map((p) => p.trim()).map((pattern) => {
    if (pattern === '' || pattern.includes('/')) throw new TamgaError('CONFIG_INVALID', `--glob: "${pattern}" is not a file name pattern (e.g. *.log,*.log.*)`, { field: '--glob' });
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c === '*') source += '.*';
      else if (c === '?') source += '.';
      else if (c === '[') {
        const end = pattern.indexOf(']', i + 2);
        if (end === -1) throw new TamgaError('CONFIG_INVALID', `--glob: "${pattern}" has an unclosed [`, { field: '--glob' });
        const set = pattern.slice(i + 1, end);
        source += set.startsWith('!') ? `[^${escapeSet(set.slice(1))}]` : `[${escapeSet(set)}]`;
        i = end;
      } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
    }
    return new RegExp(`^${source}$`, 'u');
  });
  return (name) => res.some((re) => re.test(name));
}

function escapeSet(set: string): string {
  return set.replace(/[\\\]^]/g, '\\$&');
}
