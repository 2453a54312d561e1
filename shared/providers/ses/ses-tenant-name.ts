import { createHash } from 'node:crypto';
import { isTenantId } from '../../tenant-id.js';

/**
 * The names of our tenants' SES tenants, in a module of their own (no SDK): the SES event function
 * maps names to tenants for every event and loads the SES client only for the rare hashed name.
 */

/** SES tenant names: letters, digits, `-` and `_`, at most 64 characters. */
const TENANT_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Prefix of a readable name (`ei-<tenant id>`), and of a hashed one: never the same, so no two tenants share a name. */
const READABLE_PREFIX = 'ei-';
const HASHED_PREFIX = 'eh-';

/**
 * Our tenant's SES tenant name: readable where the id allows (`ei-<tenant id>`); otherwise the id
 * with its other characters replaced, cut, and a hash of the whole id appended, under its own
 * prefix (`eh-…-<hash>`), so a readable name can never equal another tenant's hashed one.
 */
export function sesTenantName(tenantId: string): string {
  const readable = `${READABLE_PREFIX}${tenantId}`;
  if (TENANT_NAME.test(readable)) return readable;
  const hash = createHash('sha256').update(tenantId).digest('hex').slice(0, 12);
  return `${HASHED_PREFIX}${tenantId.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 47)}-${hash}`;
}

/** Whether a name is one {@link sesTenantName} can give (readable or hashed). */
export function isOurSesTenantName(name: string): boolean {
  return name.startsWith(READABLE_PREFIX) || name.startsWith(HASHED_PREFIX);
}

/**
 * Our tenant whose SES tenant has this name, when the name is a readable one (`ei-<tenant id>`);
 * undefined otherwise (another application's name, or a hashed one, which only SES's tag can map).
 */
export function tenantIdOfSesTenantName(name: string): string | undefined {
  if (!name.startsWith(READABLE_PREFIX)) return undefined;
  const candidate = name.slice(READABLE_PREFIX.length);
  return isTenantId(candidate) && sesTenantName(candidate) === name ? candidate : undefined;
}
