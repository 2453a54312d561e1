import { EnvelopeCipher } from './crypto/envelope.js';
import { KmsDataKeys } from './crypto/kms-data-keys.js';
import { LocalKeyring } from './crypto/local-keyring.js';
import type { RouteEnvironment } from './http/api-route.js';
import { IntegrationRepository } from './integrations/integration-repository.js';
import { createLogger } from './observability/logger.js';
import { SendGridApi } from './providers/sendgrid/sendgrid-api.js';
import { SendGridMailTransport } from './providers/sendgrid/sendgrid-mail.js';
import { SendGridProvider } from './providers/sendgrid/sendgrid-provider.js';
import { EmailDispatcher } from './sending/email-dispatcher.js';
import { SendLedger } from './sending/send-ledger.js';
import { SendingCredentials } from './sending/sending-credentials.js';

/**
 * The composition root: builds each dependency from the environment once, at cold start, and
 * fails fast naming the missing variable. Each function builds only what it needs, which is
 * also all its IAM role allows.
 */
type Environment = Record<string, string | undefined>;

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

/** SendGrid, at its public hosts unless `SENDGRID_API_BASE_URL` / `SENDGRID_EU_API_BASE_URL` say otherwise. */
export function sendGridProvider(env: Environment = process.env): SendGridProvider {
  const timeoutMs = Number(env.SENDGRID_TIMEOUT_MS ?? 5_000);
  return new SendGridProvider({
    api: new SendGridApi({
      baseUrls: { global: env.SENDGRID_API_BASE_URL, eu: env.SENDGRID_EU_API_BASE_URL },
      timeoutMs: Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 5_000,
    }),
  });
}

/** The integration table (`TABLE_NAME`); `DYNAMODB_ENDPOINT` points at dynalite locally. */
export function integrationRepository(env: Environment = process.env): IntegrationRepository {
  const endpoint = env.DYNAMODB_ENDPOINT;
  return new IntegrationRepository({
    tableName: requireEnv('TABLE_NAME', env),
    clientConfig: {
      ...(endpoint ? { endpoint } : {}),
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
    },
  });
}

/**
 * Envelope encryption under KMS (`KMS_KEY_ID`), or under the local keyring file
 * (`LOCAL_KEYRING_FILE`) in the local runtime. The stack sets only `KMS_KEY_ID`.
 */
export function envelopeCipher(env: Environment = process.env): EnvelopeCipher {
  const kmsKeyId = env.KMS_KEY_ID;
  if (kmsKeyId) return new EnvelopeCipher(new KmsDataKeys(kmsKeyId));
  const keyringFile = env.LOCAL_KEYRING_FILE;
  if (keyringFile) return new EnvelopeCipher(LocalKeyring.fromFile(keyringFile));
  throw new Error('Set KMS_KEY_ID (in AWS) or LOCAL_KEYRING_FILE (local runtime) so keys can be encrypted.');
}

/** The send ledger (`SEND_LEDGER_TABLE_NAME`): idempotency of the send path. */
export function sendLedger(env: Environment = process.env): SendLedger {
  const endpoint = env.DYNAMODB_ENDPOINT;
  return new SendLedger({
    tableName: requireEnv('SEND_LEDGER_TABLE_NAME', env),
    clientConfig: {
      ...(endpoint ? { endpoint } : {}),
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
    },
  });
}

/**
 * The send path for SendGrid: cached credentials over the table and the cipher, the mail
 * transport, the ledger. `SEND_LEASE_MS` must exceed the send function's timeout.
 */
export function emailDispatcher(env: Environment = process.env): EmailDispatcher {
  const repository = integrationRepository(env);
  const timeoutMs = Number(env.SENDGRID_TIMEOUT_MS ?? 5_000);
  const api = new SendGridApi({
    baseUrls: { global: env.SENDGRID_API_BASE_URL, eu: env.SENDGRID_EU_API_BASE_URL },
    timeoutMs: Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 5_000,
  });
  const leaseMs = Number(env.SEND_LEASE_MS ?? 120_000);
  return new EmailDispatcher({
    credentials: new SendingCredentials({ repository, cipher: envelopeCipher(env) }),
    repository,
    transport: new SendGridMailTransport(api),
    ledger: sendLedger(env),
    logger: createLogger(),
    leaseMs: Number.isFinite(leaseMs) && leaseMs > 0 ? leaseMs : 120_000,
  });
}
