import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { UpstreamUnavailableError } from '../../shared/problem-catalog.js';
import { normaliseAddress } from '../../shared/suppression/suppression-address.js';
import { SuppressionError, SuppressionList } from '../../shared/suppression/suppression-list.js';

const documents = mockClient(DynamoDBDocumentClient);
const conditionFailed = (Item?: Record<string, { S: string } | { NULL: true }>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(Item ? { Item } : {}),
  });
const now = new Date('2026-11-26T03:00:00.000Z');

describe('normaliseAddress', () => {
  it('trims and lower-cases the whole address', () => {
    expect(normaliseAddress('  Jane.Doe@Customer.EXAMPLE ')).toBe('jane.doe@customer.example');
  });
});

describe('SuppressionList', () => {
  let list: SuppressionList;
  beforeEach(() => {
    documents.reset();
    list = new SuppressionList({
      tableName: 'suppressions',
      client: documents as unknown as DynamoDBDocumentClient,
      now: () => now,
    });
  });

  it('adds an address under the tenant, normalised, with one conditional put', async () => {
    documents.on(PutCommand).resolves({});
    expect(await list.add('tenant-a', 'Jane@Customer.Example', 'manual', null)).toEqual({
      created: true,
      suppression: { email: 'jane@customer.example', reason: 'manual', createdAt: now.toISOString(), messageId: null },
    });
    const put = documents.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.Item).toMatchObject({ tenantId: 'tenant-a', email: 'jane@customer.example' });
    expect(put?.ConditionExpression).toBe('attribute_not_exists(#email)');
  });

  it('answers the existing entry, unchanged, when the address is already listed', async () => {
    documents.on(PutCommand).rejects(
      conditionFailed({
        tenantId: { S: 'tenant-a' },
        email: { S: 'jane@customer.example' },
        reason: { S: 'hard_bounce' },
        createdAt: { S: '2026-11-01T00:00:00.000Z' },
        messageId: { S: 'm-1' },
      }),
    );
    expect(await list.add('tenant-a', 'jane@customer.example', 'manual', null)).toEqual({
      created: false,
      suppression: {
        email: 'jane@customer.example',
        reason: 'hard_bounce',
        createdAt: '2026-11-01T00:00:00.000Z',
        messageId: 'm-1',
      },
    });
    expect(documents.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('reads the existing entry where the refusal does not carry it (dynalite)', async () => {
    documents.on(PutCommand).rejects(conditionFailed());
    documents.on(GetCommand).resolves({
      Item: {
        tenantId: 'tenant-a',
        email: 'jane@customer.example',
        reason: 'complaint',
        createdAt: 'x',
        messageId: 'm-2',
      },
    });
    expect(await list.add('tenant-a', 'jane@customer.example', 'manual', null)).toMatchObject({
      created: false,
      suppression: { reason: 'complaint', messageId: 'm-2' },
    });
    expect(documents.commandCalls(GetCommand)[0]?.args[0].input.Key).toEqual({
      tenantId: 'tenant-a',
      email: 'jane@customer.example',
    });
  });

  it.each(['not-an-address', 'Jane <jane@customer.example>', `${'a'.repeat(250)}@x.example`, ''])(
    'refuses %j as 422 invalid_email and writes nothing',
    async (email) => {
      await expect(list.add('tenant-a', email, 'manual', null)).rejects.toMatchObject({
        name: 'SuppressionError',
        code: 'invalid_email',
      });
      expect(documents.calls()).toHaveLength(0);
    },
  );

  it('puts a hard bounce on the tenant the message was sent for, once', async () => {
    documents.on(PutCommand).resolvesOnce({}).rejects(conditionFailed());
    expect(await list.suppress('tenant-b', 'Bounce@Customer.Example', 'hard_bounce', 'm-9')).toBe(true);
    expect(await list.suppress('tenant-b', 'bounce@customer.example', 'complaint', 'm-10')).toBe(false);
    expect(documents.commandCalls(PutCommand)[0]?.args[0].input.Item).toEqual({
      tenantId: 'tenant-b',
      email: 'bounce@customer.example',
      reason: 'hard_bounce',
      createdAt: now.toISOString(),
      messageId: 'm-9',
    });
  });

  it('removes an entry with a conditional delete, 404 suppression_not_found when absent', async () => {
    documents.on(DeleteCommand).resolvesOnce({}).rejects(conditionFailed());
    await list.remove('tenant-a', 'JANE@customer.example');
    expect(documents.commandCalls(DeleteCommand)[0]?.args[0].input).toMatchObject({
      Key: { tenantId: 'tenant-a', email: 'jane@customer.example' },
      ConditionExpression: 'attribute_exists(#email)',
    });
    await expect(list.remove('tenant-a', 'jane@customer.example')).rejects.toMatchObject({
      code: 'suppression_not_found',
    });
  });

  it('lists a page by querying the tenant’s partition and refuses another tenant’s cursor', async () => {
    documents.on(QueryCommand).resolves({
      Items: [{ tenantId: 'tenant-a', email: 'a@x.example', reason: 'manual', createdAt: 't', messageId: null }],
      LastEvaluatedKey: { tenantId: 'tenant-a', email: 'a@x.example' },
    });
    const page = await list.list('tenant-a', { limit: 1 });
    expect(page.suppressions).toEqual([{ email: 'a@x.example', reason: 'manual', createdAt: 't', messageId: null }]);
    const query = documents.commandCalls(QueryCommand)[0]?.args[0].input;
    expect(query).toMatchObject({ ExpressionAttributeValues: { ':tenant': 'tenant-a' }, Limit: 1 });
    expect(query?.IndexName).toBeUndefined();

    await list.list('tenant-a', { cursor: page.nextCursor ?? '' });
    expect(documents.commandCalls(QueryCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual({
      tenantId: 'tenant-a',
      email: 'a@x.example',
    });
    await expect(list.list('tenant-b', { cursor: page.nextCursor ?? '' })).rejects.toBeInstanceOf(SuppressionError);
    await expect(list.list('tenant-a', { cursor: 'garbage' })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('finds a message’s suppressed recipients with one BatchGetItem, in the tenant’s list only', async () => {
    documents.on(BatchGetCommand).resolves({
      Responses: { suppressions: [{ tenantId: 'tenant-a', email: 'bounce@customer.example' }] },
    });
    const found = await list.suppressedAmong('tenant-a', [
      'jane@customer.example',
      'Bounce@Customer.example',
      'bounce@customer.example',
    ]);
    expect(found).toEqual(new Set(['bounce@customer.example']));
    const calls = documents.commandCalls(BatchGetCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.RequestItems?.suppressions?.Keys).toEqual([
      { tenantId: 'tenant-a', email: 'jane@customer.example' },
      { tenantId: 'tenant-a', email: 'bounce@customer.example' },
    ]);
  });

  it('asks again for keys DynamoDB left unprocessed, and fails as upstream_unavailable when they stay so', async () => {
    const key = { tenantId: 'tenant-a', email: 'jane@customer.example' };
    documents
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { suppressions: [] }, UnprocessedKeys: { suppressions: { Keys: [key] } } })
      .resolvesOnce({ Responses: { suppressions: [key] } });
    expect(await list.suppressedAmong('tenant-a', ['jane@customer.example'])).toEqual(
      new Set(['jane@customer.example']),
    );

    documents.reset();
    documents
      .on(BatchGetCommand)
      .resolves({ Responses: { suppressions: [] }, UnprocessedKeys: { suppressions: { Keys: [key] } } });
    await expect(list.suppressedAmong('tenant-a', ['jane@customer.example'])).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
  });

  it('answers a whole batch of messages of several tenants from one BatchGetItem, and only what was asked', async () => {
    documents.on(BatchGetCommand).resolves({
      Responses: {
        suppressions: [
          { tenantId: 'tenant-b', email: 'jane@customer.example' },
          // Not asked (tenant-a never asked for joe): not trusted.
          { tenantId: 'tenant-a', email: 'joe@customer.example' },
        ],
      },
    });
    const snapshot = await list.snapshot([
      { tenantId: 'tenant-a', emails: ['Jane@Customer.Example'] },
      { tenantId: 'tenant-b', emails: ['jane@customer.example', 'ann@customer.example'] },
      { tenantId: 'tenant-a', emails: ['jane@customer.example'] },
    ]);
    const calls = documents.commandCalls(BatchGetCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.RequestItems?.suppressions?.Keys).toEqual([
      { tenantId: 'tenant-a', email: 'jane@customer.example' },
      { tenantId: 'tenant-b', email: 'jane@customer.example' },
      { tenantId: 'tenant-b', email: 'ann@customer.example' },
    ]);
    expect(snapshot.among('tenant-a', ['JANE@customer.example'])).toEqual(new Set());
    expect(snapshot.among('tenant-b', ['jane@customer.example', 'ann@customer.example'])).toEqual(
      new Set(['jane@customer.example']),
    );
    // A question the batch did not ask has no answer here: the message reads for itself.
    expect(snapshot.among('tenant-a', ['joe@customer.example'])).toBeUndefined();
    expect(snapshot.among('tenant-c', ['jane@customer.example'])).toBeUndefined();
  });

  it('splits more than 100 distinct recipients into batches of 100', async () => {
    documents.on(BatchGetCommand).resolves({ Responses: { suppressions: [] } });
    const emails = Array.from({ length: 150 }, (_, index) => `r${index}@customer.example`);
    await list.suppressedAmong('tenant-a', emails);
    expect(
      documents
        .commandCalls(BatchGetCommand)
        .map((call) => call.args[0].input.RequestItems?.suppressions?.Keys?.length),
    ).toEqual([100, 50]);
  });
});
