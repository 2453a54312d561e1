import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { integerSetting } from '../../shared/composition/environment.js';
import {
  checkerClients,
  healthCheckSettings,
  healthRunStore,
  plannerClients,
} from '../../shared/composition/health-check.js';
import { jsonResponse, problemResponse } from '../../shared/http/problem-response.js';
import { HEALTH_CHECK_CAPACITY } from '../../shared/integrations/health-check-capacity.js';
import { createCheckHandler, createPlanHandler, summaryOf } from '../../shared/integrations/health-check-handlers.js';
import type { CheckRequest, MessageQueue, PlanRequest } from '../../shared/integrations/health-queues.js';
import type { HealthRun } from '../../shared/integrations/health-runs.js';
import { serviceLogger, withOwnLogger } from '../../shared/observability/logger.js';
import type { LocalEndpoint } from '../local-endpoints.js';
import { LocalSqsQueue } from '../local-sqs-queue.js';

/** The local health check: its two queues and handlers, built on first use from the runtime's environment. */
interface LocalHealthCheck {
  plans: LocalSqsQueue<PlanRequest>;
  checks: LocalSqsQueue<CheckRequest>;
  plan(cutOffAfterPages: number | undefined): (event: SQSEvent) => Promise<SQSBatchResponse & { runs: HealthRun[] }>;
  check(event: SQSEvent): Promise<SQSBatchResponse>;
  run(runId: string): Promise<HealthRun | undefined>;
}

let local: LocalHealthCheck | undefined;

/** Builds the planner → queue → checker chain with the functions' own handlers and local queues. */
function localHealthCheck(): LocalHealthCheck {
  if (local) return local;
  const settings = healthCheckSettings();
  // Waits are compressed as the local send queue's are; a claim then lapses before its redelivery, as in AWS.
  const visibilityMs = integerSetting(process.env, 'LOCAL_QUEUE_MAX_DELAY_MS', { fallback: 2_000, min: 0 });
  const queue = <T>(name: string, batchSize: number, maxConcurrency: number) =>
    new LocalSqsQueue<T>({
      name,
      batchSize,
      maxConcurrency,
      maxReceiveCount: HEALTH_CHECK_CAPACITY.maxReceiveCount,
      visibilityMs,
    });
  const plans = queue<PlanRequest>('health-plans', 1, HEALTH_CHECK_CAPACITY.plannerMaxConcurrency);
  const checks = queue<CheckRequest>(
    'health-checks',
    HEALTH_CHECK_CAPACITY.batchSize,
    HEALTH_CHECK_CAPACITY.checkerMaxConcurrency,
  );
  const metrics = { addMetric: () => undefined };
  const logger = serviceLogger();
  const check = createCheckHandler({
    ...checkerClients({ ...settings, claimLeaseMs: Math.max(1, visibilityMs - 1) }),
    logger,
    metrics,
  });
  const runs = healthRunStore(settings.runs);
  local = {
    plans,
    checks,
    plan(cutOffAfterPages) {
      // Cut off: the planner's time runs out after that many pages and its continuation is lost,
      // as when the function is stopped there; the next tick resumes the run.
      const lost: MessageQueue<PlanRequest> = { sendAll: async () => undefined };
      const handler = createPlanHandler({
        ...plannerClients(settings, { plans: cutOffAfterPages === undefined ? plans : lost, checks }),
        logger,
        metrics,
      });
      let pages = 0;
      const context = {
        getRemainingTimeInMillis: () => {
          pages += 1;
          return cutOffAfterPages !== undefined && pages >= cutOffAfterPages ? 0 : Number.MAX_SAFE_INTEGER;
        },
      };
      return (event) => withOwnLogger(() => handler(event, context));
    },
    check,
    run: (runId) => runs.get(runId),
  };
  return local;
}

/**
 * `POST /local/health-check[?scope=blocked][&cutOffAfterPages=N]`: the schedule's tick in AWS.
 * Puts `{"scope": …}` on the planner's queue and runs the planner → check queue → checker chain
 * (the functions' own handlers) until both queues are empty; answers the run's summary item.
 */
export const healthCheckEndpoint: LocalEndpoint = {
  method: 'POST',
  path: '/local/health-check',
  description:
    'runs the health check now: planner → queue → checker (?scope=blocked: only blocked tenants; answers the run summary)',
  async handle({ url }) {
    const scope = url.searchParams.get('scope') ?? 'all';
    if (scope !== 'all' && scope !== 'blocked') {
      return problemResponse('invalid_request', 'scope is "all" (the default) or "blocked".', { field: 'scope' });
    }
    const cutOff = url.searchParams.get('cutOffAfterPages');
    if (cutOff !== null && !/^[1-9]\d{0,5}$/.test(cutOff)) {
      return problemResponse('invalid_request', 'cutOffAfterPages is a whole number of pages, at least 1.', {
        field: 'cutOffAfterPages',
      });
    }
    const health = localHealthCheck();
    const runIds = new Set<string>();
    const plan = health.plan(cutOff === null ? undefined : Number(cutOff));
    await health.plans.sendAll([{ scope }]);
    while (health.plans.depth > 0 || health.checks.depth > 0) {
      await health.plans.drain(async (event) => {
        const answer = await plan(event);
        for (const run of answer.runs) runIds.add(run.runId);
        return answer;
      });
      await health.checks.drain((event) => health.check(event));
    }
    const [runId] = runIds;
    const run = runId ? await health.run(runId) : undefined;
    if (!run) return problemResponse('internal_error', 'The planner did not start a run; see the log.');
    return jsonResponse(200, summaryOf(run));
  },
};
