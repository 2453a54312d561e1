import { EventWebhookRegistrations } from '../feedback/event-webhook-registration.js';
import { EventWebhookStore } from '../feedback/event-webhook-store.js';
import { type FeedbackQueuePort, FileFeedbackQueue, SqsFeedbackQueue } from '../feedback/feedback-queue.js';
import { MessageFeedback } from '../feedback/message-feedback.js';
import { SendGridWebhookReceiver } from '../feedback/sendgrid-webhook-receiver.js';
import { serviceLogger } from '../observability/logger.js';
import {
  type EnvironmentVariables,
  eventWebhookTableSettings,
  type FeedbackQueueSettings,
  feedbackQueueSettings,
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

/** The feedback queue: SQS (`FEEDBACK_QUEUE_URL`) in AWS, the local runtime's file (`LOCAL_FEEDBACK_QUEUE_FILE`). */
export function feedbackQueue(settings: FeedbackQueueSettings = feedbackQueueSettings()): FeedbackQueuePort {
  return 'queueUrl' in settings
    ? new SqsFeedbackQueue({ queueUrl: settings.queueUrl })
    : new FileFeedbackQueue(settings.localFile);
}

/** The public SendGrid webhook route's receiver: the Event Webhook table and the feedback queue. */
export function sendGridWebhookReceiver(env: EnvironmentVariables = process.env): SendGridWebhookReceiver {
  return new SendGridWebhookReceiver({
    store: eventWebhookStore(eventWebhookTableSettings(env)),
    queue: feedbackQueue(feedbackQueueSettings(env)),
    logger: serviceLogger(),
  });
}
