import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SqsDeadLetterQueue, summarizeDeadLetters } from '../../shared/sending/dead-letter-redrive.js';
import { eventRecord } from '../support/sqs-records.js';

const sqs = mockClient(SQSClient);
const queueUrl = 'https://sqs.eu-central-1.amazonaws.com/111122223333/send';
const deadLetterQueueUrl = 'https://sqs.eu-central-1.amazonaws.com/111122223333/send-dlq';

const body = (tenantId: string, messageId: string) =>
  eventRecord(messageId, {
    tenantId,
    messageId,
    audience: 'customer',
    to: [{ email: 'jane@customer.example' }],
    subject: 'Hi',
    text: 'Hi',
  }).body;
const message = (id: string, tenantId = 'tenant-a') => ({
  MessageId: id,
  ReceiptHandle: `rh-${id}`,
  Body: body(tenantId, id),
});

describe('SqsDeadLetterQueue', () => {
  let queue: SqsDeadLetterQueue;
  beforeEach(() => {
    sqs.reset();
    queue = new SqsDeadLetterQueue({ queueUrl, deadLetterQueueUrl, client: new SQSClient({}) });
  });

  it('lists every dead letter once and leaves them all in the queue (dry run)', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('m-1'), message('m-2')] })
      .resolvesOnce({ Messages: [message('m-3', 'tenant-b'), message('m-1')] })
      .resolves({ Messages: [] });
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    const letters = await queue.list();
    expect(letters.map((letter) => letter.id)).toEqual(['m-1', 'm-2', 'm-3']);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    expect(
      sqs
        .commandCalls(ChangeMessageVisibilityCommand)
        .map((call) => [call.args[0].input.ReceiptHandle, call.args[0].input.VisibilityTimeout]),
    ).toEqual([
      ['rh-m-1', 0],
      ['rh-m-2', 0],
      ['rh-m-3', 0],
    ]);
  });

  it('moves each message to the send queue before deleting it from the dead-letter queue', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('m-1'), message('m-2')] })
      .resolves({ Messages: [] });
    sqs.on(SendMessageCommand).resolves({});
    sqs.on(DeleteMessageCommand).resolves({});
    expect(await queue.moveAll()).toBe(2);
    const order = sqs.calls().map((call) => {
      const input = call.args[0].input as { QueueUrl?: string; ReceiptHandle?: string };
      return `${call.args[0].constructor.name} ${input.QueueUrl === queueUrl ? 'send' : 'dlq'}`;
    });
    expect(order).toEqual([
      'ReceiveMessageCommand dlq',
      'SendMessageCommand send',
      'DeleteMessageCommand dlq',
      'SendMessageCommand send',
      'DeleteMessageCommand dlq',
      'ReceiveMessageCommand dlq',
    ]);
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody).toBe(message('m-1').Body);
  });

  it('puts each message back in its tenant’s fair-queue group', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [message('m-1', 'tenant-a'), message('m-2', 'tenant-b'), { ...message('m-3'), Body: '{' }],
      })
      .resolves({ Messages: [] });
    sqs.on(SendMessageCommand).resolves({});
    sqs.on(DeleteMessageCommand).resolves({});
    await queue.moveAll();
    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input.MessageGroupId)).toEqual([
      'tenant-a',
      'tenant-b',
      'unknown-tenant',
    ]);
  });

  it('keeps a message in the dead-letter queue when the send queue refuses it', async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('m-1')] })
      .resolves({ Messages: [] });
    sqs.on(SendMessageCommand).rejects(new Error('AccessDenied'));
    await expect(queue.moveAll()).rejects.toThrow('AccessDenied');
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });
});

describe('summarizeDeadLetters', () => {
  it('counts per tenant and per ledger state, and never names an address', async () => {
    const letters = [
      { id: 'm-1', body: body('tenant-a', 'm-1') },
      { id: 'm-2', body: body('tenant-a', 'm-2') },
      { id: 'm-3', body: body('tenant-b', 'm-3') },
      { id: 'x', body: 'not an event' },
    ];
    const states: Record<string, 'failed' | 'retryable'> = { 'm-1': 'failed', 'm-3': 'retryable' };
    const summary = await summarizeDeadLetters(letters, {
      get: async (_tenant, messageId) => (states[messageId] ? { state: states[messageId] } : undefined),
    });
    expect(summary).toEqual({
      count: 4,
      tenants: { 'tenant-a': 2, 'tenant-b': 1, unreadable: 1 },
      ledgerStates: { failed: 1, none: 1, retryable: 1 },
    });
    expect(JSON.stringify(summary)).not.toContain('@');
  });
});
