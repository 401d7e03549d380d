import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IngestState } from './ingest-state.js';

const dir = mkdtempSync(join(tmpdir(), 'tamga-ingest-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const owner = { url: 'http://127.0.0.1:7300', tenant: 'acme' };

describe('IngestState', () => {
  it('starts empty without a file, and writes nothing until progress moves', async () => {
    const path = join(dir, 'new.json');
    const state = IngestState.load(path, owner);
    expect(state.get('f1')).toBeUndefined();
    await state.save();
    expect(readdirSync(dir)).not.toContain('new.json');
  });

  it('keeps progress per content, only forward, and reads it back', async () => {
    const path = join(dir, 'a.json');
    const state = IngestState.load(path, owner);
    state.advance('f1', 1000, 20, '/logs/web.log');
    state.advance('f1', 400, 8, '/logs/web.log'); // an older acknowledgement changes nothing
    state.advance('f2', 50, 2, '/logs/web.log.1');
    state.markComplete('f2');
    await state.save();
    const again = IngestState.load(path, owner);
    expect(again.get('f1')).toMatchObject({ offset: 1000, line: 20, path: '/logs/web.log' });
    expect(again.get('f2')).toMatchObject({ offset: 50, isComplete: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes the last change when saves overlap', async () => {
    const path = join(dir, 'b.json');
    const state = IngestState.load(path, owner);
    const saves: Promise<void>[] = [];
    for (let i = 1; i <= 20; i++) {
      state.advance('f1', i * 100, i + 1, '/logs/web.log');
      saves.push(state.save());
    }
    await Promise.all(saves);
    expect(JSON.parse(readFileSync(path, 'utf8')).files.f1.offset).toBe(2000);
  });

  it('refuses a state file of another tenant or server, or not a state file, with CONFIG_INVALID', async () => {
    const path = join(dir, 'c.json');
    const state = IngestState.load(path, owner);
    state.advance('f1', 10, 2, '/x');
    await state.save();
    expect(() => IngestState.load(path, { ...owner, tenant: 'other' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('tenant "acme"') }));
    expect(() => IngestState.load(path, { ...owner, url: 'http://elsewhere:7300' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    writeFileSync(join(dir, 'd.json'), '{"files": 1');
    expect(() => IngestState.load(join(dir, 'd.json'), owner)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    writeFileSync(join(dir, 'e.json'), '{"format":"other"}');
    expect(() => IngestState.load(join(dir, 'e.json'), owner)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
