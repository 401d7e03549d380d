import { afterEach } from 'vitest';
import { tempDir } from '../../../server/src/test-support/fixtures.js';
import { startLoopbackTamga } from './loopback-tamga.js';
import type { LoopbackTamga } from './loopback-tamga.js';

/** What a test makes that must go when it ends: servers, directories, producers, processes. */
export interface TestScope {
  /** Runs `cleanup` after the current test (cleanups run newest first). */
  defer(cleanup: () => Promise<unknown> | void): void;
  /** A {@link LoopbackTamga} removed after the test. */
  tamga(options?: Parameters<typeof startLoopbackTamga>[0]): Promise<LoopbackTamga>;
  /** A temporary directory removed after the test. */
  dir(prefix?: string): string;
}

/** Registers an `afterEach` that undoes what each test of the file made through the returned scope. */
export function useTestScope(): TestScope {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    defer: (cleanup) => void cleanups.push(cleanup),
    async tamga(options) {
      const t = await startLoopbackTamga(options);
      cleanups.push(() => t.remove());
      return t;
    },
    dir(prefix = 'tamga-sdk-') {
      const d = tempDir(prefix);
      cleanups.push(() => d.remove());
      return d.path;
    },
  };
}
