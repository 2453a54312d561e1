import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SesSendingStatusOutcome } from '../integrations/ses-sending-status.js';
import { SES_EVENT_METRICS } from '../observability/metric-names.js';
import {
  parseSesEvent,
  type SesMailEvent,
  type SesSendingStatusEvent,
} from '../providers/ses/ses-configuration-set-events.js';
import { sesTenantName } from '../providers/ses/ses-tenant-name.js';
import type { MetricsSink } from '../sending/send-metrics.js';
import { isMessageId } from '../sending/send-request.js';
import { isTenantId } from '../tenant-id.js';
import type { FeedbackQueuePort } from './feedback-queue.js';

/** What the SES event function needs. */
export interface SesEventReceiverDeps {
  queue: FeedbackQueuePort;
  /** Applies a tenant's `Sending Status Enabled/Disabled` to its card (integrations/ses-sending-status.ts). */
  sendingStatus(event: SesSendingStatusEvent): Promise<SesSendingStatusOutcome>;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  metrics: MetricsSink & { publishStoredMetrics?(): void };
}

/** What became of one event from the default bus. */
export type SesEventOutcome =
  | 'queued'
  | 'not_ours'
  | 'tenant_mismatch'
  | 'malformed'
  | 'ignored'
  | SesSendingStatusOutcome;

/** The SES event function's handler: one EventBridge event in (the rule's target), its outcome out. */
export type SesEventHandler = (event: unknown) => Promise<SesEventOutcome>;

const METRIC_OF_OUTCOME: Partial<Record<SesEventOutcome, string>> = {
  queued: SES_EVENT_METRICS.queued,
  not_ours: SES_EVENT_METRICS.notOurs,
  tenant_mismatch: SES_EVENT_METRICS.tenantMismatch,
  malformed: SES_EVENT_METRICS.malformed,
  ignored: SES_EVENT_METRICS.ignored,
  paused: SES_EVENT_METRICS.statusChanges,
  resumed: SES_EVENT_METRICS.statusChanges,
  unknown_tenant: SES_EVENT_METRICS.unknownTenant,
};

/**
 * Amazon SES's events from the default bus (the stack's rule, or the local SES sandbox), the
 * SES counterpart of the SendGrid webhook route: an email event's feedback goes onto the
 * feedback queue as `{provider: 'ses', tenantId, events}` under the tenant its tags name — the
 * feedback function then applies it only to that tenant's message SES took under the event's
 * message id, so a tag alone never moves another tenant's message; a tenant's sending status
 * event pauses or resumes its card. Malformed events are counted and dropped (never retried);
 * a failure to enqueue or to write the card throws, so the event is delivered again.
 */
export function createSesEventHandler(deps: SesEventReceiverDeps): SesEventHandler {
  return async function receiveSesEvent(event) {
    const outcome = await receive(deps, event);
    const metric = METRIC_OF_OUTCOME[outcome];
    if (metric) {
      deps.metrics.addMetric(metric, MetricUnit.Count, 1);
      deps.metrics.publishStoredMetrics?.();
    }
    return outcome;
  };
}

async function receive(deps: SesEventReceiverDeps, input: unknown): Promise<SesEventOutcome> {
  const parsed = parseSesEvent(input);
  switch (parsed.kind) {
    case 'malformed':
      deps.logger.error('dropped an SES event that is not as documented', { reason: parsed.reason });
      return 'malformed';
    case 'ignored':
      return 'ignored';
    case 'sending_status': {
      const outcome = await deps.sendingStatus(parsed);
      deps.logger.info('SES tenant sending status', {
        sesTenantName: parsed.sesTenantName,
        region: parsed.region,
        enabled: parsed.enabled,
        origin: parsed.origin,
        outcome,
      });
      return outcome;
    }
    case 'mail':
      return enqueueMail(deps, parsed);
  }
}

async function enqueueMail(deps: SesEventReceiverDeps, event: SesMailEvent): Promise<SesEventOutcome> {
  const { tenantId, messageId } = event;
  if (!isTenantId(tenantId) || !isMessageId(messageId)) return 'not_ours';
  // Where SES names the tenant itself, it must be the one our tag names (the tag is ours, but a bug must not cross tenants).
  if (event.sesTenantName !== undefined && event.sesTenantName !== sesTenantName(tenantId)) {
    deps.logger.warn('SES event refused: its SES tenant is not the one its tag names', {
      claimedTenantId: tenantId,
      sesTenantName: event.sesTenantName,
    });
    return 'tenant_mismatch';
  }
  const events = event.feedback.filter((feedback) => feedback.kind !== 'other');
  if (events.length > 0) await deps.queue.enqueue({ provider: 'ses', tenantId, events });
  deps.logger.info('SES events queued', {
    tenantId,
    messageId,
    eventType: event.feedback[0]?.providerEventType,
    events: events.length,
  });
  return 'queued';
}
