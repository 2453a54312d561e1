import type { SuppressAddress } from '../suppression/suppression-list.js';
import { type DeliveryStatus, deliveryUpdated } from './outcome-events.js';
import type { OutcomePublisher } from './outcome-publisher.js';

/** What applying provider feedback to one message did, as far as its consequences need (the applier's answer). */
export interface AppliedFeedback {
  tenantId: string;
  messageId: string;
  /** The message's status change; null when it stayed. */
  status: { from: string; to: string } | null;
  recipientChanges: ReadonlyArray<{
    recipient: string;
    to: string;
    bounceType: 'hard' | 'soft' | null;
    reason: string | null;
    at: string;
  }>;
}

/** What acting on applied feedback needs. */
export interface FeedbackConsequenceDeps {
  suppress: SuppressAddress;
  outcomes: OutcomePublisher;
  now: () => Date;
}

const DELIVERY_STATUSES: ReadonlySet<string> = new Set(['delivered', 'deferred', 'bounced', 'complained', 'dropped']);

/**
 * What follows from feedback once the ledger holds it: a recipient that hard-bounced or
 * complained goes on the suppression list of the tenant the message was sent for (that tenant's
 * only), and a changed message status is announced as `Email Delivery Updated`. Both are
 * idempotent (the list keeps an address once, the event id is the message's and status's), so a
 * redelivered batch may run this again. Throws when either fails: the caller's queue brings the
 * batch back.
 */
export async function actOnAppliedFeedback(applied: AppliedFeedback, deps: FeedbackConsequenceDeps): Promise<void> {
  for (const change of applied.recipientChanges) {
    if (change.to === 'bounced' && change.bounceType === 'hard') {
      await deps.suppress(applied.tenantId, change.recipient, 'hard_bounce', applied.messageId);
    } else if (change.to === 'complained') {
      await deps.suppress(applied.tenantId, change.recipient, 'complaint', applied.messageId);
    }
  }
  const to = applied.status?.to;
  if (to === undefined || !DELIVERY_STATUSES.has(to)) return;
  const cause = applied.recipientChanges.find((change) => change.to === to);
  await deps.outcomes.publish([
    deliveryUpdated({
      tenantId: applied.tenantId,
      messageId: applied.messageId,
      status: to as DeliveryStatus,
      reason: cause?.reason ?? null,
      occurredAt: cause?.at ?? deps.now().toISOString(),
    }),
  ]);
}
