import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  OUTCOME_EVENT_SOURCE,
  outcomeEventId,
  sendAccepted,
  sendFailed,
} from '../../shared/outcome-events/outcome-events.js';
import { EventBridgeOutcomePublisher, OutcomePublishError } from '../../shared/outcome-events/outcome-publisher.js';

const eventBridge = mockClient(EventBridgeClient);
const occurredAt = '2026-11-26T03:00:00.000Z';
const accepted = (messageId: string) =>
  sendAccepted({ tenantId: 'tenant-a', messageId, providerMessageId: 'sg-1', occurredAt });

describe('EventBridgeOutcomePublisher', () => {
  let publisher: EventBridgeOutcomePublisher;
  beforeEach(() => {
    eventBridge.reset();
    publisher = new EventBridgeOutcomePublisher({
      busName: 'email-integrations-test',
      client: eventBridge as unknown as EventBridgeClient,
      backoffMs: 0,
    });
  });

  it('puts each event on the service bus with the service’s source and its detail type', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    await publisher.publish([accepted('m-1')]);
    const entries = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries;
    expect(entries).toEqual([
      {
        EventBusName: 'email-integrations-test',
        Source: OUTCOME_EVENT_SOURCE,
        DetailType: 'Email Send Accepted',
        Detail: JSON.stringify(accepted('m-1').detail),
        Time: new Date(occurredAt),
      },
    ]);
  });

  it('sends again exactly the entries PutEvents refused (FailedEntryCount), until none is left', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'e-1' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
      })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'e-2' }] });
    await publisher.publish([accepted('m-1'), accepted('m-2')]);
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries?.map((entry) => JSON.parse(entry.Detail ?? '{}').messageId)).toEqual([
      'm-2',
    ]);
  });

  it('gives up after three attempts with an OutcomePublishError naming how many are left', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'x' }] });
    const failure = await publisher.publish([accepted('m-1')]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OutcomePublishError);
    expect(failure).toMatchObject({ unpublished: 1, lastErrorCode: 'InternalFailure' });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
  });

  it('retries a call that failed outright, then succeeds', async () => {
    eventBridge
      .on(PutEventsCommand)
      .rejectsOnce(new Error('socket hang up'))
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    await publisher.publish([accepted('m-1')]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(2);
  });

  it('puts at most 10 entries per call', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    await publisher.publish(Array.from({ length: 12 }, (_, index) => accepted(`m-${index}`)));
    expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries?.length)).toEqual([
      10, 2,
    ]);
  });
});

describe('outcome event ids', () => {
  it('are the same for the same outcome and differ between outcomes, messages and tenants', () => {
    expect(accepted('m-1').detail.eventId).toBe(accepted('m-1').detail.eventId);
    expect(accepted('m-1').detail.eventId).not.toBe(accepted('m-2').detail.eventId);
    const failed = sendFailed({
      tenantId: 'tenant-a',
      messageId: 'm-1',
      status: 'failed',
      code: 'message_rejected',
      detail: 'x',
      occurredAt,
    });
    expect(failed.detail.eventId).not.toBe(accepted('m-1').detail.eventId);
    expect(outcomeEventId('Email Send Accepted', 'tenant-a', 'm-1', 'accepted')).not.toBe(
      outcomeEventId('Email Send Accepted', 'tenant-b', 'm-1', 'accepted'),
    );
    expect(accepted('m-1').detail.eventId).toMatch(/^[0-9a-f]{32}$/);
  });
});
