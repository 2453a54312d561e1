import type { CheckHandlerDeps, PlanHandlerDeps } from '../integrations/health-check-handlers.js';
import { type CheckRequest, type MessageQueue, type PlanRequest, SqsJsonQueue } from '../integrations/health-queues.js';
import { HealthRunStore } from '../integrations/health-runs.js';
import {
  type EnvironmentVariables,
  integerSetting,
  integrationTableSettings,
  keySettings,
  outcomeEventSettings,
  requiredText,
  type TableSettings,
  urlSetting,
} from './environment.js';
import { envelopeCipher } from './keys.js';
import { integrationStatusEvents } from './outcome-events.js';
import { providerRegistry } from './providers.js';
import { dynamoClientConfig, integrationRepository } from './store.js';

/** The health check's settings, shared by the planner and the checker. */
export interface HealthCheckSettings {
  integrations: TableSettings;
  /** The run summaries and per-tenant claims (`HEALTH_RUN_TABLE_NAME`). */
  runs: TableSettings;
  /** Tenants per planner page (`HEALTH_PLAN_PAGE_SIZE`, default 1,000). */
  pageSize: number;
  /** How long a planner holds a run (`HEALTH_PLAN_LEASE_MS`): longer than the planner's timeout. */
  planLeaseMs: number;
  /** Stop planning when less than this is left of the invocation (`HEALTH_PLAN_RESERVE_MS`). */
  planReserveMs: number;
  /** Tenants one checker invocation checks at once (`HEALTH_CHECK_CONCURRENCY`, default 10). */
  checkConcurrency: number;
  /** How long a checker's claim on a tenant holds (`HEALTH_CHECK_LEASE_MS`): longer than the checker's timeout. */
  claimLeaseMs: number;
}

/** Parses the health check's settings; fails naming the first missing or malformed variable. */
export function healthCheckSettings(env: EnvironmentVariables = process.env): HealthCheckSettings {
  const endpoint = urlSetting(env, 'DYNAMODB_ENDPOINT');
  return {
    integrations: integrationTableSettings(env),
    runs: { tableName: requiredText(env, 'HEALTH_RUN_TABLE_NAME'), ...(endpoint ? { endpoint } : {}) },
    pageSize: integerSetting(env, 'HEALTH_PLAN_PAGE_SIZE', { fallback: 1_000, max: 1_000 }),
    planLeaseMs: integerSetting(env, 'HEALTH_PLAN_LEASE_MS', { fallback: 6 * 60_000 }),
    planReserveMs: integerSetting(env, 'HEALTH_PLAN_RESERVE_MS', { fallback: 60_000, min: 0 }),
    checkConcurrency: integerSetting(env, 'HEALTH_CHECK_CONCURRENCY', { fallback: 10, max: 100 }),
    claimLeaseMs: integerSetting(env, 'HEALTH_CHECK_LEASE_MS', { fallback: 2 * 60_000 }),
  };
}

/** The health run table. */
export function healthRunStore(settings: TableSettings): HealthRunStore {
  return new HealthRunStore({ tableName: settings.tableName, clientConfig: dynamoClientConfig(settings) });
}

/** The planner's and the checker's queues in AWS: `HEALTH_PLAN_QUEUE_URL`, `HEALTH_CHECK_QUEUE_URL`. */
export function healthQueues(env: EnvironmentVariables = process.env): {
  plans: MessageQueue<PlanRequest>;
  checks: MessageQueue<CheckRequest>;
} {
  return {
    plans: new SqsJsonQueue<PlanRequest>({ queueUrl: requiredText(env, 'HEALTH_PLAN_QUEUE_URL') }),
    checks: new SqsJsonQueue<CheckRequest>({ queueUrl: requiredText(env, 'HEALTH_CHECK_QUEUE_URL') }),
  };
}

/** The planner's clients: the integration table (keys only), the run table and the queues given. */
export function plannerClients(
  settings: HealthCheckSettings,
  queues: { plans: MessageQueue<PlanRequest>; checks: MessageQueue<CheckRequest> },
): Omit<PlanHandlerDeps, 'logger' | 'metrics'> {
  return {
    directory: integrationRepository(settings.integrations),
    runs: healthRunStore(settings.runs),
    plans: queues.plans,
    checks: queues.checks,
    pageSize: settings.pageSize,
    leaseMs: settings.planLeaseMs,
    reserveMs: settings.planReserveMs,
  };
}

/**
 * The checker's clients: the integration table, the key, every provider, the run table and the
 * outcome bus (`OUTCOME_EVENT_BUS_NAME`: a card the check blocks or unblocks is announced).
 */
export function checkerClients(
  settings: HealthCheckSettings,
  env: EnvironmentVariables = process.env,
): Omit<CheckHandlerDeps, 'logger' | 'metrics'> {
  return {
    repository: integrationRepository(settings.integrations),
    cipher: envelopeCipher(keySettings(env)),
    providers: providerRegistry(),
    runs: healthRunStore(settings.runs),
    concurrency: settings.checkConcurrency,
    claimLeaseMs: settings.claimLeaseMs,
    statusEvents: integrationStatusEvents(outcomeEventSettings(env)),
  };
}
