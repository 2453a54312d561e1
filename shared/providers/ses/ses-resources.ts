import { createHash } from 'node:crypto';
import {
  AlreadyExistsException,
  ListResourceTenantsCommand,
  type ListResourceTenantsCommandOutput,
  NotFoundException,
  type SESv2Client,
} from '@aws-sdk/client-sesv2';
import { isTenantId } from '../../tenant-id.js';

/** Runs a create call; "already exists" counts as done, which makes each step safe to repeat. */
export async function ignoreAlreadyExists(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof AlreadyExistsException)) throw error;
  }
}

/** The SES tenants a resource is associated with (`ListResourceTenants`); none when the resource does not exist. */
export async function tenantsOf(client: SESv2Client, resourceArn: string): Promise<string[]> {
  const tenants: string[] = [];
  let nextToken: string | undefined;
  do {
    let page: ListResourceTenantsCommandOutput;
    try {
      page = await client.send(
        new ListResourceTenantsCommand({
          ResourceArn: resourceArn,
          PageSize: 100,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof NotFoundException) return [];
      throw error;
    }
    for (const tenant of page.ResourceTenants ?? []) if (tenant.TenantName) tenants.push(tenant.TenantName);
    nextToken = page.NextToken;
  } while (nextToken);
  return tenants;
}

/**
 * Our tenant whose SES tenant has this name, when the name is one {@link sesTenantName} gives
 * without a hash (`ei-<tenant id>`); undefined otherwise (another name, or a hashed one).
 */
export function tenantIdOfSesTenantName(name: string): string | undefined {
  if (!name.startsWith('ei-')) return undefined;
  const candidate = name.slice(3);
  return isTenantId(candidate) && sesTenantName(candidate) === name ? candidate : undefined;
}

/** SES tenant names: letters, digits, `-` and `_`, at most 64 characters. */
const TENANT_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Our tenant's SES tenant name: readable where the id allows, always unique (a hash of the
 * id is appended whenever characters had to be replaced or cut).
 */
export function sesTenantName(tenantId: string): string {
  const readable = `ei-${tenantId}`;
  if (TENANT_NAME.test(readable)) return readable;
  const hash = createHash('sha256').update(tenantId).digest('hex').slice(0, 12);
  return `ei-${tenantId.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 47)}-${hash}`;
}
