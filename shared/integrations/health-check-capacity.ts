/**
 * The health check's capacity at the stack's defaults, in one place: the stack builds the queues,
 * event source mappings and timeouts from it, the local runtime's queue emulation and the
 * benchmark read it, and docs/performance.md derives "1,000,000 tenants a day" from it.
 *
 * Throughput ≈ checkerMaxConcurrency × checksPerInvocation / seconds per check. A check is one
 * KMS Decrypt and, for SendGrid, the key's verify calls (about 0.3–0.6 s at SendGrid's usual
 * latency), so the defaults give ≈ 100 × (1 / 0.5 s) = 200 checks/s — 1,000,000 tenants in under
 * 1.5 h — while holding at most 100 KMS decrypts in flight (≤ 200/s, under 4 % of KMS's smallest
 * regional quota for symmetric operations, 5,500/s, which the send path shares).
 */
export const HEALTH_CHECK_CAPACITY = {
  /** Check messages per checker invocation (SQS batch size). */
  batchSize: 10,
  /** Checker invocations at once (the event source's maximum concurrency). */
  checkerMaxConcurrency: 10,
  /** Tenants one invocation checks at once (`HEALTH_CHECK_CONCURRENCY`): all of its batch. */
  checksPerInvocation: 10,
  /** The checker's timeout: a batch of 10 checked at once needs one check's time, ≤ 2 × 10 s SendGrid timeouts. */
  checkerTimeoutSeconds: 60,
  /** The planner's timeout: it plans until 60 s are left, then continues in a new invocation. */
  plannerTimeoutSeconds: 300,
  /** Planner invocations at once (SQS event sources allow no fewer than 2); a run's lease keeps one per run. */
  plannerMaxConcurrency: 2,
  /** Deliveries of a check (or plan) message before it goes to the health check's dead-letter queue. */
  maxReceiveCount: 3,
  /** The smallest regional KMS quota for symmetric cryptographic operations (requests per second, per account). */
  kmsDecryptQuotaPerSecond: 5_500,
} as const;

/** A queue's visibility timeout: six times its consumer's timeout, as AWS advises for Lambda event sources. */
export function healthQueueVisibilitySeconds(consumerTimeoutSeconds: number): number {
  return consumerTimeoutSeconds * 6;
}
