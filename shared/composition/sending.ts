import type { IntegrationRepository } from '../integrations/integration-repository.js';
import { serviceLogger } from '../observability/logger.js';
import { BATCH_ANNOUNCE_WINDOW_MS, CoalescingOutcomePublisher } from '../outcome-events/coalescing-publisher.js';
import type { IntegrationStatusEvents } from '../outcome-events/outcome-events.js';
import { type DispatcherDeps, EmailDispatcher } from '../sending/email-dispatcher.js';
import { MailAccounts } from '../sending/mail-accounts.js';
import { SendLedger } from '../sending/send-ledger.js';
import { SendingCredentials } from '../sending/sending-credentials.js';
import { TenantCaps } from '../sending/tenant-caps.js';
import { TenantPauses } from '../sending/tenant-pauses.js';
import { TestSender } from '../sending/test-send.js';
import {
  type EnvironmentVariables,
  integrationTableSettings,
  type KeySettings,
  keySettings,
  type OutcomeEventSettings,
  outcomeEventSettings,
  type SendGridSettings,
  type SendSettings,
  type SesSettings,
  sendGridSettings,
  sendLedgerTableSettings,
  sendSettings,
  sesSettings,
  suppressionTableSettings,
  type TableSettings,
} from './environment.js';
import { envelopeCipher } from './keys.js';
import { integrationStatusEvents, outcomePublisher } from './outcome-events.js';
import { providerRegistry } from './providers.js';
import { dynamoClientConfig, integrationRepository } from './store.js';
import { suppressionList } from './suppressions.js';

/** What sending mail for a tenant needs, with or without the queue: its record, key and provider. */
export interface MailAccountSettings {
  integrations: TableSettings;
  keys: KeySettings;
  sendGrid: SendGridSettings;
  ses: SesSettings;
}

/** Everything the queued send path reads from its environment. */
export interface SendPathSettings extends MailAccountSettings {
  ledger: TableSettings;
  /** The tenants' suppression lists, read before every send. */
  suppressions: TableSettings;
  /** Where send outcomes are announced; none (the benchmark): not announced. */
  outcomes?: OutcomeEventSettings;
  send: SendSettings;
}

/** Parses the mail accounts' settings; fails naming the first missing or malformed variable. */
export function mailAccountSettings(env: EnvironmentVariables = process.env): MailAccountSettings {
  return {
    integrations: integrationTableSettings(env),
    keys: keySettings(env),
    sendGrid: sendGridSettings(env),
    ses: sesSettings(env),
  };
}

/** Parses the send path's settings; fails naming the first missing or malformed variable. */
export function sendPathSettings(env: EnvironmentVariables = process.env): SendPathSettings {
  return {
    ...mailAccountSettings(env),
    ledger: sendLedgerTableSettings(env),
    send: sendSettings(env),
    suppressions: suppressionTableSettings(env),
    outcomes: outcomeEventSettings(env),
  };
}

/** The send ledger (`SEND_LEDGER_TABLE_NAME`): idempotency of the send path. */
export function sendLedger(settings: TableSettings = sendLedgerTableSettings()): SendLedger {
  return new SendLedger({ tableName: settings.tableName, clientConfig: dynamoClientConfig(settings) });
}

/** Parts a caller may supply instead of having them built (the benchmark counts reads and decrypts). */
export interface SendPathOverrides {
  repository?: IntegrationRepository;
  credentials?: SendingCredentials;
  logger?: DispatcherDeps['logger'];
  /** `false`: no per-tenant pauses (the local queue, whose compressed waits would outlast none). */
  pauses?: false;
  /** `false`: no per-tenant caps. */
  caps?: false;
}

/**
 * Accounts and transports of the send path: cached credentials over the table and the cipher,
 * one transport per provider (SendGrid; SES for tenants moved there, loaded on first use).
 */
export function mailAccounts(
  settings: MailAccountSettings = mailAccountSettings(),
  overrides: Pick<SendPathOverrides, 'repository' | 'credentials'> & { statusEvents?: IntegrationStatusEvents } = {},
): MailAccounts {
  const repository = overrides.repository ?? integrationRepository(settings.integrations);
  return new MailAccounts({
    credentials: overrides.credentials ?? new SendingCredentials({ repository, cipher: envelopeCipher(settings.keys) }),
    repository,
    transports: providerRegistry(settings),
    ...(overrides.statusEvents ? { statusEvents: overrides.statusEvents } : {}),
    now: () => new Date(),
  });
}

/** The queued send path: accounts, the ledger and the lease (`SEND_LEASE_MS`, longer than the function's timeout). */
export function emailDispatcher(
  settings: SendPathSettings = sendPathSettings(),
  overrides: SendPathOverrides = {},
): EmailDispatcher {
  return new EmailDispatcher({
    accounts: mailAccounts(settings, {
      ...overrides,
      ...(settings.outcomes ? { statusEvents: integrationStatusEvents(settings.outcomes) } : {}),
    }),
    ledger: sendLedger(settings.ledger),
    suppressions: suppressionList(settings.suppressions),
    // A batch's sends share PutEvents calls: one per batch of ten, sent when the batch's last send is done.
    ...(settings.outcomes
      ? { outcomes: new CoalescingOutcomePublisher(outcomePublisher(settings.outcomes), BATCH_ANNOUNCE_WINDOW_MS) }
      : {}),
    ...(overrides.pauses === false
      ? {}
      : {
          pauses: new TenantPauses({
            tableName: settings.ledger.tableName,
            clientConfig: dynamoClientConfig(settings.ledger),
          }),
        }),
    ...(overrides.caps === false
      ? {}
      : {
          caps: new TenantCaps({
            tableName: settings.ledger.tableName,
            clientConfig: dynamoClientConfig(settings.ledger),
            ...(settings.send.limitsCacheMs === undefined ? {} : { limitsCacheMs: settings.send.limitsCacheMs }),
          }),
        }),
    logger: overrides.logger ?? serviceLogger(),
    leaseMs: settings.send.leaseMs,
    now: () => new Date(),
  });
}

/**
 * The console's test send, through the same accounts and transports as queued mail; a key or
 * sender it finds refused is written onto the card and announced (`statusEvents`, cause `send_refused`).
 */
export function testSender(
  settings: MailAccountSettings = mailAccountSettings(),
  statusEvents?: IntegrationStatusEvents,
): TestSender {
  const repository = integrationRepository(settings.integrations);
  return new TestSender({
    accounts: mailAccounts(settings, { repository, ...(statusEvents ? { statusEvents } : {}) }),
    repository,
  });
}
