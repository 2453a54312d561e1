import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { IntegrationRecord } from '../../shared/integrations/integration-record.js';
import { IntegrationRepository } from '../../shared/integrations/integration-repository.js';

const documentClient = mockClient(DynamoDBDocumentClient);
const repository = new IntegrationRepository({
  tableName: 'integrations',
  client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-central-1' })),
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

describe('IntegrationRepository', () => {
  afterEach(() => documentClient.reset());

  it('reads the tenant’s email item, strongly consistent', async () => {
    documentClient.on(GetCommand).resolves({ Item: record });

    expect(await repository.get('tenant-a')).toEqual(record);
    expect(documentClient.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: 'integrations',
      Key: { tenantId: 'tenant-a', channel: 'email' },
      ConsistentRead: true,
    });
  });

  it('creates only when no item exists', async () => {
    documentClient.on(PutCommand).resolves({});

    await repository.put('tenant-a', record, undefined);

    expect(documentClient.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(tenantId)',
      Item: { tenantId: 'tenant-a', channel: 'email' },
    });
  });

  it('replaces only at the revision it read', async () => {
    documentClient.on(PutCommand).resolves({});

    await repository.put('tenant-a', { ...record, revision: 4 }, 3);

    expect(documentClient.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: '#revision = :expected',
      ExpressionAttributeValues: { ':expected': 3 },
    });
  });

  it('reports a lost race as conflict', async () => {
    documentClient.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    await expect(repository.put('tenant-a', record, 2)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('refuses to write a record under another tenant', async () => {
    await expect(repository.put('tenant-b', record, undefined)).rejects.toThrow(/own tenant/);
    expect(documentClient.commandCalls(PutCommand)).toHaveLength(0);
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
