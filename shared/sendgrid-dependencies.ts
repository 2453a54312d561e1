import { envelopeCipher } from './key-dependencies.js';
import { createLogger } from './observability/logger.js';
import type { MailTransport } from './providers/email-provider.js';
import { SendGridApi } from './providers/sendgrid/sendgrid-api.js';
import { SendGridMailTransport } from './providers/sendgrid/sendgrid-mail.js';
import { SendGridProvider } from './providers/sendgrid/sendgrid-provider.js';
import { EmailDispatcher } from './sending/email-dispatcher.js';
import { SendLedger } from './sending/send-ledger.js';
import { SendingCredentials } from './sending/sending-credentials.js';
import { dynamoClientConfig, type Environment, integrationRepository, requireEnv } from './service-dependencies.js';

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

/** The send ledger (`SEND_LEDGER_TABLE_NAME`): idempotency of the send path. */
export function sendLedger(env: Environment = process.env): SendLedger {
  return new SendLedger({
    tableName: requireEnv('SEND_LEDGER_TABLE_NAME', env),
    clientConfig: dynamoClientConfig(env),
  });
}

/**
 * Amazon SES for tenants moved there, loaded on first use: most cold starts never need it.
 * `SES_ACCOUNT_ID` names the identities' account (for SES tenants).
 */
export function lazySesTransport(env: Environment = process.env): MailTransport {
  let provider: Promise<MailTransport> | undefined;
  return {
    async send(account, message) {
      provider ??= import('./providers/ses/ses-provider.js').then(
        ({ SesProvider }) => new SesProvider({ ...(env.SES_ACCOUNT_ID ? { accountId: env.SES_ACCOUNT_ID } : {}) }),
      );
      return (await provider).send(account, message);
    },
  };
}

/**
 * The send path: cached credentials over the table and the cipher, one transport per provider
 * (SendGrid; SES for tenants moved there), the ledger. `SEND_LEASE_MS` must exceed the send
 * function's timeout.
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
    transports: { sendgrid: new SendGridMailTransport(api), ses: lazySesTransport(env) },
    ledger: sendLedger(env),
    logger: createLogger(),
    leaseMs: Number.isFinite(leaseMs) && leaseMs > 0 ? leaseMs : 120_000,
  });
}
