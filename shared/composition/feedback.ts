import { EventWebhookRegistrations } from '../feedback/event-webhook-registration.js';
import { EventWebhookStore } from '../feedback/event-webhook-store.js';
import { MessageFeedback } from '../feedback/message-feedback.js';
import {
  type EnvironmentVariables,
  eventWebhookTableSettings,
  publicApiUrl,
  sendLedgerTableSettings,
  type TableSettings,
} from './environment.js';
import { dynamoClientConfig } from './store.js';

/** The Event Webhook table (`EVENT_WEBHOOK_TABLE_NAME`): registrations and the lookups behind webhook URLs. */
export function eventWebhookStore(settings: TableSettings = eventWebhookTableSettings()): EventWebhookStore {
  return new EventWebhookStore({ tableName: settings.tableName, clientConfig: dynamoClientConfig(settings) });
}

/** The Event Webhook routes' use cases; URLs are built on `PUBLIC_API_URL`. */
export function eventWebhookRegistrations(env: EnvironmentVariables = process.env): EventWebhookRegistrations {
  return new EventWebhookRegistrations({
    store: eventWebhookStore(eventWebhookTableSettings(env)),
    publicBaseUrl: publicApiUrl(env),
  });
}

/** Applies provider feedback to messages in the send ledger (`SEND_LEDGER_TABLE_NAME`). */
export function messageFeedback(settings: TableSettings = sendLedgerTableSettings()): MessageFeedback {
  return new MessageFeedback({ tableName: settings.tableName, clientConfig: dynamoClientConfig(settings) });
}
