import type { EnvelopeCipher } from '../crypto/envelope.js';
import type { IntegrationStatusEvents } from '../outcome-events/outcome-events.js';
import {
  type DomainAdoption,
  domainOf,
  type EmailProvider,
  PROVIDER_LABELS,
  type ProviderName,
  type SenderDomain,
  sendersOutside,
  validDomainNames,
} from '../providers/email-provider.js';
import { type IntegrationCard, type IntegrationRecord, secretContext, toCard } from './integration-record.js';
import type { IntegrationStore } from './integration-repository.js';
import { IntegrationError } from './integration-use-cases.js';

/** What moving a tenant between providers needs. */
export interface MigrationDeps {
  repository: Pick<IntegrationStore, 'get' | 'update'>;
  /** The provider registry; the target of a move to SES must be able to adopt domains. */
  providers: Readonly<Record<ProviderName, Pick<EmailProvider, 'senderDomains' | 'adoption'>>>;
  cipher: Pick<EnvelopeCipher, 'decrypt'>;
  /** Told of each move after it is written (none: not announced). */
  statusEvents?: IntegrationStatusEvents;
}

/**
 * Moves a tenant from SendGrid to Amazon SES, keeping its senders — only if every one of them
 * is at a domain verified (with DKIM) in SES in that region and held by no other tenant;
 * otherwise it refuses and names them. Each domain it relies on is then associated with the
 * tenant's own SES tenant, so the tenant's senders stay checkable (and sendable) there.
 * The switch is one conditional write of the tenant's item: an event handled before it goes
 * through SendGrid, one after through SES, and the send ledger (keyed by tenant and messageId,
 * not by provider) keeps any event from going out twice across the switch. The SendGrid key
 * stays encrypted in the item (`parkedSendGrid`) for the way back.
 */
export async function moveToSes(
  deps: MigrationDeps,
  tenantId: string,
  options: { region: string },
): Promise<IntegrationCard> {
  const record = await requireRecord(deps, tenantId);
  if (record.provider !== 'sendgrid' || !record.secret) {
    throw new IntegrationError(
      'conflict',
      `Tenant ${tenantId} already sends through ${PROVIDER_LABELS[record.provider]}.`,
    );
  }
  const adoption = requireAdoption(deps, 'ses');
  const account = { region: options.region, tenantId };
  const senderDomains = [...new Set(record.emails.map(domainOf))];
  const domains = await adoption.adoptable(account, senderDomains);
  requireSendersAt(record.emails, domains, `${PROVIDER_LABELS.ses} (${options.region}) for this tenant`);
  const sesTenant = await adoption.adopt(account, senderDomains);
  const parkedSendGrid = {
    region: record.region,
    keyId: record.keyId,
    keyVersion: record.keyVersion,
    secret: record.secret,
  };
  const moved = await deps.repository.update(tenantId, record.revision, (now) => ({
    provider: 'ses',
    region: options.region,
    keyId: sesTenant,
    status: 'active',
    lastVerifiedAt: now,
    parkedSendGrid,
    secret: undefined,
    lastSendError: undefined,
  }));
  await announceMove(deps, record, moved);
  return toCard(moved);
}

/** Moves a tenant back to SendGrid with its parked key, if that key still covers its senders. */
export async function moveToSendGrid(deps: MigrationDeps, tenantId: string): Promise<IntegrationCard> {
  const record = await requireRecord(deps, tenantId);
  const parked = record.parkedSendGrid;
  if (record.provider !== 'ses' || !parked) {
    throw new IntegrationError(
      'conflict',
      `Tenant ${tenantId} is not on ${PROVIDER_LABELS.ses} with a kept ${PROVIDER_LABELS.sendgrid} key; have the customer connect ${PROVIDER_LABELS.sendgrid} again instead.`,
    );
  }
  const apiKey = await deps.cipher.decrypt(parked.secret, secretContext(tenantId, 'sendgrid'));
  const domains = await deps.providers.sendgrid.senderDomains({ apiKey, region: parked.region, tenantId });
  requireSendersAt(record.emails, domains, `the kept ${PROVIDER_LABELS.sendgrid} key`);
  const back = await deps.repository.update(tenantId, record.revision, (now) => ({
    provider: 'sendgrid',
    region: parked.region,
    keyId: parked.keyId,
    keyVersion: parked.keyVersion,
    secret: parked.secret,
    status: 'active',
    lastVerifiedAt: now,
    parkedSendGrid: undefined,
    lastSendError: undefined,
  }));
  await announceMove(deps, record, back);
  return toCard(back);
}

/**
 * Announces a move: the provider changed (and the status may have: a move leaves the card
 * `active`), so automations learn that mail now leaves through another provider.
 */
async function announceMove(deps: MigrationDeps, before: IntegrationRecord, after: IntegrationRecord): Promise<void> {
  await deps.statusEvents?.changed({
    tenantId: after.tenantId,
    provider: after.provider,
    status: after.status,
    previousStatus: before.status,
    cause: 'operator_migration',
    card: after,
  });
}

function requireAdoption(deps: MigrationDeps, provider: ProviderName): DomainAdoption {
  const adoption = deps.providers[provider].adoption;
  if (!adoption) throw new Error(`${PROVIDER_LABELS[provider]} cannot take over domains for a tenant.`);
  return adoption;
}

function requireSendersAt(emails: string[], domains: SenderDomain[], where: string): void {
  const stranded = sendersOutside(emails, domains);
  if (stranded.length > 0) {
    const valid = validDomainNames(domains);
    throw new IntegrationError(
      'sender_not_authenticated',
      `Not moved: ${stranded.join(', ')} ${stranded.length === 1 ? 'is' : 'are'} not at a domain verified for sending in ${where} (verified: ${[...valid].join(', ') || 'none'}). Verify the domain there first, or change the senders.`,
      { extensions: { emails: stranded } },
    );
  }
}

async function requireRecord(deps: MigrationDeps, tenantId: string): Promise<IntegrationRecord> {
  const record = await deps.repository.get(tenantId);
  if (!record) throw new IntegrationError('not_found', `Tenant ${tenantId} has no email integration.`);
  return record;
}
