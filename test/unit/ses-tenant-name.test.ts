import { describe, expect, it } from 'vitest';
import {
  isOurSesTenantName,
  sesTenantName,
  tenantIdOfSesTenantName,
} from '../../shared/providers/ses/ses-tenant-name.js';

describe('sesTenantName', () => {
  it('keeps a tenant id SES can hold readable, and reads it back', () => {
    expect(sesTenantName('acme-1')).toBe('ei-acme-1');
    expect(tenantIdOfSesTenantName('ei-acme-1')).toBe('acme-1');
  });

  it('never gives two tenants one name: a hashed name cannot be another tenant’s readable one', () => {
    const hashed = sesTenantName('acme.corp');
    expect(hashed).toMatch(/^eh-acme-corp-[0-9a-f]{12}$/);
    // The id that would have spelt the same name readably gets a different one.
    const lookalike = hashed.slice('eh-'.length);
    expect(sesTenantName(lookalike)).toBe(`ei-${lookalike}`);
    expect(sesTenantName(lookalike)).not.toBe(hashed);
    // A hashed name maps back only through SES's tenant-id tag, never by reading it.
    expect(tenantIdOfSesTenantName(hashed)).toBeUndefined();
  });

  it('stays within SES’s 64 characters for a long id, and tells our names from others', () => {
    const name = sesTenantName(`tenant:${'x'.repeat(100)}`);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(isOurSesTenantName(name)).toBe(true);
    expect(isOurSesTenantName('ei-acme')).toBe(true);
    expect(isOurSesTenantName('other-app-tenant')).toBe(false);
  });
});
