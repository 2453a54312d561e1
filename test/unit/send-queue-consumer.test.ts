import { Logger } from '@aws-lambda-powertools/logger';
import { beforeEach, describe, expect, it } from 'vitest';
import { BatchCompletion } from '../../shared/sending/batch-settles.js';
import type { BatchContext, DispatchOutcome } from '../../shared/sending/email-dispatcher.js';
import { REDELIVERY_POLICY, redeliveryDelaySeconds } from '../../shared/sending/redelivery-policy.js';
import { SendQueueConsumer, type SendQueueConsumerDeps } from '../../shared/sending/send-queue-consumer.js';
import { eventRecord, publisher } from '../support/sqs-records.js';

/** A dispatcher that answers from a table by event id, or throws. */
class ScriptedDispatcher {
  answers = new Map<string, DispatchOutcome | Error>();
  seen: Array<{ detail: unknown; eventId: string }> = [];
  async dispatch(detail: unknown, eventId: string): Promise<DispatchOutcome> {
    this.seen.push({ detail, eventId });
    const answer = this.answers.get(eventId) ?? { kind: 'sent', providerMessageId: `sg-${eventId}` };
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

/** A consumer around `dispatcher` whose redelivery delays go nowhere (for tests that do not retry). */
function consumerWithoutDelays(dispatcher: SendQueueConsumerDeps['dispatcher']): SendQueueConsumer {
  return new SendQueueConsumer({
    dispatcher,
    redelivery: { delay: async () => undefined },
    logger: new Logger({ logLevel: 'SILENT' }),
    publisher,
  });
}

describe('SendQueueConsumer', () => {
  let dispatcher: ScriptedDispatcher;
  let delays: Array<{ handle: string; seconds: number }>;
  let consumer: SendQueueConsumer;

  beforeEach(() => {
    dispatcher = new ScriptedDispatcher();
    delays = [];
    consumer = new SendQueueConsumer({
      dispatcher,
      redelivery: {
        async delay(record, seconds) {
          delays.push({ handle: record.receiptHandle, seconds });
        },
      },
      logger: new Logger({ logLevel: 'SILENT' }),
      publisher,
    });
  });

  it('reports only the records to retry as batch item failures, each outcome in record order', async () => {
    dispatcher.answers.set('e-2', { kind: 'retry', code: 'transient', detail: 'SendGrid answered 503' });
    dispatcher.answers.set('e-3', { kind: 'failed', code: 'message_rejected', detail: 'subject missing' });
    const { outcomes, batchItemFailures } = await consumer.consume([
      eventRecord('e-1', { n: 1 }),
      eventRecord('e-2', { n: 2 }),
      eventRecord('e-3', { n: 3 }),
    ]);
    expect(batchItemFailures).toEqual([{ itemIdentifier: 'sqs-e-2' }]);
    expect(outcomes.map((entry) => [entry.eventId, entry.outcome.kind])).toEqual([
      ['e-1', 'sent'],
      ['e-2', 'retry'],
      ['e-3', 'failed'],
    ]);
    expect(dispatcher.seen.map((call) => call.detail)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('holds a retried record back for the policy’s delay at its delivery count', async () => {
    dispatcher.answers.set('e-1', { kind: 'retry', code: 'transient', detail: '503' });
    await consumer.consume([eventRecord('e-1', {}, { receiveCount: 3 })]);
    expect(delays).toEqual([{ handle: 'handle-e-1', seconds: redeliveryDelaySeconds(3) }]);
  });

  it('holds a throttled record back until the provider’s reset when it names one', async () => {
    dispatcher.answers.set('e-1', { kind: 'retry', code: 'throttled', detail: '429', afterSeconds: 4_000 });
    await consumer.consume([eventRecord('e-1', {}, { receiveCount: 1 })]);
    expect(delays).toEqual([{ handle: 'handle-e-1', seconds: redeliveryDelaySeconds(1, 4_000) }]);
    expect(delays[0]?.seconds).toBeGreaterThanOrEqual(4_000);
  });

  it('retries a record whose dispatch throws, as internal_error', async () => {
    dispatcher.answers.set('e-1', new Error('DynamoDB went away mid-settle'));
    const { outcomes, batchItemFailures } = await consumer.consume([eventRecord('e-1', {})]);
    expect(outcomes[0]?.outcome).toMatchObject({ kind: 'retry', code: 'internal_error' });
    expect(batchItemFailures).toEqual([{ itemIdentifier: 'sqs-e-1' }]);
    expect(delays).toHaveLength(1);
  });

  it('drops a body that is not an "Email Send Requested" event as a permanent invalid_event', async () => {
    const { outcomes, batchItemFailures } = await consumer.consume([
      eventRecord('e-1', {}, { body: 'not json' }),
      eventRecord('e-2', {}, { detailType: 'Something Else' }),
    ]);
    expect(outcomes.map((entry) => entry.outcome)).toEqual([
      expect.objectContaining({ kind: 'failed', code: 'invalid_event' }),
      expect.objectContaining({ kind: 'failed', code: 'invalid_event' }),
    ]);
    expect(batchItemFailures).toEqual([]);
    expect(dispatcher.seen).toEqual([]);
  });

  it.each([
    ['source', { source: 'someone.else' }],
    ['account', { account: '999999999999' }],
  ])('refuses for good, without dispatching, an event from an untrusted %s', async (_what, origin) => {
    const { outcomes, batchItemFailures } = await consumer.consume([eventRecord('e-1', { tenantId: 't' }, origin)]);
    expect(outcomes[0]?.outcome).toMatchObject({ kind: 'failed', code: 'untrusted_event' });
    expect(batchItemFailures).toEqual([]);
    expect(dispatcher.seen).toEqual([]);
  });

  it('still reports the retry when the queue refuses to delay it', async () => {
    consumer = new SendQueueConsumer({
      dispatcher,
      redelivery: {
        async delay() {
          throw new Error('AccessDenied');
        },
      },
      logger: new Logger({ logLevel: 'SILENT' }),
      publisher,
    });
    dispatcher.answers.set('e-1', { kind: 'retry', code: 'transient', detail: '503' });
    const { batchItemFailures } = await consumer.consume([eventRecord('e-1', {})]);
    expect(batchItemFailures).toEqual([{ itemIdentifier: 'sqs-e-1' }]);
  });

  it('queues a record a tenant cap held back afresh instead of reporting it, so it spends no delivery', async () => {
    const requeued: Array<{ handle: string; seconds: number }> = [];
    const withRequeue = new SendQueueConsumer({
      dispatcher,
      redelivery: {
        async delay(record, seconds) {
          delays.push({ handle: record.receiptHandle, seconds });
        },
        async requeue(record, seconds) {
          requeued.push({ handle: record.receiptHandle, seconds });
        },
      },
      logger: new Logger({ logLevel: 'SILENT' }),
      publisher,
    });
    dispatcher.answers.set('e-1', {
      kind: 'retry',
      code: 'tenant_capped',
      detail: 'cap',
      afterSeconds: 5,
      requeue: true,
    });
    const { batchItemFailures } = await withRequeue.consume([eventRecord('e-1', {}, { receiveCount: 7 })]);
    expect(batchItemFailures).toEqual([]);
    expect(requeued).toEqual([{ handle: 'handle-e-1', seconds: 5 }]);
    expect(delays).toEqual([]);
  });

  it('redelivers a capped record as usual when it cannot be queued afresh', async () => {
    const failing = new SendQueueConsumer({
      dispatcher,
      redelivery: {
        async delay(record, seconds) {
          delays.push({ handle: record.receiptHandle, seconds });
        },
        async requeue() {
          throw new Error('AccessDenied');
        },
      },
      logger: new Logger({ logLevel: 'SILENT' }),
      publisher,
    });
    dispatcher.answers.set('e-1', {
      kind: 'retry',
      code: 'tenant_capped',
      detail: 'cap',
      afterSeconds: 5,
      requeue: true,
    });
    const { batchItemFailures } = await failing.consume([eventRecord('e-1', {})]);
    expect(batchItemFailures).toEqual([{ itemIdentifier: 'sqs-e-1' }]);
    expect(delays).toEqual([{ handle: 'handle-e-1', seconds: redeliveryDelaySeconds(1, 5) }]);
  });

  it('works on every record of a batch at once, with at most the policy’s number of provider calls in flight', async () => {
    let started = 0;
    let calling = 0;
    let most = 0;
    let startedBeforeFirstCall = 0;
    const claimLimits: Array<number | undefined> = [];
    const slow = {
      async dispatch(_detail: unknown, _eventId: string, batch?: BatchContext): Promise<DispatchOutcome> {
        started += 1;
        claimLimits.push(batch?.claimSlots?.limit);
        // The ledger claim and other reads before the provider call.
        await new Promise((resolve) => setImmediate(resolve));
        const call = async () => {
          if (most === 0) startedBeforeFirstCall = started;
          calling += 1;
          most = Math.max(most, calling);
          await new Promise((resolve) => setImmediate(resolve));
          calling -= 1;
        };
        await (batch?.providerSlots ? batch.providerSlots.run(call) : call());
        return { kind: 'sent', providerMessageId: null };
      },
    };
    consumer = consumerWithoutDelays(slow);
    const { outcomes } = await consumer.consume(
      Array.from({ length: 10 }, (_, index) => eventRecord(`e-${index}`, {})),
    );
    expect(outcomes).toHaveLength(10);
    expect(startedBeforeFirstCall).toBe(10);
    expect(most).toBe(REDELIVERY_POLICY.providerCallsPerBatch);
    // Claims go as many at a time as provider calls (the dispatcher takes these slots for them).
    expect(claimLimits).toEqual(Array(10).fill(REDELIVERY_POLICY.providerCallsPerBatch));
  });

  it('counts the batch’s sends for the dispatcher, so it flushes their announcements once all have settled', async () => {
    const sizes: number[] = [];
    let flushes = 0;
    let settledAtFlush = 0;
    let settled = 0;
    const counting = {
      batchCompletion(sends: number) {
        sizes.push(sends);
        return new BatchCompletion(sends, () => {
          flushes += 1;
          settledAtFlush = settled;
        });
      },
      async dispatch(_detail: unknown, _eventId: string, batch?: BatchContext): Promise<DispatchOutcome> {
        const done = batch?.completion?.member();
        await new Promise((resolve) => setImmediate(resolve));
        settled += 1;
        done?.();
        done?.();
        return { kind: 'sent', providerMessageId: null };
      },
    };
    consumer = consumerWithoutDelays(counting);
    await consumer.consume([
      eventRecord('e-1', {}),
      eventRecord('e-2', {}, { source: 'someone.else' }),
      eventRecord('e-3', {}),
    ]);
    // The untrusted record is never dispatched, so it is not waited for; a send saying so twice counts once.
    expect(sizes).toEqual([2]);
    expect({ flushes, settledAtFlush }).toEqual({ flushes: 1, settledAtFlush: 2 });
  });
});
