import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthRunStore } from '../../shared/integrations/health-runs.js';
import { UpstreamUnavailableError } from '../../shared/problem-catalog.js';

const documentClient = mockClient(DynamoDBDocumentClient);
const now = new Date('2026-11-26T03:15:00.000Z');
const store = new HealthRunStore({
  tableName: 'health-runs',
  client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-central-1' })),
  now: () => now,
});
const refused = () => new ConditionalCheckFailedException({ message: 'no', $metadata: {} });
const runItem = {
  runKey: 'run#all-1',
  runId: 'all-1',
  scope: 'all',
  startedAt: now.toISOString(),
  planned: 4,
  checked: 4,
  outcomes: { active: 4 },
  planningComplete: true,
};

describe('HealthRunStore', () => {
  afterEach(() => documentClient.reset());

  it('starts a run with empty totals and makes it its scope’s latest, conditional on the latest it read', async () => {
    documentClient.on(PutCommand).resolves({});

    const run = await store.start('all', 'all-0');

    expect(run).toMatchObject({ scope: 'all', planned: 0, checked: 0, outcomes: {}, planningComplete: false });
    expect(run.runId).toMatch(/^all-20261126T031500Z-[0-9a-f]{4}$/);
    const [summary, pointer] = documentClient.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(summary).toMatchObject({
      Item: { runKey: `run#${run.runId}`, expiresAt: Math.floor(now.getTime() / 1000) + 30 * 24 * 3600 },
      ConditionExpression: 'attribute_not_exists(runKey)',
    });
    expect(pointer).toMatchObject({
      Item: { runKey: 'latest#all', runId: run.runId },
      ConditionExpression: 'runId = :previous',
      ExpressionAttributeValues: { ':previous': 'all-0' },
    });
  });

  it('answers the run another planner started meanwhile instead of its own', async () => {
    documentClient.on(PutCommand).resolvesOnce({}).rejectsOnce(refused());
    documentClient
      .on(GetCommand, { Key: { runKey: 'latest#all' } })
      .resolves({ Item: { runKey: 'latest#all', runId: 'all-1' } });
    documentClient.on(GetCommand, { Key: { runKey: 'run#all-1' } }).resolves({ Item: runItem });

    expect((await store.start('all', undefined)).runId).toBe('all-1');
  });

  it('claims a tenant only when unclaimed or when a claim without outcome ran out', async () => {
    documentClient.on(PutCommand).resolvesOnce({}).rejectsOnce(refused());

    expect(await store.claimTenant('all-1', 'tenant-a', 120_000)).toBe(true);
    expect(await store.claimTenant('all-1', 'tenant-a', 120_000)).toBe(false);

    expect(documentClient.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      Item: { runKey: 'tenant#all-1#tenant-a', leaseUntil: now.getTime() + 120_000 },
      ConditionExpression: 'attribute_not_exists(runKey) OR (attribute_not_exists(outcome) AND leaseUntil < :now)',
      ExpressionAttributeValues: { ':now': now.getTime() },
    });
  });

  it('adds a batch’s outcomes to the run’s totals in one atomic write', async () => {
    documentClient.on(UpdateCommand).resolves({ Attributes: runItem });

    const run = await store.count('all-1', { active: 3, unreadable: 1 });

    expect(run).toMatchObject({ checked: 4, outcomes: { active: 4 } });
    expect(documentClient.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { runKey: 'run#all-1' },
      UpdateExpression: 'ADD checked :checked, outcomes.#o0 :o0, outcomes.#o1 :o1',
      ExpressionAttributeNames: { '#o0': 'active', '#o1': 'unreadable' },
      ExpressionAttributeValues: { ':checked': 4, ':o0': 3, ':o1': 1 },
    });
  });

  it('records a page with the cursor it read, and completes planning on the last one', async () => {
    documentClient.on(UpdateCommand).resolvesOnce({ Attributes: runItem }).rejectsOnce(refused());

    await store.recordPage('all-1', { fromCursor: 'p1', nextCursor: undefined, enqueued: 2 });
    const lost = await store.recordPage('all-1', { fromCursor: undefined, nextCursor: 'p1', enqueued: 2 });

    expect(lost).toBeUndefined();
    const [last, first] = documentClient.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(last).toMatchObject({
      UpdateExpression: 'ADD planned :n SET planningComplete = :true REMOVE #cursor, plannerLeaseUntil',
      ConditionExpression: '#cursor = :from',
      ExpressionAttributeValues: { ':n': 2, ':from': 'p1', ':true': true },
    });
    expect(first).toMatchObject({
      UpdateExpression: 'ADD planned :n SET #cursor = :next',
      ConditionExpression: 'attribute_not_exists(#cursor)',
    });
  });

  it('finishes a run once, only when planning is complete and every planned tenant is checked', async () => {
    documentClient.on(UpdateCommand).resolves({ Attributes: { ...runItem, finishedAt: now.toISOString() } });

    expect(await store.finish('all-1')).toMatchObject({ finishedAt: now.toISOString() });
    expect(documentClient.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(finishedAt) AND planningComplete = :true AND checked >= planned',
    });
  });

  it('reports DynamoDB trouble as a retryable upstream failure', async () => {
    documentClient.on(UpdateCommand).rejects(new Error('throttled'));
    await expect(store.count('all-1', { active: 1 })).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });
});
