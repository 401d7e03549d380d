import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CatalogEntry, ValidationError } from '@tamga/core';
import { defaultCatalogDir, loadBuiltinCatalogs } from './load-builtin-catalogs.js';

/** Code/name pairs literally listed in seeds 000, 001 and 004, extracted once (see extract-seed-pairs.mjs). */
interface SeedPair {
  readonly code: number | null;
  readonly name: string;
  readonly seed: '000' | '001' | '004';
  readonly pollable?: boolean;
}
const seedPairs = JSON.parse(
  readFileSync(new URL('../../../core/src/catalog/testdata/seed-code-names.json', import.meta.url), 'utf8'),
) as SeedPair[];

describe('loadBuiltinCatalogs', () => {
  const set = loadBuiltinCatalogs();
  const entries = set.entries();

  it('loads the four built-in catalogues in order', () => {
    expect(set.catalogs()).toEqual(['ai-server', 'asset-server', 'platform-security', 'tamga']);
  });

  describe('every pair listed in the AI Server seeds (000, 001)', () => {
    const aiPairs = seedPairs.filter((p) => p.seed !== '004');

    it.each(aiPairs.map((p) => [p.seed, p.code, p.name] as const))(
      'seed %s: %i %s is in the catalogue under its name',
      (_seed, code, name) => {
        const entry = set.byName(name);
        expect(entry, name).toBeDefined();
        // The one renumbered entry keeps its seed code (docs/decisions/0002-code-15800-conflict.md).
        expect(entry?.seedCode ?? entry?.code).toBe(code);
        expect(entry?.catalog).toBe('ai-server');
      },
    );

    it('covers every entry of the ai-server catalogue (nothing invented)', () => {
      const names = new Set(aiPairs.map((p) => p.name));
      const extra = entries.filter((e) => e.catalog === 'ai-server' && !names.has(e.name));
      expect(extra).toEqual([]);
    });
  });

  describe('code 15800, listed twice in the seeds', () => {
    it('keeps TrainProcessCompletedSuccess and renumbers TrainProcessTimeout, recording the seed code', () => {
      expect(seedPairs.filter((p) => p.code === 15800 && p.seed === '000').map((p) => p.name)).toEqual([
        'TrainProcessCompletedSuccess',
        'TrainProcessTimeout',
      ]);
      expect(set.byCode(15800)?.name).toBe('TrainProcessCompletedSuccess');
      const timeout = set.byName('TrainProcessTimeout');
      expect(timeout).toMatchObject({ code: 15802, seedCode: 15800, classifiedEvent: 2 });
      expect(entries.filter((e) => e.seedCode !== undefined)).toHaveLength(1);
    });
  });

  describe('every event type of the asset server seed (004)', () => {
    const assetPairs = seedPairs.filter((p) => p.seed === '004');

    it.each(assetPairs.map((p) => [p.name, p.pollable ?? false] as const))(
      '%s is in asset-server with pollable %s',
      (name, pollable) => {
        expect(set.byName(name)).toMatchObject({ catalog: 'asset-server', pollable });
      },
    );

    it('has no other entry', () => {
      expect(entries.filter((e) => e.catalog === 'asset-server')).toHaveLength(assetPairs.length);
    });
  });

  it('has codes 101–103 and 112 once each, though the seeds file them in different sections', () => {
    for (const code of [101, 102, 103, 112]) {
      expect(entries.filter((e) => e.code === code)).toHaveLength(1);
    }
  });

  it('gives every catalogue its own code range, and every code lies in its range', () => {
    const ranges: Record<string, readonly [number, number]> = {
      'ai-server': [1, 29999],
      'asset-server': [30000, 30999],
      'platform-security': [31000, 31999],
      tamga: [32000, 32099],
    };
    for (const e of entries) {
      const [min, max] = ranges[e.catalog] ?? [NaN, NaN];
      expect(e.code >= min && e.code <= max, `${e.catalog} ${e.code}`).toBe(true);
    }
  });

  it('has unique codes and names across all catalogues', () => {
    const byCode = new Set(entries.map((e) => e.code));
    const byName = new Set(entries.map((e) => e.name));
    expect(byCode.size).toBe(entries.length);
    expect(byName.size).toBe(entries.length);
  });

  it('classifies authentication failures and lock-outs as security incidents', () => {
    const classOf = (name: string): CatalogEntry['classifiedEvent'] | undefined =>
      set.byName(name)?.classifiedEvent;
    for (const name of [
      'Login',
      'LoginUserNotExist',
      'LoginUserLocked',
      'LoginUserUnauthorized',
      'UserDisabled',
    ]) {
      expect(classOf(name), name).toBe(3);
    }
    expect(classOf('LOGIN_FAILED')).toBe(3);
    expect(classOf('PlatformUserLoginFailed')).toBe(3);
  });

  it('marks the codes the seed reserves for the future as reserved', () => {
    const reserved = entries.filter((e) => e.status === 'reserved').map((e) => e.code);
    expect(reserved).toEqual([21500, 21501, 21502, 21503]);
  });

  describe('when a catalogue in the folder clashes with another', () => {
    it('throws CATALOG_INVALID listing the conflict', () => {
      const dir = mkdtempSync(join(tmpdir(), 'tamga-catalogs-'));
      const tamga = readFileSync(join(defaultCatalogDir(), 'tamga.json'), 'utf8');
      writeFileSync(join(dir, 'tamga.json'), tamga);
      writeFileSync(
        join(dir, 'tamga-copy.json'),
        tamga.replace('"catalog": "tamga"', '"catalog": "tamga-copy"'),
      );
      let error: ValidationError | undefined;
      try {
        loadBuiltinCatalogs(dir);
      } catch (err) {
        error = err as ValidationError;
      }
      expect(error?.code).toBe('CATALOG_INVALID');
      expect((error?.details['problems'] as unknown[]).length).toBeGreaterThan(1);
    });
  });
});
