import type { KeylessDomains } from './integrations/health-check.js';
import type { IntegrationRepository } from './integrations/integration-repository.js';
import { envelopeCipher } from './key-dependencies.js';
import { createLogger } from './observability/logger.js';
import type { MailTransport } from './providers/email-provider.js';
import { SendGridApi } from './providers/sendgrid/sendgrid-api.js';
import { SendGridMailTransport } from './providers/sendgrid/sendgrid-mail.js';
import { SendGridProvider } from './providers/sendgrid/sendgrid-provider.js';
import type { SesProvider } from './providers/ses/ses-provider.js';
import { EmailDispatcher } from './sending/email-dispatcher.js';
import { MailAccounts } from './sending/mail-accounts.js';
import { SendLedger } from './sending/send-ledger.js';
import { SendingCredentials } from './sending/sending-credentials.js';
import { TestSender } from './sending/test-send.js';
import { dynamoClientConfig, type Environment, integrationRepository, requireEnv } from './service-dependencies.js';

/** A positive number from the environment, or the default. */
function positiveNumber(value: string | undefined, fallback: number): number {
  const number = Number(value ?? fallback);
  return Number.isFinite(number) && number > 0 ? number : fallback;
}

/**
 * SendGrid's API, at its public hosts unless `SENDGRID_API_BASE_URL` / `SENDGRID_EU_API_BASE_URL`
 * say otherwise, with `SENDGRID_TIMEOUT_MS` per call (default 5 s).
 */
function sendGridApi(env: Environment): SendGridApi {
  return new SendGridApi({
    baseUrls: { global: env.SENDGRID_API_BASE_URL, eu: env.SENDGRID_EU_API_BASE_URL },
    timeoutMs: positiveNumber(env.SENDGRID_TIMEOUT_MS, 5_000),
  });
}

/** SendGrid for verifying keys and reading sender domains. */
export function sendGridProvider(env: Environment = process.env): SendGridProvider {
  return new SendGridProvider({ api: sendGridApi(env) });
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
function lazySesProvider(env: Environment): () => Promise<SesProvider> {
  let provider: Promise<SesProvider> | undefined;
  return () => {
    provider ??= import('./providers/ses/ses-provider.js').then(
      (module) => new module.SesProvider({ ...(env.SES_ACCOUNT_ID ? { accountId: env.SES_ACCOUNT_ID } : {}) }),
    );
    return provider;
  };
}

/** SES as the send path's transport for tenants moved there. */
export function lazySesTransport(env: Environment = process.env): MailTransport {
  const ses = lazySesProvider(env);
  return { send: async (account, message) => (await ses()).send(account, message) };
}

/** SES's verified sending domains, for checking SES tenants' senders (health check, sender edits). */
export function lazySesDomains(env: Environment = process.env): KeylessDomains {
  const ses = lazySesProvider(env);
  return { listSenderDomains: async (region) => (await ses()).listSenderDomains(region) };
}

/**
 * Accounts and transports of the send path: cached credentials over the table and the cipher,
 * one transport per provider (SendGrid; SES for tenants moved there).
 */
function mailAccounts(env: Environment, repository: IntegrationRepository): MailAccounts {
  return new MailAccounts({
    credentials: new SendingCredentials({ repository, cipher: envelopeCipher(env) }),
    repository,
    transports: { sendgrid: new SendGridMailTransport(sendGridApi(env)), ses: lazySesTransport(env) },
    now: () => new Date(),
  });
}

/** The send path: accounts, the ledger and the lease. `SEND_LEASE_MS` must exceed the send function's timeout. */
export function emailDispatcher(env: Environment = process.env): EmailDispatcher {
  return new EmailDispatcher({
    accounts: mailAccounts(env, integrationRepository(env)),
    ledger: sendLedger(env),
    logger: createLogger(),
    leaseMs: positiveNumber(env.SEND_LEASE_MS, 120_000),
    now: () => new Date(),
  });
}

/** The console's test send, through the same accounts and transports as queued mail. */
export function testSender(env: Environment = process.env): TestSender {
  const repository = integrationRepository(env);
  return new TestSender({ accounts: mailAccounts(env, repository), repository });
}
