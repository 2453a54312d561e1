import { type AttributeValue, ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { IntegrationRecord } from '../../shared/integrations/integration-record.js';
import {
  dropOnIntegrationWrite,
  type IntegrationChange,
  IntegrationRepository,
  IntegrationStoreError,
} from '../../shared/integrations/integration-repository.js';
import {
  INTEGRATION_OPERATION_ACTIONS,
  type IntegrationOperation,
} from '../../shared/integrations/integration-table.js';

const documentClient = mockClient(DynamoDBDocumentClient);

/** An item in DynamoDB's wire form, as a refused write returns it (strings, numbers, lists, maps). */
function marshall(value: Record<string, unknown>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(value).map(([name, entry]) => [name, attributeValue(entry)]));
}
function attributeValue(value: unknown): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (Array.isArray(value)) return { L: value.map(attributeValue) };
  return { M: marshall(value as Record<string, unknown>) };
}
const repository = new IntegrationRepository({
  tableName: 'integrations',
  client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-central-1' })),
  now: () => new Date('2026-11-24T10:00:00.000Z'),
});

const record: IntegrationRecord = {
  tenantId: 'tenant-a',
  channel: 'email',
  provider: 'sendgrid',
  region: 'global',
  keyId: 'k'.repeat(22),
  emails: ['info@acme.example'],
  status: 'active',
  keyVersion: 1,
  revision: 3,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  lastVerifiedAt: '2026-01-01T00:00:00.000Z',
  secret: {
    formatVersion: 1,
    algorithm: 'AES-256-GCM',
    masterKeyId: 'local:x',
    encryptedDataKey: 'a',
    iv: 'b',
    authTag: 'c',
    ciphertext: 'd',
  },
};

/** What creating `record` takes: everything but the fields the repository sets. */
function newFields() {
  const {
    tenantId: _tenant,
    channel: _channel,
    revision: _revision,
    createdAt: _created,
    updatedAt: _updated,
    ...fields
  } = record;
  return fields;
}

describe('IntegrationRepository', () => {
  afterEach(() => documentClient.reset());

  it('issues for each operation exactly the DynamoDB action the roles are granted for it', async () => {
    documentClient.on(GetCommand).resolves({ Item: record });
    documentClient.on(PutCommand).resolves({});
    documentClient.on(UpdateCommand).resolves({ Attributes: { ...record, revision: 4 } });
    documentClient.on(DeleteCommand).resolves({});
    const { tenantId, channel, revision, createdAt, updatedAt, ...fields } = record;
    const operations: Record<IntegrationOperation, () => Promise<unknown>> = {
      read: () => repository.get('tenant-a'),
      create: () => repository.create('tenant-a', fields),
      update: () => repository.update('tenant-a', 3, { emails: ['news@acme.example'] }),
      delete: () => repository.delete('tenant-a', 3),
    };

    for (const [operation, run] of Object.entries(operations)) {
      documentClient.resetHistory();
      await run();
      const issued = documentClient.calls().map((call) => call.args[0].constructor.name.replace(/Command$/, 'Item'));
      expect(issued, operation).toEqual([INTEGRATION_OPERATION_ACTIONS[operation as IntegrationOperation]]);
    }
  });

  it('reads the tenant’s email item, strongly consistent', async () => {
    documentClient.on(GetCommand).resolves({ Item: record });

    expect(await repository.get('tenant-a')).toEqual(record);
    expect(documentClient.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: 'integrations',
      Key: { tenantId: 'tenant-a', channel: 'email' },
      ConsistentRead: true,
    });
  });

  it('creates only when no item exists, at revision 1, stamped with its clock', async () => {
    documentClient.on(PutCommand).resolves({});
    const { tenantId, channel, revision, createdAt, updatedAt, ...fields } = record;

    const created = await repository.create('tenant-a', fields);

    expect(created).toMatchObject({ revision: 1, createdAt: '2026-11-24T10:00:00.000Z', updatedAt: created.createdAt });
    expect(documentClient.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(tenantId)',
      Item: { tenantId: 'tenant-a', channel: 'email', revision: 1 },
    });
  });

  it('updates only at the revision it read, bumping revision and updatedAt itself', async () => {
    documentClient
      .on(UpdateCommand)
      .resolves({ Attributes: { ...record, revision: 4, emails: ['sales@acme.example'] } });

    const updated = await repository.update('tenant-a', 3, (now) => ({
      emails: ['sales@acme.example'],
      lastVerifiedAt: now,
    }));

    expect(updated).toMatchObject({ revision: 4, emails: ['sales@acme.example'] });
    const input = documentClient.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      Key: { tenantId: 'tenant-a', channel: 'email' },
      ConditionExpression: '#revision = :expected',
      ExpressionAttributeValues: {
        ':expected': 3,
        ':next': 4,
        ':updatedAt': '2026-11-24T10:00:00.000Z',
        ':f0': ['sales@acme.example'],
        ':f1': '2026-11-24T10:00:00.000Z',
      },
    });
    expect(input?.UpdateExpression).toBe(
      'SET #revision = :next, #updatedAt = :updatedAt, #writeToken = :writeToken, #f0 = :f0, #f1 = :f1',
    );
  });

  it('removes the fields a change gives as undefined', async () => {
    documentClient.on(UpdateCommand).resolves({ Attributes: { ...record, revision: 4 } });

    await repository.update('tenant-a', 3, { status: 'active', lastSendError: undefined });

    const input = documentClient.commandCalls(UpdateCommand)[0]?.args[0].input;
    // An active status also leaves the sparse blocked index (#blocked).
    expect(input?.UpdateExpression).toBe(
      'SET #revision = :next, #updatedAt = :updatedAt, #writeToken = :writeToken, #f0 = :f0 REMOVE #f1, #blocked',
    );
    expect(input?.ExpressionAttributeNames).toMatchObject({ '#f0': 'status', '#f1': 'lastSendError' });
  });

  it('keeps a blocked tenant in the sparse blocked index with its status, in the same write', async () => {
    documentClient.on(UpdateCommand).resolves({ Attributes: { ...record, status: 'key_rejected', revision: 4 } });
    documentClient.on(PutCommand).resolves({});

    await repository.update('tenant-a', 3, { status: 'key_rejected' });
    await repository.create('tenant-b', { ...newFields(), status: 'key_rejected' });
    await repository.create('tenant-c', newFields());

    const update = documentClient.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.UpdateExpression).toContain('#blocked = :blocked');
    expect(update?.ExpressionAttributeNames).toMatchObject({ '#blocked': 'blockedStatus' });
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':blocked': 'key_rejected' });
    const [blocked, active] = documentClient.commandCalls(PutCommand).map((call) => call.args[0].input.Item);
    expect(blocked).toMatchObject({ tenantId: 'tenant-b', blockedStatus: 'key_rejected' });
    expect(active).not.toHaveProperty('blockedStatus');
  });

  it('pages through tenant ids with a keys-only scan, and blocked ones with a query on the sparse index', async () => {
    documentClient.on(ScanCommand).resolves({
      Items: [{ tenantId: 'a' }, { tenantId: 'b' }],
      LastEvaluatedKey: { tenantId: 'b', channel: 'email' },
    });
    documentClient
      .on(QueryCommand)
      .resolves({ Items: [{ tenantId: 'c', channel: 'email', blockedStatus: 'key_rejected' }] });

    const first = await repository.pageTenants({ scope: 'all', limit: 2 });
    const next = await repository.pageTenants({
      scope: 'all',
      limit: 2,
      ...(first.nextPageToken ? { pageToken: first.nextPageToken } : {}),
    });
    const blocked = await repository.pageTenants({ scope: 'blocked', limit: 50 });

    expect(first.tenantIds).toEqual(['a', 'b']);
    const scans = documentClient.commandCalls(ScanCommand).map((call) => call.args[0].input);
    expect(scans[0]).toMatchObject({ Select: 'SPECIFIC_ATTRIBUTES', ProjectionExpression: '#tenantId', Limit: 2 });
    expect(scans[1]?.ExclusiveStartKey).toEqual({ tenantId: 'b', channel: 'email' });
    expect(next.tenantIds).toEqual(['a', 'b']);
    expect(blocked).toEqual({ tenantIds: ['c'] });
    expect(documentClient.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      IndexName: 'byBlockedStatus',
      KeyConditionExpression: '#blocked = :blocked',
      ExpressionAttributeValues: { ':blocked': 'key_rejected' },
    });
    expect(documentClient.commandCalls(ScanCommand)).toHaveLength(2);
  });

  it('reports a lost race as conflict', async () => {
    documentClient.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    await expect(repository.update('tenant-a', 2, { status: 'active' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('recognises its own update in the item a refused retry returns, and answers with it', async () => {
    documentClient
      .on(UpdateCommand)
      .callsFake(async (input: { ExpressionAttributeValues: Record<string, unknown> }) => {
        const writeToken = input.ExpressionAttributeValues[':writeToken'] as string;
        throw new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: marshall({ ...record, revision: 4, status: 'sender_rejected', writeToken }),
        });
      });

    const updated = await repository.update('tenant-a', 3, { status: 'sender_rejected' });

    expect(updated).toMatchObject({ revision: 4, status: 'sender_rejected', keyId: record.keyId });
    expect(updated).not.toHaveProperty('writeToken');
    expect(documentClient.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('recognises its own creation the same way, and a stranger’s item as a conflict', async () => {
    documentClient.on(PutCommand).callsFake(async (input: { Item: Record<string, unknown> }) => {
      throw new ConditionalCheckFailedException({ message: 'no', $metadata: {}, Item: marshall(input.Item) });
    });
    const { tenantId, channel, revision, createdAt, updatedAt, ...fields } = record;

    expect(await repository.create('tenant-a', fields)).toMatchObject({ revision: 1, keyId: record.keyId });

    documentClient.on(PutCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'no',
        $metadata: {},
        Item: marshall({ ...record, writeToken: 'someone-else' }),
      }),
    );
    await expect(repository.create('tenant-a', fields)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('takes a delete refused because the item is already gone as done', async () => {
    documentClient.on(DeleteCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    await expect(repository.delete('tenant-a', 3)).resolves.toBeUndefined();
  });

  it('refuses a change to a field only it writes', async () => {
    await expect(repository.update('tenant-a', 3, { ...record } as unknown as IntegrationChange)).rejects.toThrow(
      /Only the integration repository writes tenantId, channel, revision, createdAt, updatedAt/,
    );
    expect(documentClient.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('refuses a damaged item as integration_unreadable, naming the fields, never as a crash', async () => {
    documentClient.on(GetCommand).resolves({ Item: { ...record, emails: 'info@acme.example', keyVersion: '1' } });

    const error = await repository.get('tenant-a').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(IntegrationStoreError);
    expect(error).toMatchObject({
      code: 'integration_unreadable',
      extensions: { fields: ['emails', 'keyVersion'] },
      damagedRevision: 3,
    });
  });

  it('sets damaged items aside by tenant when listing', async () => {
    documentClient.on(ScanCommand).resolves({
      Items: [record, { ...record, tenantId: 'tenant-b', secret: { ...record.secret, formatVersion: 2 } }],
    });

    const page = await repository.list();

    expect(page.records.map((entry) => entry.tenantId)).toEqual(['tenant-a']);
    expect(page.unreadable).toEqual(['tenant-b']);
  });

  it('tells this process’s caches of each write it makes, and of none that failed', async () => {
    const forgotten: string[] = [];
    const cache = { forget: (tenantId: string) => forgotten.push(tenantId) };
    dropOnIntegrationWrite(cache);
    documentClient.on(UpdateCommand).resolves({ Attributes: { ...record, revision: 4 } });
    documentClient
      .on(DeleteCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {}, Item: { revision: { N: '5' } } }));

    await repository.update('tenant-a', 3, { status: 'active' });
    await expect(repository.delete('tenant-a', 3)).rejects.toMatchObject({ code: 'conflict' });

    expect(forgotten).toEqual(['tenant-a']);
  });

  it('deletes conditionally on the revision', async () => {
    documentClient.on(DeleteCommand).resolves({});

    await repository.delete('tenant-a', 3);

    expect(documentClient.commandCalls(DeleteCommand)[0]?.args[0].input).toMatchObject({
      Key: { tenantId: 'tenant-a', channel: 'email' },
      ExpressionAttributeValues: { ':expected': 3 },
    });
  });

  it('reports throttling as a retryable upstream failure', async () => {
    documentClient
      .on(GetCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' }));

    await expect(repository.get('tenant-a')).rejects.toMatchObject({
      code: 'upstream_unavailable',
      extensions: { retryable: true, service: 'DynamoDB' },
    });
  });
});
