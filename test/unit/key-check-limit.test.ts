import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DynamoKeyCheckLimiter,
  KeyCheckLimitError,
  rateLimitTableCreateInput,
} from '../../shared/integrations/key-check-limit.js';

const documentClient = mockClient(DynamoDBDocumentClient);
// 10:45:30 UTC: the window is 10:00–11:00, so 14 min 30 s are left in it.
const now = new Date('2026-11-24T10:45:30.000Z');
const windowStart = Date.parse('2026-11-24T10:00:00.000Z') / 1000;
const limiter = new DynamoKeyCheckLimiter({
  tableName: 'rate-limits',
  client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-central-1' })),
  now: () => now,
});

describe('DynamoKeyCheckLimiter', () => {
  afterEach(() => documentClient.reset());

  it('counts a check with one conditional update of the tenant’s counter for this hour, expiring by TTL', async () => {
    documentClient.on(UpdateCommand).resolves({});

    await limiter.take('tenant-a');

    expect(documentClient.calls()).toHaveLength(1);
    expect(documentClient.commandCalls(UpdateCommand)[0]?.args[0].input).toEqual({
      TableName: 'rate-limits',
      Key: { pk: `key-check#tenant-a#${windowStart}` },
      UpdateExpression: 'ADD #attempts :one SET #expiresAt = :expiresAt',
      ConditionExpression: 'attribute_not_exists(#attempts) OR #attempts < :limit',
      ExpressionAttributeNames: { '#attempts': 'attempts', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':one': 1, ':limit': 20, ':expiresAt': windowStart + 7_200 },
    });
  });

  it('refuses a check over the limit with too_many_attempts and the seconds left in the window', async () => {
    documentClient.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));

    const error = await limiter.take('tenant-a').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(KeyCheckLimitError);
    expect(error).toMatchObject({ code: 'too_many_attempts', extensions: { retryAfterSeconds: 870, limit: 20 } });
    expect((error as KeyCheckLimitError).detail).toContain('Wait 15 minutes');
  });

  it('fails closed, as a retryable upstream failure, when DynamoDB is unavailable', async () => {
    documentClient.on(UpdateCommand).rejects(new Error('socket hang up'));

    await expect(limiter.take('tenant-a')).rejects.toMatchObject({ code: 'upstream_unavailable' });
  });

  it('builds its table keyed by pk alone', () => {
    expect(rateLimitTableCreateInput('rate-limits')).toMatchObject({
      TableName: 'rate-limits',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    });
  });
});
