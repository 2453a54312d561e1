import type { IntegrationStatusEvents } from '../outcome-events/outcome-events.js';
import type { SesSendingStatusEvent } from '../providers/ses/ses-configuration-set-events.js';
import { tenantIdOfSesTenantName } from '../providers/ses/ses-tenant-name.js';
import type { IntegrationRecord, IntegrationStatus } from './integration-record.js';
import { type IntegrationStore, IntegrationStoreError } from './integration-repository.js';

/** What {@link applySesSendingStatus} needs. */
export interface SesSendingStatusDeps {
  repository: Pick<IntegrationStore, 'get' | 'update'>;
  /** Told when the card's status changed (none: not announced). */
  statusEvents?: IntegrationStatusEvents;
  /**
   * Our tenant of an SES tenant whose name does not read back to one (hashed names): its tag,
   * asked of SES (`SesProvider.tenantIdOf`). None: such names map to no tenant.
   */
  tenantOf?(region: string, sesTenantName: string): Promise<string | undefined>;
}

/**
 * What an SES tenant's status event did: `paused` or `resumed` (the card changed), `unchanged`, `stale` (an older
 * event than the one last applied), or `unknown_tenant` (no tenant of ours sends through an SES
 * tenant of that name in that region: counted, ignored).
 */
export type SesSendingStatusOutcome = 'paused' | 'resumed' | 'unchanged' | 'stale' | 'unknown_tenant';

/** Conditional writes per event before giving up to a redelivery (a tenant's own edit may race us). */
const MAX_ATTEMPTS = 3;

/**
 * Turns Amazon SES's `Sending Status Disabled` / `Enabled` for one of our tenants' SES tenants
 * into the card's status: `paused` while disabled; back to `active` (or `domain_failed` while a
 * sender domain is still failed) once enabled or reinstated. Only the SES tenant named for our
 * tenant (`sesTenantName`) in the card's own region maps to it, and only a card that sends
 * through SES; SES publishes best effort and out of order, so an event older than the last one
 * applied changes nothing. A change is announced as `Email Integration Status Changed`.
 */
export async function applySesSendingStatus(
  deps: SesSendingStatusDeps,
  event: SesSendingStatusEvent,
): Promise<SesSendingStatusOutcome> {
  const tenantId = await tenantOfEvent(deps, event);
  if (!tenantId) return 'unknown_tenant';
  for (let attempt = 1; ; attempt += 1) {
    const record = await deps.repository.get(tenantId);
    if (!sendsThrough(record, event)) return 'unknown_tenant';
    // The event applied last (a duplicate delivery) or an older one changes nothing, even if the
    // health check has corrected the card since.
    if (record.sesSendingStatusAt && record.sesSendingStatusAt >= event.at) {
      return record.sesSendingStatusAt === event.at ? 'unchanged' : 'stale';
    }
    const status = nextStatus(record, event.enabled);
    let updated: IntegrationRecord;
    try {
      updated = await deps.repository.update(tenantId, record.revision, { status, sesSendingStatusAt: event.at });
    } catch (error) {
      if (error instanceof IntegrationStoreError && error.code === 'conflict' && attempt < MAX_ATTEMPTS) continue;
      throw error;
    }
    if (status === record.status) return 'unchanged';
    await deps.statusEvents?.changed({
      tenantId,
      provider: 'ses',
      status,
      previousStatus: record.status,
      cause: 'ses_sending_status',
      card: updated,
    });
    return status === 'paused' ? 'paused' : 'resumed';
  }
}

/**
 * Our tenant whose SES card in the event's region sends through this SES tenant: the one its name
 * reads back to, else (a hashed name — which may also read back to another id) the one its tag names.
 */
async function tenantOfEvent(deps: SesSendingStatusDeps, event: SesSendingStatusEvent): Promise<string | undefined> {
  const direct = tenantIdOfSesTenantName(event.sesTenantName);
  if (direct && sendsThrough(await deps.repository.get(direct), event)) return direct;
  const tagged = await deps.tenantOf?.(event.region, event.sesTenantName);
  return tagged && sendsThrough(await deps.repository.get(tagged), event) ? tagged : undefined;
}

/** Whether a card sends through SES in the event's region. */
function sendsThrough(
  record: IntegrationRecord | undefined,
  event: SesSendingStatusEvent,
): record is IntegrationRecord {
  return record?.provider === 'ses' && record.region === event.region;
}

/** The card's status under SES's sending status: only `paused` is SES's to set and lift. */
function nextStatus(record: IntegrationRecord, enabled: boolean): IntegrationStatus {
  if (!enabled) return 'paused';
  if (record.status !== 'paused') return record.status;
  return record.failedDomains?.length ? 'domain_failed' : 'active';
}
