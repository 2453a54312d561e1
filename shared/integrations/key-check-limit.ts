import { ConditionalCheckFailedException, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../dynamo-document-client.js';
import { message } from '../message-catalog.js';
import { DomainProblem, UpstreamUnavailableError } from '../problem-catalog.js';

/**
 * Key checks (a pasted key verified with the provider: verify, save, rotate) a tenant may make
 * per hour. Enough for any honest console session; far too few to use the API as an oracle
 * for testing stolen keys.
 */
export const KEY_CHECK_LIMIT = { attempts: 20, windowSeconds: 3_600 } as const;

/**
 * The rate-limit table's schema, the one definition the stack and the local runtime build it
 * from: one item per tenant and window under `pk`, removed by DynamoDB's TTL on `expiresAt`.
 */
export const rateLimitTableKeys = {
  partitionKey: { name: 'pk', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
} as const;

/** `CreateTable` input for the rate-limit table (local runtime, tests). */
export function rateLimitTableCreateInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: rateLimitTableKeys.partitionKey.name, AttributeType: rateLimitTableKeys.partitionKey.type },
    ],
    KeySchema: [{ AttributeName: rateLimitTableKeys.partitionKey.name, KeyType: 'HASH' as const }],
  };
}

/** The tenant has used up its key checks for now. */
export class KeyCheckLimitError extends DomainProblem {
  override readonly name = 'KeyCheckLimitError';

  constructor(retryAfterSeconds: number) {
    const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
    super('too_many_attempts', message('too_many_attempts', { limit: KEY_CHECK_LIMIT.attempts, minutes }), {
      extensions: { retryAfterSeconds, limit: KEY_CHECK_LIMIT.attempts },
    });
  }
}

/** Counts a tenant's key checks; refuses one over the limit with {@link KeyCheckLimitError}. */
export interface KeyCheckLimiter {
  take(tenantId: string): Promise<void>;
}

/** Options for {@link DynamoKeyCheckLimiter}. */
export interface DynamoKeyCheckLimiterOptions {
  tableName: string;
  client?: DynamoDBDocumentClient;
  clientConfig?: DynamoDBClientConfig;
  now?: () => Date;
}

/**
 * The key-check limit in DynamoDB: one counter per tenant and clock hour, taken with a single
 * conditional UpdateItem (no read, no transaction), so concurrent checks in any number of
 * functions can never exceed the limit. Counters expire by TTL an hour after their window.
 */
export class DynamoKeyCheckLimiter implements KeyCheckLimiter {
  private readonly client: DynamoDBDocumentClient;
  private readonly now: () => Date;

  constructor(private readonly options: DynamoKeyCheckLimiterOptions) {
    this.now = options.now ?? (() => new Date());
    this.client = options.client ?? documentClient(options.clientConfig);
  }

  async take(tenantId: string): Promise<void> {
    const nowSeconds = this.now().getTime() / 1000;
    const windowStart = Math.floor(nowSeconds / KEY_CHECK_LIMIT.windowSeconds) * KEY_CHECK_LIMIT.windowSeconds;
    const windowEnd = windowStart + KEY_CHECK_LIMIT.windowSeconds;
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: `key-check#${tenantId}#${windowStart}` },
          UpdateExpression: 'ADD #attempts :one SET #expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(#attempts) OR #attempts < :limit',
          ExpressionAttributeNames: { '#attempts': 'attempts', '#expiresAt': rateLimitTableKeys.timeToLiveAttribute },
          ExpressionAttributeValues: {
            ':one': 1,
            ':limit': KEY_CHECK_LIMIT.attempts,
            ':expiresAt': windowEnd + KEY_CHECK_LIMIT.windowSeconds,
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new KeyCheckLimitError(Math.max(1, Math.ceil(windowEnd - nowSeconds)));
      }
      // Fail closed: without the counter, a key check could not be limited.
      throw new UpstreamUnavailableError('DynamoDB', { cause: error });
    }
  }
}
