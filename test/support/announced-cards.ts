import {
  type EventBridgeClient,
  type EventBridgeClientResolvedConfig,
  PutEventsCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-eventbridge';
import type { AwsStub } from 'aws-sdk-client-mock';
import type { IntegrationRecord } from '../../shared/integrations/integration-record.js';
import { createLogger } from '../../shared/observability/logger.js';
import { OutcomeAnnouncer } from '../../shared/outcome-events/outcome-announcer.js';
import { EventBridgeOutcomePublisher } from '../../shared/outcome-events/outcome-publisher.js';

/** What the card-announcement tests share: a mocked bus, the announcer on it, a card to change. */
type MockedEventBridge = AwsStub<ServiceInputTypes, ServiceOutputTypes, EventBridgeClientResolvedConfig>;

/** When the cards of these tests were created, and when they change. */
export const CREATED = '2026-01-01T00:00:00.000Z';
export const NOW = new Date('2026-01-01T00:10:00.000Z');

/** The publisher the composition builds, on a mocked EventBridge. */
export function publisherOn(eventBridge: MockedEventBridge): EventBridgeOutcomePublisher {
  return new EventBridgeOutcomePublisher({
    busName: 'email-integrations-test',
    client: eventBridge as unknown as EventBridgeClient,
    backoffMs: 0,
  });
}

/** The announcer the composition builds, on a mocked EventBridge. */
export function announcerOn(eventBridge: MockedEventBridge): OutcomeAnnouncer {
  return new OutcomeAnnouncer({
    publisher: publisherOn(eventBridge),
    logger: createLogger(),
    metrics: { addMetric: () => undefined },
    now: () => NOW,
  });
}

/** The details of every event put on the mocked bus, in order. */
export function publishedOn(
  eventBridge: MockedEventBridge,
): Array<{ detailType: string | undefined; detail: Record<string, unknown> }> {
  return (
    eventBridge as unknown as { commandCalls(command: typeof PutEventsCommand): Array<{ args: [PutEventsCommand] }> }
  )
    .commandCalls(PutEventsCommand)
    .flatMap((call) =>
      (call.args[0].input.Entries ?? []).map((entry) => ({
        detailType: entry.DetailType,
        detail: JSON.parse(entry.Detail ?? '{}') as Record<string, unknown>,
      })),
    );
}

/** tenant-a's active SendGrid card, with the fields given. */
export function card(fields: Partial<IntegrationRecord>): IntegrationRecord {
  return {
    tenantId: 'tenant-a',
    channel: 'email',
    provider: 'sendgrid',
    region: 'global',
    keyId: 'key-1',
    emails: ['info@acme.example'],
    status: 'active',
    keyVersion: 1,
    revision: 1,
    createdAt: CREATED,
    updatedAt: CREATED,
    lastVerifiedAt: CREATED,
    ...fields,
  };
}
