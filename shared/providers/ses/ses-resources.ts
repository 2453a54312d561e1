import {
  AlreadyExistsException,
  ListResourceTenantsCommand,
  type ListResourceTenantsCommandOutput,
  NotFoundException,
  type SESv2Client,
} from '@aws-sdk/client-sesv2';

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

export { sesTenantName, tenantIdOfSesTenantName } from './ses-tenant-name.js';
