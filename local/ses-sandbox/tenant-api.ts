import { statusChangeEvent } from './event-publishing.js';
import { compact, epochSeconds, type OperationContext, type OperationHandler, page } from './operation-context.js';
import { SesError } from './ses-errors.js';
import { newTenantId, parseResourceArn, type RegionState, type StoredTenant, tenantArn } from './ses-state.js';

/** Tenant names: letters, digits, `-` and `_`, up to 64 (the service's rule; docs/ses-facts.md 1.3). */
const TENANT_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** SES's default quota of tenants per account and region (FACTS.md 1.1). */
const MAX_TENANTS = 10_000;
/** SES-managed reputation policies (FACTS.md 1.6). */
const POLICY_ARN = /^arn:[a-z0-9-]+:ses:[a-z0-9-]+:aws:reputation-policy\/(none|standard|strict)$/;

/** The tenant as `GetTenant` and `CreateTenant` describe it. */
export function tenantView(context: OperationContext, tenant: StoredTenant): Record<string, unknown> {
  return compact({
    TenantName: tenant.name,
    TenantId: tenant.id,
    TenantArn: tenantArn(context.regionName, context.state.accountId, tenant),
    CreatedTimestamp: epochSeconds(tenant.createdAt),
    Tags: tenant.tags,
    SendingStatus: tenant.sendingStatus,
    SuppressionAttributes: tenant.suppression,
  });
}

/** The tenant with this name; NotFoundException otherwise. */
export function requireTenant(region: RegionState, name: string): StoredTenant {
  const tenant = region.tenants[name];
  if (!tenant) throw new SesError('NotFoundException', `Tenant ${name} does not exist.`);
  return tenant;
}

/** Whether a resource (by ARN) is associated with the tenant. */
export function isAssociated(region: RegionState, tenantName: string, resourceArn: string): boolean {
  return region.associations.some(
    (association) => association.tenantName === tenantName && association.resourceArn === resourceArn,
  );
}

/** The names of the tenants a resource is associated with. */
export function tenantsOf(region: RegionState, resourceArn: string): string[] {
  return region.associations
    .filter((association) => association.resourceArn === resourceArn)
    .map((association) => association.tenantName);
}

function suppressionOf(input: Record<string, unknown>): StoredTenant['suppression'] {
  const reasons = input.SuppressedReasons as string[] | undefined;
  const scope = input.SuppressionScope as string | undefined;
  // SES takes the two together, or neither (FACTS.md 1.8).
  if ((reasons === undefined) !== (scope === undefined)) {
    throw new SesError('BadRequestException', 'SuppressedReasons and SuppressionScope must be provided together.');
  }
  return reasons === undefined ? undefined : { SuppressedReasons: reasons, SuppressionScope: scope as string };
}

/** The tenant a reputation entity reference (the tenant's ARN) names, for the reputation operations. */
function tenantByArn(context: OperationContext, reference: string): StoredTenant {
  const tenant = Object.values(context.region.tenants).find(
    (candidate) => tenantArn(context.regionName, context.state.accountId, candidate) === reference,
  );
  // These operations declare no NotFoundException: an unknown reference is a bad request.
  if (!tenant) throw new SesError('BadRequestException', `Reputation entity ${reference} does not exist.`);
  return tenant;
}

/** Sets the customer-managed sending status and announces a change as SES does on EventBridge. */
function setSendingStatus(
  context: OperationContext,
  tenant: StoredTenant,
  status: StoredTenant['sendingStatus'],
): void {
  if (tenant.sendingStatus === status) return;
  tenant.sendingStatus = status;
  context.publish([statusChangeEvent(context, tenant, 'CUSTOMER_MANAGED', 'Set by the customer.')]);
}

/** CreateTenant, GetTenant, ListTenants, DeleteTenant, the resource associations and the tenant's reputation settings. */
export const TENANT_OPERATIONS: Record<string, OperationHandler> = {
  CreateTenant: (context) => {
    const { input, region } = context;
    const name = input.TenantName as string;
    if (!TENANT_NAME.test(name)) {
      throw new SesError(
        'BadRequestException',
        'The tenant name can contain up to 64 alphanumeric characters, including letters, numbers, hyphens (-) and underscores (_) only.',
      );
    }
    if (region.tenants[name]) throw new SesError('AlreadyExistsException', `Tenant ${name} already exists.`);
    if (Object.keys(region.tenants).length >= MAX_TENANTS) {
      throw new SesError('LimitExceededException', 'Maximum number of tenants reached.');
    }
    const suppression = input.SuppressionAttributes
      ? suppressionOf(input.SuppressionAttributes as Record<string, unknown>)
      : undefined;
    const tenant: StoredTenant = {
      name,
      id: newTenantId(),
      createdAt: context.now.toISOString(),
      tags: (input.Tags as StoredTenant['tags'] | undefined) ?? [],
      sendingStatus: 'ENABLED',
      reputationPolicy: `arn:aws:ses:${context.regionName}:aws:reputation-policy/standard`,
      ...(suppression ? { suppression } : {}),
    };
    region.tenants[name] = tenant;
    return tenantView(context, tenant);
  },

  GetTenant: (context) => ({
    Tenant: tenantView(context, requireTenant(context.region, context.input.TenantName as string)),
  }),

  ListTenants: (context) => {
    const tenants = Object.values(context.region.tenants).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const { items, nextToken } = page(tenants, context.input);
    return compact({
      Tenants: items.map((tenant) => {
        const { TenantName, TenantId, TenantArn, CreatedTimestamp } = tenantView(context, tenant);
        return { TenantName, TenantId, TenantArn, CreatedTimestamp };
      }),
      NextToken: nextToken,
    });
  },

  DeleteTenant: (context) => {
    const tenant = requireTenant(context.region, context.input.TenantName as string);
    // Deleting a tenant removes its associations; the resources themselves stay.
    context.region.associations = context.region.associations.filter((entry) => entry.tenantName !== tenant.name);
    delete context.region.tenants[tenant.name];
    return {};
  },

  CreateTenantResourceAssociation: (context) => {
    const { input, region } = context;
    const tenant = requireTenant(region, input.TenantName as string);
    const arn = input.ResourceArn as string;
    requireResource(context, arn);
    if (isAssociated(region, tenant.name, arn)) {
      throw new SesError('AlreadyExistsException', `Resource ${arn} is already associated with tenant ${tenant.name}.`);
    }
    region.associations.push({ tenantName: tenant.name, resourceArn: arn, associatedAt: context.now.toISOString() });
    return {};
  },

  DeleteTenantResourceAssociation: (context) => {
    const { input, region } = context;
    const tenant = requireTenant(region, input.TenantName as string);
    const arn = input.ResourceArn as string;
    if (!isAssociated(region, tenant.name, arn)) {
      throw new SesError('NotFoundException', `Resource ${arn} is not associated with tenant ${tenant.name}.`);
    }
    region.associations = region.associations.filter(
      (entry) => !(entry.tenantName === tenant.name && entry.resourceArn === arn),
    );
    return {};
  },

  ListTenantResources: (context) => {
    const { input, region } = context;
    const tenant = requireTenant(region, input.TenantName as string);
    const wanted = (input.Filter as Record<string, string> | undefined)?.RESOURCE_TYPE;
    const resources = region.associations
      .filter((entry) => entry.tenantName === tenant.name)
      .map((entry) => ({
        ResourceType: parseResourceArn(entry.resourceArn, context.regionName, context.state.accountId)?.kind,
        ResourceArn: entry.resourceArn,
      }))
      .filter((resource) => wanted === undefined || resource.ResourceType === wanted);
    const { items, nextToken } = page(resources, input);
    return compact({ TenantResources: items, NextToken: nextToken });
  },

  ListResourceTenants: (context) => {
    const { input, region } = context;
    const arn = input.ResourceArn as string;
    requireResource(context, arn);
    const entries = region.associations.filter((entry) => entry.resourceArn === arn);
    const { items, nextToken } = page(entries, input);
    return compact({
      ResourceTenants: items.map((entry) => ({
        TenantName: entry.tenantName,
        TenantId: region.tenants[entry.tenantName]?.id,
        ResourceArn: entry.resourceArn,
        AssociatedTimestamp: epochSeconds(entry.associatedAt),
      })),
      NextToken: nextToken,
    });
  },

  PutTenantSuppressionAttributes: (context) => {
    const tenant = requireTenant(context.region, context.input.TenantName as string);
    const suppression = suppressionOf(context.input);
    if (suppression) tenant.suppression = suppression;
    else delete tenant.suppression;
    return {};
  },

  UpdateReputationEntityPolicy: (context) => {
    const tenant = tenantByArn(context, context.input.ReputationEntityReference as string);
    const policy = context.input.ReputationEntityPolicy as string;
    if (!POLICY_ARN.test(policy)) {
      throw new SesError('BadRequestException', `Reputation policy ${policy} is not an SES-managed policy ARN.`);
    }
    tenant.reputationPolicy = policy;
    return {};
  },

  UpdateReputationEntityCustomerManagedStatus: (context) => {
    const tenant = tenantByArn(context, context.input.ReputationEntityReference as string);
    setSendingStatus(context, tenant, context.input.SendingStatus as StoredTenant['sendingStatus']);
    return {};
  },

  GetReputationEntity: (context) => {
    const reference = context.input.ReputationEntityReference as string;
    const tenant = tenantByArn(context, reference);
    return {
      ReputationEntity: {
        ReputationEntityReference: reference,
        ReputationEntityType: 'RESOURCE',
        ReputationManagementPolicy: tenant.reputationPolicy,
        CustomerManagedStatus: { Status: tenant.sendingStatus },
        AwsSesManagedStatus: { Status: 'ENABLED' },
        SendingStatusAggregate: tenant.sendingStatus,
      },
    };
  },
};

/** The resource an ARN names must exist in this account and region. */
function requireResource(context: OperationContext, arn: string): void {
  const resource = parseResourceArn(arn, context.regionName, context.state.accountId);
  const { region } = context;
  const exists =
    resource !== undefined &&
    (resource.kind === 'EMAIL_IDENTITY'
      ? region.identities[resource.name.toLowerCase()] !== undefined
      : resource.kind === 'CONFIGURATION_SET'
        ? region.configurationSets[resource.name] !== undefined
        : region.templates[resource.name] !== undefined);
  if (!exists) throw new SesError('NotFoundException', `Resource ${arn} does not exist.`);
}
