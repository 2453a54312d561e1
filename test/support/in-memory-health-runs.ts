import type { HealthCheckScope, HealthRun, HealthRunStore } from '../../shared/integrations/health-runs.js';

type RunStore = Pick<
  HealthRunStore,
  | 'get'
  | 'latest'
  | 'start'
  | 'claimPlanning'
  | 'recordPage'
  | 'releasePlanning'
  | 'claimTenant'
  | 'settleTenant'
  | 'count'
  | 'finish'
  | 'now'
>;

/**
 * The health run table in memory, for unit tests: the same conditions as {@link HealthRunStore}'s
 * writes (a planning lease, a cursor that moves only from where it was read, one claim per run
 * and tenant until its lease runs out, finished once), on a clock the test moves.
 */
export class InMemoryHealthRuns implements RunStore {
  readonly runs = new Map<string, HealthRun>();
  readonly latestOf = new Map<HealthCheckScope, string>();
  readonly markers = new Map<string, { leaseUntil: number; outcome?: string }>();
  /** Calls made, for tests that count writes. */
  readonly calls = { count: 0, claimTenant: 0, recordPage: 0 };
  now: () => Date;
  private sequence = 0;

  constructor(options: { now?: () => Date } = {}) {
    this.now = options.now ?? (() => new Date());
  }

  async get(runId: string) {
    const run = this.runs.get(runId);
    return run ? structuredClone(run) : undefined;
  }

  async latest(scope: HealthCheckScope) {
    const runId = this.latestOf.get(scope);
    return runId ? this.get(runId) : undefined;
  }

  async start(scope: HealthCheckScope, previousRunId: string | undefined) {
    this.sequence += 1;
    const run: HealthRun = {
      runId: `${scope}-${this.sequence}`,
      scope,
      startedAt: this.now().toISOString(),
      planned: 0,
      checked: 0,
      outcomes: {},
      planningComplete: false,
    };
    this.runs.set(run.runId, run);
    if (this.latestOf.get(scope) !== previousRunId) return (await this.latest(scope)) as HealthRun;
    this.latestOf.set(scope, run.runId);
    return structuredClone(run);
  }

  async claimPlanning(runId: string, leaseMs: number) {
    const run = this.runs.get(runId);
    const now = this.now().getTime();
    if (!run || run.planningComplete || (run.plannerLeaseUntil !== undefined && run.plannerLeaseUntil >= now)) {
      return undefined;
    }
    run.plannerLeaseUntil = now + leaseMs;
    return structuredClone(run);
  }

  async recordPage(
    runId: string,
    page: { fromCursor: string | undefined; nextCursor: string | undefined; enqueued: number },
  ) {
    this.calls.recordPage += 1;
    const run = this.runs.get(runId);
    if (!run || run.cursor !== page.fromCursor) return undefined;
    run.planned += page.enqueued;
    if (page.nextCursor === undefined) {
      run.planningComplete = true;
      delete run.cursor;
      delete run.plannerLeaseUntil;
    } else {
      run.cursor = page.nextCursor;
    }
    return structuredClone(run);
  }

  async releasePlanning(runId: string) {
    const run = this.runs.get(runId);
    if (run) delete run.plannerLeaseUntil;
  }

  async claimTenant(runId: string, tenantId: string, leaseMs: number) {
    this.calls.claimTenant += 1;
    const key = `${runId}#${tenantId}`;
    const marker = this.markers.get(key);
    const now = this.now().getTime();
    if (marker && (marker.outcome !== undefined || marker.leaseUntil >= now)) return false;
    this.markers.set(key, { leaseUntil: now + leaseMs });
    return true;
  }

  async settleTenant(runId: string, tenantId: string, outcome: string) {
    const marker = this.markers.get(`${runId}#${tenantId}`);
    if (marker) marker.outcome = outcome;
  }

  async count(runId: string, outcomes: Record<string, number>) {
    this.calls.count += 1;
    const run = this.runs.get(runId);
    if (!run) return undefined;
    for (const [outcome, count] of Object.entries(outcomes)) {
      run.checked += count;
      run.outcomes[outcome] = (run.outcomes[outcome] ?? 0) + count;
    }
    return structuredClone(run);
  }

  async finish(runId: string) {
    const run = this.runs.get(runId);
    if (!run || run.finishedAt || !run.planningComplete || run.checked < run.planned) return undefined;
    run.finishedAt = this.now().toISOString();
    return structuredClone(run);
  }
}
