import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  createFeedbackHandler,
  type FeedbackListener,
  MESSAGES_AT_ONCE,
} from '../../shared/feedback/feedback-consumer.js';
import { feedbackMessageBodies, MAX_FEEDBACK_MESSAGE_BYTES } from '../../shared/feedback/feedback-queue.js';
import type { FeedbackApplied, MessageFeedback } from '../../shared/feedback/message-feedback.js';
import type { FeedbackBatch, NeutralFeedback } from '../../shared/feedback/provider-feedback.js';
import { FEEDBACK_METRICS } from '../../shared/observability/metric-names.js';

const event = (messageId: string | undefined, extra: Partial<NeutralFeedback> = {}): NeutralFeedback => ({
  messageId,
  claimedTenantId: 'tenant-a',
  eventId: `ev-${messageId}-${Math.random()}`,
  kind: 'delivered',
  providerEventType: 'delivered',
  at: '2026-11-26T10:00:00.000Z',
  recipient: 'jane@customer.example',
  ...extra,
});

const record = (id: string, body: unknown): SQSRecord =>
  ({ messageId: id, body: typeof body === 'string' ? body : JSON.stringify(body), attributes: {} }) as SQSRecord;

function applied(messageId: string, outcome: FeedbackApplied['outcome'], changed = true): FeedbackApplied {
  return {
    tenantId: 'tenant-a',
    messageId,
    provider: 'sendgrid',
    outcome,
    status: outcome === 'applied' && changed ? { from: 'accepted', to: 'delivered' } : null,
    bounceType: null,
    recipientChanges: [],
    counts: { applied: outcome === 'applied' ? 1 : 0, duplicate: outcome === 'duplicate' ? 1 : 0, unknownRecipient: 0 },
  };
}

function harness(outcomes: Record<string, FeedbackApplied['outcome'] | Error>, listeners: FeedbackListener[] = []) {
  const calls: Array<{ tenantId: string; provider: string; messageId: string; events: number }> = [];
  const metrics = new Map<string, number>();
  const feedback: Pick<MessageFeedback, 'apply'> = {
    async apply(tenantId, provider, messageId, events) {
      calls.push({ tenantId, provider, messageId, events: events.length });
      const outcome = outcomes[messageId] ?? 'applied';
      if (outcome instanceof Error) throw outcome;
      return applied(messageId, outcome);
    },
  };
  const handler = createFeedbackHandler({
    feedback,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    metrics: { addMetric: (name: string, _unit: unknown, value: number) => metrics.set(name, value) },
    listeners,
  });
  return { handler, calls, metrics };
}

const batch = (events: NeutralFeedback[], tenantId = 'tenant-a'): FeedbackBatch => ({
  provider: 'sendgrid',
  tenantId,
  events,
});

describe('createFeedbackHandler', () => {
  it('applies each message’s events within the tenant the batch came for', async () => {
    const { handler, calls, metrics } = harness({});
    const result = await handler({ Records: [record('r1', batch([event('m-1'), event('m-1'), event('m-2')]))] });
    expect(result.batchItemFailures).toEqual([]);
    expect(calls).toEqual([
      { tenantId: 'tenant-a', provider: 'sendgrid', messageId: 'm-1', events: 2 },
      { tenantId: 'tenant-a', provider: 'sendgrid', messageId: 'm-2', events: 1 },
    ]);
    expect(metrics.get(FEEDBACK_METRICS.statusChanges)).toBe(2);
  });

  it('counts events for unknown messages, not ours, or claiming another tenant, and never fails on them', async () => {
    const { handler, calls, metrics } = harness({ 'm-gone': 'unknown_message' });
    const result = await handler({
      Records: [
        record('r1', batch([event('m-gone'), event(undefined), event('m-1', { claimedTenantId: 'tenant-b' })])),
      ],
    });
    expect(result.batchItemFailures).toEqual([]);
    expect(calls.map((call) => call.messageId)).toEqual(['m-gone']);
    expect(metrics.get(FEEDBACK_METRICS.unknownMessageEvents)).toBe(3);
  });

  it('reports only the records to deliver again: a send still in flight, or a failed write', async () => {
    const { handler } = harness({ 'm-busy': 'not_settled', 'm-down': new Error('DynamoDB unavailable') });
    const result = await handler({
      Records: [
        record('r1', batch([event('m-1')])),
        record('r2', batch([event('m-busy')])),
        record('r3', batch([event('m-down')])),
      ],
    });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'r2' }, { itemIdentifier: 'r3' }]);
  });

  it('drops a message that is no feedback batch (redelivery cannot fix it) and counts it', async () => {
    const { handler, calls, metrics } = harness({});
    const result = await handler({
      Records: [record('r1', 'not json'), record('r2', { provider: 'carrier-pigeon', tenantId: 't', events: [] })],
    });
    expect(result.batchItemFailures).toEqual([]);
    expect(calls).toEqual([]);
    expect(metrics.get(FEEDBACK_METRICS.invalidMessages)).toBe(2);
  });

  it('tells the listeners once per change, and keeps going when one fails', async () => {
    const seen: string[] = [];
    const { handler, metrics } = harness({ 'm-dup': 'duplicate' }, [
      async () => {
        throw new Error('suppression store down');
      },
      async (change) => {
        seen.push(change.messageId);
      },
    ]);
    const result = await handler({ Records: [record('r1', batch([event('m-1'), event('m-dup')]))] });
    expect(result.batchItemFailures).toEqual([]);
    expect(seen).toEqual(['m-1']);
    expect(metrics.get(FEEDBACK_METRICS.listenerFailures)).toBe(1);
  });
});

describe('feedbackMessageBodies', () => {
  it('applies a batch’s messages at once, never more than MESSAGES_AT_ONCE, and each message’s events together', async () => {
    let inFlight = 0;
    let mostInFlight = 0;
    const appliedMessages: string[] = [];
    const handler = createFeedbackHandler({
      feedback: {
        async apply(_tenantId, _provider, messageId, events) {
          inFlight += 1;
          mostInFlight = Math.max(mostInFlight, inFlight);
          // Yield, so every message that may start does before any finishes.
          await new Promise((resolve) => setImmediate(resolve));
          inFlight -= 1;
          appliedMessages.push(`${messageId}:${events.length}`);
          return applied(messageId, messageId === 'm-7' ? 'not_settled' : 'applied', false);
        },
      },
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      metrics: { addMetric: () => undefined },
    });
    const messages = Array.from({ length: 30 }, (_, index) => `m-${index}`);
    const { batchItemFailures } = await handler({
      Records: [
        record('sqs-1', batch(messages.slice(0, 15).flatMap((id) => [event(id), event(id)]))),
        record('sqs-2', batch(messages.slice(15).map((id) => event(id)))),
      ],
    });
    expect(mostInFlight).toBe(MESSAGES_AT_ONCE);
    expect(appliedMessages.sort()).toEqual(messages.map((id, index) => `${id}:${index < 15 ? 2 : 1}`).sort());
    // The record holding a message still being sent comes again; the other does not.
    expect(batchItemFailures).toEqual([{ itemIdentifier: 'sqs-1' }]);
  });

  it('splits a large batch into queue messages under the size limit, each naming provider and tenant', () => {
    const events = Array.from({ length: 2_000 }, (_, index) =>
      event(`m-${index}`, { reason: 'x'.repeat(300), recipient: `r${index}@customer.example` }),
    );
    const bodies = feedbackMessageBodies(batch(events));
    expect(bodies.length).toBeGreaterThan(1);
    const parsed = bodies.map((body) => JSON.parse(body) as FeedbackBatch);
    for (const [index, body] of bodies.entries()) {
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_FEEDBACK_MESSAGE_BYTES);
      expect(parsed[index]).toMatchObject({ provider: 'sendgrid', tenantId: 'tenant-a' });
    }
    expect(parsed.flatMap((part) => part.events)).toEqual(events);
  });
});
