import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { type CheckRequest, SqsJsonQueue } from '../../shared/integrations/health-queues.js';
import { UpstreamUnavailableError } from '../../shared/problem-catalog.js';

const sqs = mockClient(SQSClient);
const queue = new SqsJsonQueue<CheckRequest>({ queueUrl: 'https://sqs.local/checks', client: new SQSClient({}) });
const checks = (count: number) =>
  Array.from({ length: count }, (_, index) => ({ runId: 'all-1', tenantId: `tenant-${index}` }));

describe('SqsJsonQueue', () => {
  afterEach(() => sqs.reset());

  it('sends in batches of ten, each message as JSON', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });

    await queue.sendAll(checks(25));

    const calls = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => input.Entries?.length).sort()).toEqual([10, 10, 5]);
    expect(calls.every((input) => input.QueueUrl === 'https://sqs.local/checks')).toBe(true);
    const bodies = calls.flatMap((input) => input.Entries ?? []).map((entry) => JSON.parse(entry.MessageBody ?? ''));
    expect(bodies).toHaveLength(25);
    expect(bodies).toContainEqual({ runId: 'all-1', tenantId: 'tenant-24' });
  });

  it('sends again only the entries SQS refused inside a batch', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [], Failed: [{ Id: '3', Code: 'InternalError', SenderFault: false }] })
      .resolves({ Successful: [], Failed: [] });

    await queue.sendAll(checks(10));

    const again = sqs.commandCalls(SendMessageBatchCommand)[1]?.args[0].input.Entries ?? [];
    expect(again.map((entry) => JSON.parse(entry.MessageBody ?? '').tenantId)).toEqual(['tenant-3']);
  });

  it('fails when SQS keeps refusing an entry, so the planner does not record the page', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }] });

    await expect(queue.sendAll(checks(1))).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
  });
});
