import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { LocalSqsQueue } from '../../local/local-sqs-queue.js';

const options = { name: 'test', batchSize: 10, maxConcurrency: 3, maxReceiveCount: 3, visibilityMs: 1 };

describe('LocalSqsQueue', () => {
  it('delivers in batches with at most maxConcurrency batches in flight, messages sent meanwhile included', async () => {
    const queue = new LocalSqsQueue<{ n: number }>(options);
    await queue.sendAll(Array.from({ length: 45 }, (_, n) => ({ n })));
    const sizes: number[] = [];
    let inFlight = 0;
    let most = 0;
    let sentMore = false;

    await queue.drain(async (event: SQSEvent) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      sizes.push(event.Records.length);
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (!sentMore) {
        sentMore = true;
        await queue.sendAll([{ n: 45 }]);
      }
      inFlight -= 1;
      return { batchItemFailures: [] };
    });

    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(46);
    expect(Math.max(...sizes)).toBe(10);
    expect(most).toBe(3);
    expect(queue.depth).toBe(0);
  });

  it('delivers a failed message again with its receive count, and dead-letters it after maxReceiveCount', async () => {
    const queue = new LocalSqsQueue<{ n: number }>(options);
    await queue.sendAll([{ n: 1 }, { n: 2 }]);
    const receives: string[] = [];

    await queue.drain(async (event) => {
      const failures = event.Records.filter((record) => JSON.parse(record.body).n === 2);
      for (const record of event.Records) receives.push(`${record.body}#${record.attributes.ApproximateReceiveCount}`);
      return { batchItemFailures: failures.map((record) => ({ itemIdentifier: record.messageId })) };
    });

    expect(receives).toEqual(['{"n":1}#1', '{"n":2}#1', '{"n":2}#2', '{"n":2}#3']);
    expect(queue.deadLetters.map((letter) => [letter.body, letter.receiveCount])).toEqual([['{"n":2}', 3]]);
  });

  it('fails the whole batch when the handler throws', async () => {
    const queue = new LocalSqsQueue<{ n: number }>({ ...options, maxReceiveCount: 2 });
    await queue.sendAll([{ n: 1 }, { n: 2 }]);
    let deliveries = 0;

    await queue.drain(async () => {
      deliveries += 1;
      throw new Error('the function crashed');
    });

    expect(deliveries).toBe(2);
    expect(queue.deadLetters).toHaveLength(2);
  });
});
