import type { SendFailureClass } from '../providers/email-provider.js';
import { type RetrySendCode, SEND_OUTCOMES, type SendOutcomeCode } from './send-outcomes.js';

/**
 * The send path's redelivery policy in one place: what is retried, how long the queue holds a
 * message back before each redelivery, when it gives up (dead-letter queue), and the queue and
 * event source settings that depend on it. The consumer, the local queue and the stack read it.
 */
export const REDELIVERY_POLICY = {
  /** Deliveries before SQS moves a message to the dead-letter queue (`maxReceiveCount`). */
  maxReceiveCount: 8,
  /**
   * Seconds the queue holds a message back after its n-th delivery asked for a retry: 1 min,
   * 5 min, 15 min, 30 min, 1 h, 2 h, 3 h. The 8th delivery comes 6 h 51 min after the first,
   * outlasting a realistic provider incident; after it the message goes to the dead-letter queue.
   */
  backoffSeconds: [60, 300, 900, 1_800, 3_600, 7_200, 10_800],
  /** SQS's ceiling for one ChangeMessageVisibility (12 hours). */
  maxVisibilitySeconds: 12 * 3600,
  /** Records per Lambda invocation, and how long the event source gathers them. */
  batchSize: 10,
  maxBatchingWindowSeconds: 1,
  /**
   * Provider calls of one batch at once: bounded, so one batch cannot flood the provider. The
   * rest of each record's work (ledger writes, reads, the key) runs for the whole batch at once,
   * around those calls, so a provider slot never waits for a ledger round trip.
   */
  providerCallsPerBatch: 5,
  /** The queue's visibility timeout is this multiple of the send function's timeout, as AWS advises. */
  visibilityTimeoutFunctionMultiple: 6,
  /** How long the send queue and its dead-letter queue keep a message. */
  queueRetentionSeconds: 4 * 24 * 3600,
  deadLetterRetentionSeconds: 14 * 24 * 3600,
} as const;

/** What the send path does after a provider failure of each class. */
export type FailureHandling =
  /** Certainly not taken: release the claim, deliver again later. */
  | 'redeliver'
  /** May have been taken: never sent again (at most once); recorded as `delivery_unknown`. */
  | 'give_up_unknown'
  /** Refused for good: recorded with the class as its code. */
  | 'give_up';

/** Each provider failure class's handling: only answers that certainly mean "not taken" are redelivered. */
export const FAILURE_HANDLING: Readonly<Record<SendFailureClass, FailureHandling>> = {
  throttled: 'redeliver',
  transient: 'redeliver',
  outcome_unknown: 'give_up_unknown',
  message_rejected: 'give_up',
  sending_paused: 'give_up',
  key_rejected: 'give_up',
  sender_rejected: 'give_up',
};

/** Whether the queue delivers a message again after this outcome code. */
export function isRedelivered(code: SendOutcomeCode): code is RetrySendCode {
  return SEND_OUTCOMES[code].disposition === 'retry';
}

/**
 * Seconds the queue holds a message back after its `receiveCount`-th delivery asked to be retried:
 * the backoff for that delivery, or longer when the provider named a later time (429's reset),
 * never more than SQS allows. After the last delivery there is nothing to wait for: 0, so the
 * message reaches the dead-letter queue at once.
 */
export function redeliveryDelaySeconds(receiveCount: number, askedSeconds?: number): number {
  const { backoffSeconds, maxReceiveCount, maxVisibilitySeconds } = REDELIVERY_POLICY;
  if (receiveCount >= maxReceiveCount) return 0;
  const backoff = backoffSeconds[Math.min(Math.max(1, receiveCount), backoffSeconds.length) - 1] ?? 0;
  return Math.min(maxVisibilitySeconds, Math.max(backoff, askedSeconds ?? 0));
}

/** The queue's visibility timeout for a send function with this timeout. */
export function queueVisibilityTimeoutSeconds(functionTimeoutSeconds: number): number {
  return functionTimeoutSeconds * REDELIVERY_POLICY.visibilityTimeoutFunctionMultiple;
}

/** How long the queue keeps retrying: from a message's first delivery to its last, in seconds. */
export function retryBudgetSeconds(): number {
  let total = 0;
  for (let delivery = 1; delivery < REDELIVERY_POLICY.maxReceiveCount; delivery += 1) {
    total += redeliveryDelaySeconds(delivery);
  }
  return total;
}
