import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CoalescingOutcomePublisher } from '../../shared/outcome-events/coalescing-publisher.js';
import { sendAccepted } from '../../shared/outcome-events/outcome-events.js';
import { EventBridgeOutcomePublisher, OutcomePublishError } from '../../shared/outcome-events/outcome-publisher.js';

const eventBridge = mockClient(EventBridgeClient);
const accepted = (messageId: string) =>
  sendAccepted({
    tenantId: 'tenant-a',
    messageId,
    providerMessageId: `sg-${messageId}`,
    occurredAt: '2026-11-26T03:00:00.000Z',
  });
/** The messageIds of each PutEvents call, in call order. */
const calls = () =>
  eventBridge
    .commandCalls(PutEventsCommand)
    .map((call) => call.args[0].input.Entries?.map((entry) => JSON.parse(entry.Detail ?? '{}').messageId));
/** EventBridge accepting every entry of a call. */
const acceptAll = (input: { Entries?: unknown[] }) => ({
  FailedEntryCount: 0,
  Entries: (input.Entries ?? []).map((_entry, index) => ({ EventId: `e-${index}` })),
});

describe('CoalescingOutcomePublisher', () => {
  let publisher: CoalescingOutcomePublisher;
  beforeEach(() => {
    eventBridge.reset();
    publisher = new CoalescingOutcomePublisher(
      new EventBridgeOutcomePublisher({
        busName: 'email-integrations-test',
        client: eventBridge as unknown as EventBridgeClient,
        attempts: 2,
        backoffMs: 0,
      }),
    );
  });

  it('puts the outcomes that concurrent sends announce together into one PutEvents call', async () => {
    eventBridge.on(PutEventsCommand).callsFake(acceptAll);
    await Promise.all(['m-1', 'm-2', 'm-3'].map((messageId) => publisher.publish([accepted(messageId)])));
    expect(calls()).toEqual([['m-1', 'm-2', 'm-3']]);
  });

  it('never puts more than 10 entries in a call', async () => {
    eventBridge.on(PutEventsCommand).callsFake(acceptAll);
    const messageIds = Array.from({ length: 23 }, (_, index) => `m-${index}`);
    await Promise.all(messageIds.map((messageId) => publisher.publish([accepted(messageId)])));
    expect(calls().map((call) => call?.length)).toEqual([10, 10, 3]);
    expect(calls().flat()).toEqual(messageIds);
  });

  it('fails only the announcer whose entry EventBridge kept refusing; the others are published', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries?: Array<{ Detail?: string }> }) => {
      const results = (input.Entries ?? []).map((entry) =>
        JSON.parse(entry.Detail ?? '{}').messageId === 'm-2'
          ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }
          : { EventId: 'e' },
      );
      return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
    });
    const outcomes = await Promise.allSettled(
      ['m-1', 'm-2', 'm-3'].map((messageId) => publisher.publish([accepted(messageId)])),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const refusal = (outcomes[1] as PromiseRejectedResult).reason;
    expect(refusal).toBeInstanceOf(OutcomePublishError);
    expect(refusal).toMatchObject({ unpublished: 1, lastErrorCode: 'InternalFailure' });
    // The first call had all three; the second (and last) attempt only the refused one.
    expect(calls()).toEqual([['m-1', 'm-2', 'm-3'], ['m-2']]);
  });

  it('fails every announcer of a call EventBridge could not be reached for', async () => {
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    const outcomes = await Promise.allSettled(
      ['m-1', 'm-2'].map((messageId) => publisher.publish([accepted(messageId)])),
    );
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({
      unpublished: 1,
      lastErrorCode: 'TimeoutError',
    });
  });

  it('publishes an announcement alone when no other comes', async () => {
    eventBridge.on(PutEventsCommand).callsFake(acceptAll);
    await publisher.publish([accepted('m-1')]);
    await publisher.publish([accepted('m-2')]);
    expect(calls()).toEqual([['m-1'], ['m-2']]);
  });
});
