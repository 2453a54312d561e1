import type { CheckRequest, MessageQueue, PlanRequest } from './health-queues.js';
import type { HealthCheckScope, HealthRun, HealthRunStore } from './health-runs.js';
import type { IntegrationDirectory } from './integration-repository.js';

/**
 * How old an unfinished run may be and still be resumed by its scope's next tick instead of
 * replaced: a daily run has until the next day's tick (23 h leaves the tick's jitter room); a
 * blocked re-check until the next 15-minute tick.
 */
export const MAX_RUN_AGE_MS: Readonly<Record<HealthCheckScope, number>> = {
  all: 23 * 3600_000,
  blocked: 14 * 60_000,
};

/** What the planner uses. */
export interface PlannerDeps {
  directory: Pick<IntegrationDirectory, 'pageTenants'>;
  runs: Pick<
    HealthRunStore,
    'get' | 'latest' | 'start' | 'claimPlanning' | 'recordPage' | 'releasePlanning' | 'finish' | 'now'
  >;
  /** Where each tenant to check goes (one message per tenant). */
  checks: MessageQueue<CheckRequest>;
  /** Tenants per page (DynamoDB `Limit`). */
  pageSize: number;
  /** How long a planner holds a run's planning: longer than the planner function's timeout. */
  leaseMs: number;
  /** True when this invocation must stop after the current page and hand over to a continuation. */
  outOfTime(): boolean;
}

/** What one planner invocation did: the run as it stands, and the continuation to send if it stopped early. */
export interface PlanResult {
  run: HealthRun;
  continueWith?: PlanRequest;
  /** This invocation marked the run finished (its totals are final). */
  finished?: true;
}

/**
 * Plans a health run: pages through the tenants of the run's scope (keys only) and enqueues one
 * check per tenant, recording after each page how many were planned and where to go on — so a
 * planner cut off at any point is resumed from the last recorded page by the next one (its
 * continuation, SQS's redelivery of its message, or its scope's next tick), never from the top.
 * A page enqueued twice (cut off between enqueueing and recording) is counted once, and its
 * tenants are checked once (the checker's per-run claim). Answers undefined for an unknown run.
 */
export async function planHealthRun(deps: PlannerDeps, request: PlanRequest): Promise<PlanResult | undefined> {
  const found = request.runId ? await deps.runs.get(request.runId) : await startOrResume(deps, request.scope);
  if (!found) return undefined;
  if (found.planningComplete) return { run: found };
  // Another planner holds the run (a tick and a continuation at once): it goes on, this one stops.
  let run = await deps.runs.claimPlanning(found.runId, deps.leaseMs);
  if (!run) return { run: found };
  for (;;) {
    const page = await deps.directory.pageTenants({
      scope: run.scope,
      limit: deps.pageSize,
      ...(run.cursor ? { pageToken: run.cursor } : {}),
    });
    const runId = run.runId;
    await deps.checks.sendAll(page.tenantIds.map((tenantId) => ({ runId, tenantId })));
    const recorded = await deps.runs.recordPage(runId, {
      fromCursor: run.cursor,
      nextCursor: page.nextPageToken,
      enqueued: page.tenantIds.length,
    });
    // The cursor moved under us: this planner's lease ran out and another one goes on.
    if (!recorded) return { run: (await deps.runs.get(runId)) ?? run };
    run = recorded;
    if (run.planningComplete) {
      // The checks may all be done already (or there was nothing to check).
      const finished = await deps.runs.finish(runId);
      return finished ? { run: finished, finished: true } : { run };
    }
    if (deps.outOfTime()) {
      await deps.runs.releasePlanning(runId);
      const { plannerLeaseUntil: _released, ...handedOver } = run;
      return { run: handedOver, continueWith: { scope: run.scope, runId } };
    }
  }
}

/**
 * A scope's tick: resumes the latest run while it is unfinished and young enough
 * ({@link MAX_RUN_AGE_MS}), else starts a new one.
 */
async function startOrResume(deps: PlannerDeps, scope: HealthCheckScope): Promise<HealthRun> {
  const latest = await deps.runs.latest(scope);
  const age = latest ? deps.runs.now().getTime() - new Date(latest.startedAt).getTime() : Number.POSITIVE_INFINITY;
  if (latest && !latest.finishedAt && age < MAX_RUN_AGE_MS[scope]) return latest;
  return deps.runs.start(scope, latest?.runId);
}
