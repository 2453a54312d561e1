import type { RouteEnvironment } from './http/api-route.js';
import { IntegrationRepository } from './integrations/integration-repository.js';
import { createLogger } from './observability/logger.js';

/**
 * The composition root, split by what is built (this file: environment, logger, table;
 * key-dependencies.ts: envelope encryption; sendgrid-dependencies.ts: SendGrid and the send path) so
 * each function's bundle holds only the clients it uses. It builds each dependency from the environment once, at cold start, and
 * fails fast naming the missing variable. Each function builds only what it needs, which is
 * also all its IAM role allows.
 */
export type Environment = Record<string, string | undefined>;

/** A required variable, or a clear start-up error. */
export function requireEnv(name: string, env: Environment = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`Environment variable ${name} is not set; the deployment (or local runtime) must provide it.`);
  }
  return value;
}

/** Logger and tenant claim: what every HTTP route needs. */
export function routeEnvironment(env: Environment = process.env): RouteEnvironment {
  return { tenantClaim: requireEnv('TENANT_CLAIM', env), logger: createLogger() };
}

/**
 * DynamoDB client settings for every table: short timeouts and few attempts, so each call ends
 * well within its function's own timeout; `DYNAMODB_ENDPOINT` points at dynalite locally.
 */
export function dynamoClientConfig(env: Environment = process.env) {
  const endpoint = env.DYNAMODB_ENDPOINT;
  return {
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
  };
}

/** The integration table (`TABLE_NAME`). */
export function integrationRepository(env: Environment = process.env): IntegrationRepository {
  return new IntegrationRepository({ tableName: requireEnv('TABLE_NAME', env), clientConfig: dynamoClientConfig(env) });
}
