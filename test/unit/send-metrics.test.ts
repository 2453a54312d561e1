import type { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { countOutcomes } from '../../shared/sending/send-metrics.js';
import type { RecordOutcome } from '../../shared/sending/send-queue-consumer.js';

describe('countOutcomes', () => {
  it('counts each outcome once per batch under its kind and its code, unknown deliveries as failures too', () => {
    const added: Array<[string, number]> = [];
    const metrics = { addMetric: (name: string, _unit: string, value: number) => added.push([name, value]) };
    const outcome = (value: RecordOutcome['outcome']): RecordOutcome => ({
      sqsMessageId: 'q',
      eventId: 'e',
      outcome: value,
    });
    countOutcomes(metrics as unknown as Metrics, [
      outcome({ kind: 'sent', providerMessageId: 'a' }),
      outcome({ kind: 'sent', providerMessageId: 'b' }),
      outcome({ kind: 'duplicate', state: 'sent' }),
      outcome({ kind: 'retry', code: 'transient', detail: '' }),
      outcome({ kind: 'failed', code: 'delivery_unknown', detail: '' }),
      outcome({ kind: 'failed', code: 'sender_not_registered', detail: '' }),
    ]);
    expect(Object.fromEntries(added)).toEqual({
      EmailsSent: 2,
      EmailsDuplicate: 1,
      EmailsRetried: 1,
      EmailsFailed: 2,
      EmailsDeliveryUnknown: 1,
      EmailsSenderNotRegistered: 1,
      EmailsTransient: 1,
    });
  });
});
