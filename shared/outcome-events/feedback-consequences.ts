import { createHash } from 'node:crypto';
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
  /**
   * The consequences the ledger holds as still to do for the message (this change's and any an
   * earlier delivery left undone), recorded in the same write as the change. Absent: derived
   * from this change alone.
   */
  pendingConsequences?: readonly FeedbackConsequence[];
}

/**
 * One thing that follows from feedback, recorded on the message until it is done: an address to
 * suppress, or a status to announce. `id` is stable for what it does (the address, the status),
 * so recording it again replaces it instead of doubling it.
 */
export type FeedbackConsequence =
  | { id: string; kind: 'suppress'; recipient: string; reason: 'hard_bounce' | 'complaint' }
  | { id: string; kind: 'delivery_updated'; status: DeliveryStatus; reason: string | null; occurredAt: string };

/** What acting on applied feedback needs. */
export interface FeedbackConsequenceDeps {
  suppress: SuppressAddress;
  outcomes: OutcomePublisher;
  now: () => Date;
  /** Takes consequences that are done off the message (none: nothing is recorded, e.g. in tests). */
  settle?: (tenantId: string, messageId: string, consequenceIds: readonly string[]) => Promise<void>;
}

/** Some consequences of feedback failed; they stay on the message and run again on the batch's redelivery. */
export class FeedbackConsequenceError extends Error {
  override readonly name = 'FeedbackConsequenceError';

  constructor(
    /** How many consequences failed (never their content: an address may be one). */
    readonly failed: number,
    options?: { cause?: unknown },
  ) {
    super(`${failed} feedback consequence(s) failed and stay pending on the message.`, options);
  }
}

const DELIVERY_STATUSES: ReadonlySet<string> = new Set(['delivered', 'deferred', 'bounced', 'complained', 'dropped']);

/**
 * What follows from one change, without I/O: a recipient that hard-bounced or complained goes on
 * the suppression list of the tenant the message was sent for, and a changed status (to a
 * delivery status) is announced as `Email Delivery Updated`. The applier records these on the
 * message in the same write as the change.
 */
export function feedbackConsequences(
  applied: Pick<AppliedFeedback, 'status' | 'recipientChanges'>,
  now: () => Date,
): FeedbackConsequence[] {
  const consequences: FeedbackConsequence[] = [];
  for (const change of applied.recipientChanges) {
    const reason =
      change.to === 'bounced' && change.bounceType === 'hard'
        ? 'hard_bounce'
        : change.to === 'complained'
          ? 'complaint'
          : undefined;
    if (reason === undefined) continue;
    consequences.push({ id: suppressionId(change.recipient), kind: 'suppress', recipient: change.recipient, reason });
  }
  const to = applied.status?.to;
  if (to !== undefined && DELIVERY_STATUSES.has(to)) {
    const cause = applied.recipientChanges.find((change) => change.to === to);
    consequences.push({
      id: `d_${to}`,
      kind: 'delivery_updated',
      status: to as DeliveryStatus,
      reason: cause?.reason ?? null,
      occurredAt: cause?.at ?? now().toISOString(),
    });
  }
  return consequences;
}

/**
 * The consequences still to do after a change: those recorded before, with this change's added.
 * An address already waiting keeps its first reason (as the list does); a status announcement
 * is replaced by the newer one of the same status.
 */
export function mergeConsequences(
  recorded: Readonly<Record<string, FeedbackConsequence>> | undefined,
  added: readonly FeedbackConsequence[],
): Record<string, FeedbackConsequence> {
  const merged: Record<string, FeedbackConsequence> = { ...(recorded ?? {}) };
  for (const consequence of added) {
    if (consequence.kind === 'suppress' && merged[consequence.id]) continue;
    merged[consequence.id] = consequence;
  }
  return merged;
}

/**
 * Runs what follows from feedback once the ledger holds it: the message's pending consequences
 * (or, without them, those of this change). Each is idempotent — the list keeps an address once,
 * a status's event id is the message's and the status's — so running one again after a failure
 * or a lost acknowledgement is harmless. Every consequence is tried; those done are taken off the
 * message (`settle`); if any failed it throws {@link FeedbackConsequenceError}, so the caller's
 * queue delivers the batch again and the next delivery runs what is left.
 */
export async function actOnAppliedFeedback(applied: AppliedFeedback, deps: FeedbackConsequenceDeps): Promise<void> {
  const pending = applied.pendingConsequences ?? feedbackConsequences(applied, deps.now);
  // Suppressions first: an address is off the list of recipients before anyone hears of the bounce.
  const ordered = [...pending].sort(
    (a, b) =>
      Number(a.kind === 'delivery_updated') - Number(b.kind === 'delivery_updated') ||
      (a.kind === 'delivery_updated' && b.kind === 'delivery_updated' ? a.occurredAt.localeCompare(b.occurredAt) : 0),
  );
  const done: string[] = [];
  let failed = 0;
  let lastError: unknown;
  for (const consequence of ordered) {
    try {
      await run(applied, consequence, deps);
      done.push(consequence.id);
    } catch (error) {
      failed += 1;
      lastError = error;
    }
  }
  if (done.length > 0 && applied.pendingConsequences !== undefined) {
    await deps.settle?.(applied.tenantId, applied.messageId, done);
  }
  if (failed > 0) throw new FeedbackConsequenceError(failed, { cause: lastError });
}

async function run(
  applied: Pick<AppliedFeedback, 'tenantId' | 'messageId'>,
  consequence: FeedbackConsequence,
  deps: FeedbackConsequenceDeps,
): Promise<void> {
  if (consequence.kind === 'suppress') {
    await deps.suppress(applied.tenantId, consequence.recipient, consequence.reason, applied.messageId);
    return;
  }
  await deps.outcomes.publish([
    deliveryUpdated({
      tenantId: applied.tenantId,
      messageId: applied.messageId,
      status: consequence.status,
      reason: consequence.reason,
      occurredAt: consequence.occurredAt,
    }),
  ]);
}

/** A short key for an address's suppression, the same however the provider cased it. */
function suppressionId(recipient: string): string {
  return `s_${createHash('sha256').update(recipient.trim().toLowerCase()).digest('base64url').slice(0, 16)}`;
}
