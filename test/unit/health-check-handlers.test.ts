import { randomBytes } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { EnvelopeCipher } from '../../shared/crypto/envelope.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import { createCheckHandler, createPlanHandler } from '../../shared/integrations/health-check-handlers.js';
import type { CheckRequest, PlanRequest } from '../../shared/integrations/health-queues.js';
import { createLogger } from '../../shared/observability/logger.js';
import { InMemoryHealthRuns } from '../support/in-memory-health-runs.js';
import { InMemoryIntegrationStore } from '../support/in-memory-integration-store.js';

/** An SQS record with a body, as the event source delivers it. */
function record(messageId: string, body: unknown): SQSRecord {
  return {
    messageId,
    receiptHandle: messageId,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-central-1:123456789012:q',
    awsRegion: 'eu-central-1',
  };
}

/** Metrics as Powertools takes them, kept for the test. */
function countingMetrics() {
  const added: Array<[string, number]> = [];
  return { added, addMetric: (name: string, _unit: unknown, value: number) => added.push([name, value]) };
}

const pages = (tenants: string[], size: number) => ({
  async pageTenants({ pageToken }: { pageToken?: string }) {
    const start = Number(pageToken ?? 0);
    const end = start + size;
    return { tenantIds: tenants.slice(start, end), ...(end < tenants.length ? { nextPageToken: String(end) } : {}) };
  },
});

describe('createPlanHandler', () => {
  it('plans until its time is nearly out and sends its continuation to its own queue', async () => {
    const plans: PlanRequest[] = [];
    const checks: CheckRequest[] = [];
    const handler = createPlanHandler({
      directory: pages(['a', 'b', 'c', 'd'], 2),
      runs: new InMemoryHealthRuns(),
      plans: { sendAll: async (messages) => void plans.push(...messages) },
      checks: { sendAll: async (messages) => void checks.push(...messages) },
      pageSize: 2,
      leaseMs: 360_000,
      reserveMs: 60_000,
      logger: createLogger(),
      metrics: countingMetrics(),
    });

    const answer = await handler(
      { Records: [record('m1', { scope: 'all' })] },
      { getRemainingTimeInMillis: () => 30_000 },
    );

    expect(answer.batchItemFailures).toEqual([]);
    expect(checks.map((check) => check.tenantId)).toEqual(['a', 'b']);
    expect(plans).toEqual([{ scope: 'all', runId: answer.runs[0]?.runId }]);
  });

  it('fails a message that is no plan request, so a misconfigured schedule ends in the dead-letter queue', async () => {
    const handler = createPlanHandler({
      directory: pages([], 2),
      runs: new InMemoryHealthRuns(),
      plans: { sendAll: async () => undefined },
      checks: { sendAll: async () => undefined },
      pageSize: 2,
      leaseMs: 360_000,
      reserveMs: 60_000,
      logger: createLogger(),
      metrics: countingMetrics(),
    });

    const answer = await handler({ Records: [record('m1', { scope: 'everything' }), record('m2', 'not json')] });

    expect(answer.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
  });
});

describe('createCheckHandler', () => {
  it('counts each outcome and the failures as metrics, and a finished run’s totals once', async () => {
    const runs = new InMemoryHealthRuns();
    const run = await runs.start('all', undefined);
    await runs.recordPage(run.runId, { fromCursor: undefined, nextCursor: undefined, enqueued: 2 });
    const store = new InMemoryIntegrationStore();
    store.items.set('damaged', { tenantId: 'damaged', channel: 'email', revision: 'x' });
    const metrics = countingMetrics();
    const handler = createCheckHandler({
      repository: store,
      cipher: new EnvelopeCipher(new LocalKeyring(randomBytes(32))),
      providers: {
        sendgrid: { senderDomains: async () => [] },
        ses: { senderDomains: async () => [] },
      },
      runs,
      concurrency: 2,
      claimLeaseMs: 120_000,
      logger: createLogger(),
      metrics,
    });

    const answer = await handler({
      Records: [
        record('m1', { runId: run.runId, tenantId: 'damaged' }),
        record('m2', { runId: run.runId, tenantId: 'deleted' }),
      ],
    });

    expect(answer).toEqual({ batchItemFailures: [] });
    expect(metrics.added).toEqual(
      expect.arrayContaining([
        ['HealthCheck_unreadable', 1],
        ['HealthCheck_skipped', 1],
        ['HealthCheckFailures', 1],
        ['HealthCheckRunPlanned', 2],
        ['HealthCheckRunChecked', 2],
        ['HealthCheckRun_unreadable', 1],
        ['HealthCheckRun_skipped', 1],
      ]),
    );
    expect((await runs.get(run.runId))?.finishedAt).toEqual(expect.any(String));
  });
});
