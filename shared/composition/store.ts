import type { RouteEnvironment } from '../http/api-route.js';
import { IntegrationRepository } from '../integrations/integration-repository.js';
import { DynamoKeyCheckLimiter } from '../integrations/key-check-limit.js';
import { serviceLogger } from '../observability/logger.js';
import {
  type EnvironmentVariables,
  integrationTableSettings,
  rateLimitTableSettings,
  routeSettings,
  type TableSettings,
} from './environment.js';

/**
 * The composition module builds every client from parsed settings (environment.ts), once, at
 * cold start. It is split by concern — this file: routes and the integration table; keys.ts;
 * sendgrid.ts; ses.ts; sending.ts — so each function's bundle holds only the clients it uses
 * (which is also all its IAM role allows). Lambda handlers, the local runtime, `npm run ops`
 * and the benchmark all build their clients here.
 */

/** Logger and tenant claim: what every HTTP route needs. */
export function routeEnvironment(env: EnvironmentVariables = process.env): RouteEnvironment {
  return { tenantClaim: routeSettings(env).tenantClaim, logger: serviceLogger() };
}

/**
 * DynamoDB client settings for every table: short timeouts and few attempts, so each call ends
 * well within its function's own timeout; an endpoint only locally (dynalite).
 */
export function dynamoClientConfig(settings: Pick<TableSettings, 'endpoint'>) {
  return {
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
  };
}

/** The integration table (`TABLE_NAME`). */
export function integrationRepository(settings: TableSettings = integrationTableSettings()): IntegrationRepository {
  return new IntegrationRepository({ tableName: settings.tableName, clientConfig: dynamoClientConfig(settings) });
}

/** The per-tenant limit on key checks (`RATE_LIMIT_TABLE_NAME`), for every route that checks a pasted key. */
export function keyCheckLimiter(settings: TableSettings = rateLimitTableSettings()): DynamoKeyCheckLimiter {
  return new DynamoKeyCheckLimiter({ tableName: settings.tableName, clientConfig: dynamoClientConfig(settings) });
}
