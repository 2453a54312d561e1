import { DynamoIdempotencyStore } from '../http/idempotency-store.js';
import { rateLimitTableSettings, type TableSettings } from './environment.js';
import { dynamoClientConfig } from './store.js';

/**
 * Where Idempotency-Key claims and answers are kept for 24 hours (save and test send): the
 * rate-limit table (`RATE_LIMIT_TABLE_NAME`, `pk` + TTL `expiresAt`), under a `pk` prefix of
 * their own (`idempotency#`).
 */
export function idempotencyStore(settings: TableSettings = rateLimitTableSettings()): DynamoIdempotencyStore {
  return new DynamoIdempotencyStore({ tableName: settings.tableName, clientConfig: dynamoClientConfig(settings) });
}
