import { mapBounded } from '../map-bounded.js';
import { checkIntegration, type HealthCheckDeps, type HealthOutcome } from './health-check.js';
import { checkRequestSchema } from './health-queues.js';
import type { HealthRun, HealthRunStore } from './health-runs.js';
import { type IntegrationStore, IntegrationStoreError } from './integration-repository.js';

/** What the checker uses: one integration's check, the run bookkeeping and its bounds. */
export interface CheckerDeps extends HealthCheckDeps {
  repository: Pick<IntegrationStore, 'get' | 'update'>;
  runs: Pick<HealthRunStore, 'claimTenant' | 'settleTenant' | 'count' | 'finish'>;
  /** Tenants of one batch checked at once: bounds provider calls and KMS decrypts per function. */
  concurrency: number;
  /** How long a claim holds a tenant: longer than the checker's timeout, shorter than the queue's visibility timeout. */
  claimLeaseMs: number;
  /** Told each tenant's outcome (metrics, logs). */
  onOutcome?(outcome: HealthOutcome, tenantId: string, runId: string): void;
  /** Told each run this batch finished (its totals are final). */
  onRunFinished?(run: HealthRun): void;
  /** Told a message that is no check request (dropped: it can never succeed). */
  onMalformed?(messageId: string): void;
  /** Told when a batch's totals could not be added to its run (the run then never counts as finished). */
  onCountLost?(runId: string, error: unknown): void;
}

/** One queued message as the checker receives it. */
export interface QueuedMessage {
  messageId: string;
  body: string;
}

/** What a batch came to: the messages to deliver again (their check failed for a passing reason). */
export interface CheckBatchResult {
  retry: string[];
}

/**
 * Checks a batch of queued tenants, a bounded number at once. Each tenant is claimed in its run
 * first, so a message delivered twice is checked once; a damaged item is `unreadable`, a deleted
 * one `skipped`, and neither stops the others. The outcome is noted on the claim before the run's
 * totals are added — once per run per batch, with an atomic ADD — and the run is marked finished
 * when planning is complete and every planned tenant is checked.
 */
export async function checkQueuedTenants(deps: CheckerDeps, messages: QueuedMessage[]): Promise<CheckBatchResult> {
  const retry: string[] = [];
  const counts = new Map<string, Record<string, number>>();
  await mapBounded(messages, deps.concurrency, async (message) => {
    let request: { runId: string; tenantId: string };
    try {
      request = checkRequestSchema.parse(JSON.parse(message.body));
    } catch {
      deps.onMalformed?.(message.messageId);
      return;
    }
    try {
      const outcome = await checkOnce(deps, request.runId, request.tenantId);
      if (outcome === 'duplicate') return;
      const run = counts.get(request.runId) ?? {};
      run[outcome] = (run[outcome] ?? 0) + 1;
      counts.set(request.runId, run);
      deps.onOutcome?.(outcome, request.tenantId, request.runId);
    } catch {
      // DynamoDB or an unexpected failure: the claim runs out before SQS delivers it again.
      retry.push(message.messageId);
    }
  });
  for (const [runId, outcomes] of counts) {
    try {
      const run = await deps.runs.count(runId, outcomes);
      if (run?.planningComplete && !run.finishedAt && run.checked >= run.planned) {
        const finished = await deps.runs.finish(runId);
        if (finished) deps.onRunFinished?.(finished);
      }
    } catch (error) {
      // The checks are done and noted on their claims: delivering them again would not count them.
      deps.onCountLost?.(runId, error);
    }
  }
  return { retry };
}

/** Checks one tenant in one run unless it is claimed there already; `duplicate` then. */
async function checkOnce(deps: CheckerDeps, runId: string, tenantId: string): Promise<HealthOutcome | 'duplicate'> {
  if (!(await deps.runs.claimTenant(runId, tenantId, deps.claimLeaseMs))) return 'duplicate';
  let outcome: HealthOutcome;
  try {
    const record = await deps.repository.get(tenantId);
    outcome = record ? await checkIntegration(deps, record) : 'skipped';
  } catch (error) {
    if (!(error instanceof IntegrationStoreError && error.code === 'integration_unreadable')) throw error;
    outcome = 'unreadable';
  }
  await deps.runs.settleTenant(runId, tenantId, outcome);
  return outcome;
}
