import { describe, expect, it } from 'vitest';
import { compileNameGlob } from './name-glob.js';

describe('compileNameGlob', () => {
  it('matches the default patterns: current and rotated logs, compressed or not', () => {
    const matches = compileNameGlob('*.log,*.log.*');
    expect(['web.log', 'web.log.1', 'web.log.1.gz', 'web.2023-11-30.log', 'web.log.2023-11-30'].every(matches)).toBe(true);
    expect(['web.txt', 'core.dump', 'weblog', '.log.swp~x'].filter(matches)).toEqual(['.log.swp~x']);
  });

  it('supports ? and character sets, and treats other characters literally', () => {
    expect(compileNameGlob('web.log.[0-9]')('web.log.3')).toBe(true);
    expect(compileNameGlob('web.log.[!0-9]')('web.log.3')).toBe(false);
    expect(compileNameGlob('a?c(1).log')('abc(1).log')).toBe(true);
    expect(compileNameGlob('a?c(1).log')('abc1.log')).toBe(false);
  });

  it.each(['', 'logs/*.log', 'web.[log'])('refuses %j with CONFIG_INVALID', (pattern) => {
    expect(() => compileNameGlob(pattern)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
