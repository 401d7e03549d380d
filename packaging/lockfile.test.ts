import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  readonly version?: string;
  readonly optionalDependencies?: Record<string, string>;
  readonly dependencies?: Record<string, string>;
}

const lock = JSON.parse(readFileSync(fileURLToPath(new URL('../package-lock.json', import.meta.url)), 'utf8')) as {
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
};

/** Where Node would find `name` from the package at `path` (its own node_modules, then each parent's). */
function resolves(path: string, name: string): boolean {
  let dir = path;
  for (;;) {
    if (lock.packages[`${dir === '' ? '' : `${dir}/`}node_modules/${name}`] !== undefined) return true;
    if (dir === '') return false;
    const i = dir.lastIndexOf('/node_modules/');
    dir = i === -1 ? '' : dir.slice(0, i);
  }
}

describe('package-lock.json', () => {
  it('records every optional dependency of every package, for every platform (npm ci refuses it otherwise, npm/cli#4828)', () => {
    expect(lock.lockfileVersion).toBe(3);
    const missing: string[] = [];
    let checked = 0;
    for (const [path, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        checked++;
        if (!resolves(path, name)) missing.push(`${path || '(root)'} → ${name}`);
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(missing, 'regenerate the lockfile without node_modules: rm -rf node_modules package-lock.json && npm install').toEqual([]);
    // The ones the build needs on another machine than this one.
    for (const binary of ['@rollup/rollup-linux-arm64-gnu', '@rollup/rollup-darwin-arm64', '@rollup/rollup-win32-x64-msvc', '@esbuild/darwin-arm64', '@esbuild/linux-arm64']) {
      expect(Object.keys(lock.packages).some((p) => p.endsWith(`node_modules/${binary}`)), binary).toBe(true);
    }
  });
});
