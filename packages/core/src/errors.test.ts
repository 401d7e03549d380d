import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, TamgaError, ValidationError } from './errors.js';

describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d+) \|/gm)].map((m) => [m[1], Number(m[2])]);

  it('lists every error code with its HTTP status, and no other', () => {
    const fromCode = Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status]);
    expect(rows.sort()).toEqual(fromCode.sort());
  });
});

describe('TamgaError', () => {
  it('carries its code, status and details', () => {
    const error = new ValidationError('UNKNOWN_EVENT_CODE', 'nope', { field: 'event', index: 2 });
    expect(error).toBeInstanceOf(TamgaError);
    expect(error.name).toBe('ValidationError');
    expect(error.status).toBe(422);
    expect(error.details).toEqual({ field: 'event', index: 2 });
  });
});
