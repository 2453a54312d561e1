/**
 * The health check's capacity at the stack's defaults, in one place: the stack builds the queues,
 * event source mappings and timeouts from it, the local runtime's queue emulation and the
 * benchmark read it, and docs/performance.md derives "1,000,000 tenants a day" from it.
 *
 * Checks in flight = checkerMaxConcurrency × checksPerInvocation = 100. One check is one KMS
 * Decrypt, SendGrid's three verify calls at once (≈ one call's latency, 0.1–0.3 s) and four small
 * DynamoDB writes/reads: ≈ 0.2–0.35 s, so 100 in flight check ≈ 285–500 tenants/s (1,000,000 in
 * 0.6–1 h) while asking KMS for at most ≈ 500 decrypts/s — within the health check's tenth of
 * KMS's smallest regional quota (5,500/s, shared with the send path).
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
  /** The share of that quota the health check may take; the send path (1 decrypt per tenant per 5 minutes per function) has the rest. */
  kmsQuotaShare: 0.1,
} as const;

/** A queue's visibility timeout: six times its consumer's timeout, as AWS advises for Lambda event sources. */
export function healthQueueVisibilitySeconds(consumerTimeoutSeconds: number): number {
  return consumerTimeoutSeconds * 6;
}
