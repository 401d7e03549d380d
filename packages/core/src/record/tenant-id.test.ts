import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { isTenantId, TenantIds, tenantIdLookalikeKey } from './tenant-id.js';

function problemOf(run: () => void): { code: string; field: unknown; message: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    const e = error as ValidationError;
    return { code: e.code, field: e.details.field, message: e.message };
  }
  throw new Error('no problem was raised');
}

describe('the tenant-id rule', () => {
  it('takes lower-case letters, digits, ".", "_" and "-", starting and ending with a letter or digit, up to 64', () => {
    for (const id of ['acme', 'a', '7', 'eu-west.billing', 't_42', 'a'.repeat(64), 'tamga']) expect(isTenantId(id), id).toBe(true);
  });

  it('refuses case, trailing or leading punctuation, other characters, length and the reserved filter words', () => {
    for (const id of ['TAMGA', 'Acme', 'tamga.', 'acme-', '.acme', '-acme', 'ac me', 'acme/x', 'аcme', '', 'a'.repeat(65), 'null', 'none', 'all']) {
      expect(isTenantId(id), id).toBe(false);
    }
  });

  it('gives look-alikes one key: case and trailing dots do not count', () => {
    expect(new Set(['TAMGA', 'Tamga.', 'tamga', 'tamga..', 'tamga_'].map(tenantIdLookalikeKey))).toEqual(new Set(['tamga']));
  });
});

describe('TenantIds', () => {
  describe('when nothing was stored before the rule', () => {
    const ids = TenantIds.NONE;

    it('refuses the system tenant’s look-alikes, naming the field and the reserved id', () => {
      for (const id of ['TAMGA', 'tamga.', 'Tamga']) {
        const p = problemOf(() => ids.checkNew(id, 'tenantId', 3));
        expect(p).toMatchObject({ code: 'VALIDATION_FAILED', field: 'tenantId' });
        expect(p.message).toContain(`[3].tenantId: "${id}" is not a tenant id: it looks like the reserved tenant id "tamga"`);
      }
      expect(problemOf(() => ids.checkName('DEFAULT.', 'tenantId')).message).toContain('looks like the reserved tenant id "default"');
    });

    it('suggests the id meant, and refuses the reserved words and "default" as a new id', () => {
      expect(problemOf(() => ids.checkNew('Acme', 'tenantId')).message).toContain('did you mean "acme"?');
      expect(problemOf(() => ids.checkNew('all', 'tenantId')).message).toContain('"all" is reserved and names no tenant');
      expect(problemOf(() => ids.checkNew('default', 'tenantId')).message).toContain('send null');
      expect(problemOf(() => ids.checkName('x'.repeat(5000), 'tenant')).message.length).toBeLessThan(400);
    });

    it('takes ids that follow the rule', () => {
      ids.checkNew('acme', 'tenantId');
      ids.checkName('tamga', 'tenantId');
    });
  });

  describe('when ids that break the rule were stored before it', () => {
    const ids = new TenantIds(['acme', null, 'Billing', 'TAMGA', 'tamga.']);

    it('lists them', () => {
      expect(ids.legacy).toEqual(['Billing', 'TAMGA', 'tamga.']);
    });

    it('still names them for reading, exactly as stored', () => {
      for (const id of ['Billing', 'TAMGA', 'tamga.']) ids.checkName(id, 'tenantId');
      expect(problemOf(() => ids.checkName('BILLING', 'tenantId')).message).toContain('looks like the stored tenant "Billing"');
    });

    it('stores nothing new under them, and says where new data goes', () => {
      expect(problemOf(() => ids.checkNew('Billing', 'tenantId')).message).toContain(
        'was stored before tenant ids were restricted (a tenant id is 1 to 64 lower-case letters, digits, ".", "_" or "-", starting and ending with a letter or digit): it stays readable and verifiable but takes nothing new; store new data under "billing"',
      );
      expect(problemOf(() => ids.checkNew('TAMGA', 'tenantId')).message).not.toContain('store new data under');
      ids.checkNew('billing', 'tenantId');
    });
  });
});
