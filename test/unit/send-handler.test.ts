import { Logger } from '@aws-lambda-powertools/logger';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DispatchOutcome } from '../../shared/sending/email-dispatcher.js';
import { REDELIVERY_POLICY, redeliveryDelaySeconds } from '../../shared/sending/redelivery-policy.js';
import { createSendHandler, SqsRedelivery } from '../../shared/sending/send-handler.js';
import type { RecordOutcome } from '../../shared/sending/send-queue-consumer.js';
import { eventRecord, publisher } from '../support/sqs-records.js';

const sqs = mockClient(SQSClient);
const queueUrl = 'https://sqs.eu-central-1.amazonaws.com/111122223333/send';

/** Answers by event id; anything not listed is sent. */
const dispatcher = (answers: Record<string, DispatchOutcome>) => ({
  dispatch: async (_detail: unknown, eventId: string): Promise<DispatchOutcome> =>
    answers[eventId] ?? { kind: 'sent', providerMessageId: null },
});

describe('createSendHandler', () => {
  let metrics: Array<[string, number]>;
  let published: number;
  const sink = () => ({
    addMetric: (name: string, _unit: string, value: number) => metrics.push([name, value]),
    publishStoredMetrics: () => {
      published += 1;
    },
  });

  beforeEach(() => {
    sqs.reset();
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    metrics = [];
    published = 0;
  });

  it('answers a partial batch response, delays the retried record through SQS and publishes its counts', async () => {
    const seen: RecordOutcome[][] = [];
    const handler = createSendHandler({
      dispatcher: dispatcher({ 'e-2': { kind: 'retry', code: 'throttled', detail: '429' } }),
      redelivery: new SqsRedelivery({ queueUrl, client: new SQSClient({}) }),
      logger: new Logger({ logLevel: 'SILENT' }),
      publisher,
      metrics: sink(),
      onOutcomes: (outcomes) => seen.push(outcomes),
    });
    const answer = await handler({
      Records: [eventRecord('e-1', {}), eventRecord('e-2', {}, { receiveCount: 2 })],
    });
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'sqs-e-2' }] });
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: queueUrl, ReceiptHandle: 'handle-e-2', VisibilityTimeout: redeliveryDelaySeconds(2) },
    ]);
    expect(Object.fromEntries(metrics)).toEqual({ EmailsSent: 1, EmailsRetried: 1, EmailsThrottled: 1 });
    expect(published).toBe(1);
    expect(seen[0]?.map((entry) => entry.outcome.kind)).toEqual(['sent', 'retry']);
  });

  it('still reports the record for retry when SQS refuses the visibility change', async () => {
    sqs.on(ChangeMessageVisibilityCommand).rejects(new Error('AccessDenied'));
    const handler = createSendHandler({
      dispatcher: dispatcher({ 'e-1': { kind: 'retry', code: 'transient', detail: '503' } }),
      redelivery: new SqsRedelivery({ queueUrl, client: new SQSClient({}) }),
      logger: new Logger({ logLevel: 'SILENT' }),
      publisher,
      metrics: sink(),
    });
    expect(await handler({ Records: [eventRecord('e-1', {})] })).toEqual({
      batchItemFailures: [{ itemIdentifier: 'sqs-e-1' }],
    });
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(1);
  });
});

describe('SqsRedelivery', () => {
  beforeEach(() => {
    sqs.reset();
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
  });

  it('never asks SQS for more than its 12-hour visibility ceiling', async () => {
    const redelivery = new SqsRedelivery({ queueUrl, client: new SQSClient({}) });
    await redelivery.delay(eventRecord('e-1', {}), 50 * 3600);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input.VisibilityTimeout).toBe(
      REDELIVERY_POLICY.maxVisibilitySeconds,
    );
  });

  it('builds its own client on the first retry when none is given', async () => {
    const redelivery = new SqsRedelivery({ queueUrl });
    await redelivery.delay(eventRecord('e-1', {}), 30);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input).toMatchObject({
      QueueUrl: queueUrl,
      VisibilityTimeout: 30,
    });
  });
});
