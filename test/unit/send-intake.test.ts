import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { screenSendEvent, UNKNOWN_TENANT_GROUP } from '../../shared/sending/send-event-screen.js';
import { batches, createIntakeHandler, SendIntake, SqsSendQueue } from '../../shared/sending/send-intake.js';
import { SendQueueConsumer } from '../../shared/sending/send-queue-consumer.js';
import { eventRecord, publisher } from '../support/sqs-records.js';

const sqs = mockClient(SQSClient);
const queueUrl = 'https://sqs.eu-central-1.amazonaws.com/111122223333/send';

/** The EventBridge event an SQS record of the support module carries. */
const eventOf = (id: string, detail: unknown, options: Parameters<typeof eventRecord>[2] = {}) =>
  JSON.parse(eventRecord(id, detail, options).body) as Record<string, unknown>;

describe('SendIntake', () => {
  let metrics: string[];
  let intake: SendIntake;

  beforeEach(() => {
    sqs.reset();
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    metrics = [];
    intake = new SendIntake({
      queue: new SqsSendQueue({ queueUrl, client: sqs as unknown as SQSClient }),
      publisher,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: { addMetric: (name) => metrics.push(name) },
    });
  });
  afterEach(() => sqs.reset());

  it('queues a trusted event whole, with its tenant as the message group', async () => {
    const event = eventOf('e-1', { tenantId: 't-quiet', messageId: 'm-1' });
    const results = await intake.accept([event]);
    expect(results).toEqual([{ eventId: 'e-1', kind: 'queued', group: 't-quiet' }]);
    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: queueUrl, MessageBody: JSON.stringify(event), MessageGroupId: 't-quiet' },
    ]);
  });

  it('queues several events in one SendMessageBatch, each under its own tenant', async () => {
    await intake.accept([eventOf('e-1', { tenantId: 'a' }), eventOf('e-2', { tenantId: 'b' })]);
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.Entries?.map((entry) => [entry.Id, entry.MessageGroupId])).toEqual([
      ['0', 'a'],
      ['1', 'b'],
    ]);
  });

  it.each([
    ['source', { source: 'someone.else' }],
    ['account', { account: '999988887777' }],
  ])('refuses an event from an untrusted %s, queueing nothing and counting it', async (_field, options) => {
    const results = await intake.accept([eventOf('e-1', { tenantId: 't' }, options)]);
    expect(results).toEqual([{ eventId: 'e-1', kind: 'refused', code: 'untrusted_event' }]);
    expect(sqs.calls()).toHaveLength(0);
    expect(metrics).toEqual(['EmailsUntrustedEvent']);
  });

  it('refuses what is not a send request, queueing nothing', async () => {
    const results = await intake.accept([eventOf('e-1', {}, { detailType: 'Something Else' }), 'not an event']);
    expect(results.map((result) => result.kind)).toEqual(['refused', 'refused']);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('queues a trusted event with an unreadable tenant under one shared group, for the consumer to file as invalid', async () => {
    const results = await intake.accept([eventOf('e-1', { tenantId: 'bad tenant\u2028' })]);
    expect(results).toEqual([{ eventId: 'e-1', kind: 'queued', group: UNKNOWN_TENANT_GROUP }]);
  });

  it('reports an event the queue did not take as not queued, so its invocation fails and is retried', async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'x', MD5OfMessageBody: '' }],
      Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
    });
    const results = await intake.accept([eventOf('e-1', { tenantId: 'a' }), eventOf('e-2', { tenantId: 'b' })]);
    expect(results.map((result) => [result.eventId, result.kind])).toEqual([
      ['e-1', 'queued'],
      ['e-2', 'not_queued'],
    ]);
    sqs.on(SendMessageCommand).rejects(new Error('SQS is down'));
    expect((await intake.accept([eventOf('e-3', { tenantId: 'a' })]))[0]?.kind).toBe('not_queued');
  });
});

describe('createIntakeHandler', () => {
  beforeEach(() => sqs.reset());

  it('reports back only the records the send queue did not take, and drops what it refuses', async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'x', MD5OfMessageBody: '' }],
      Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
    });
    let flushed = 0;
    const handler = createIntakeHandler({
      queue: new SqsSendQueue({ queueUrl, client: sqs as unknown as SQSClient }),
      publisher,
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: {
        addMetric: () => undefined,
        publishStoredMetrics: () => {
          flushed += 1;
        },
      },
    });
    const answer = await handler({
      Records: [
        eventRecord('taken', { tenantId: 'a' }),
        eventRecord('refused-by-sqs', { tenantId: 'b' }),
        eventRecord('untrusted', { tenantId: 'c' }, { source: 'someone.else' }),
        eventRecord('garbage', {}, { body: '{not json' }),
      ],
    });
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'sqs-refused-by-sqs' }] });
    expect(sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries).toHaveLength(2);
    expect(flushed).toBe(1);
  });
});

describe('the send trust screen', () => {
  it('judges an event as the consumer does: the consumer refuses exactly what the intake refuses', async () => {
    const cases = [
      eventRecord('trusted', { tenantId: 't' }),
      eventRecord('other-source', { tenantId: 't' }, { source: 'someone.else' }),
      eventRecord('other-account', { tenantId: 't' }, { account: '999988887777' }),
      eventRecord('other-type', { tenantId: 't' }, { detailType: 'Something Else' }),
    ];
    const consumer = new SendQueueConsumer({
      dispatcher: { dispatch: async () => ({ kind: 'sent', providerMessageId: null }) },
      publisher,
      redelivery: { delay: async () => undefined },
      logger: new Logger({ logLevel: 'SILENT' }),
    });
    const { outcomes } = await consumer.consume(cases);
    const consumerRefuses = outcomes.map((entry) => entry.outcome.kind === 'failed');
    const screenRefuses = cases.map(
      (record) => screenSendEvent(JSON.parse(record.body), publisher).kind !== 'accepted',
    );
    expect(consumerRefuses).toEqual([false, true, true, true]);
    expect(screenRefuses).toEqual(consumerRefuses);
  });
});

describe('batches', () => {
  it('keeps every SendMessageBatch within 10 entries and 256 KiB', () => {
    const small = Array.from({ length: 23 }, (_, index) => ({ id: `s${index}`, body: 'x', group: 'a' }));
    expect(batches(small).map((batch) => batch.length)).toEqual([10, 10, 3]);
    const large = Array.from({ length: 3 }, (_, index) => ({ id: `l${index}`, body: 'x'.repeat(100_000), group: 'a' }));
    expect(batches(large).map((batch) => batch.length)).toEqual([2, 1]);
  });
});
