import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SendLedger, sendKey } from '../../shared/sending/send-ledger.js';

const documents = mockClient(DynamoDBDocumentClient);
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const now = 1_800_000_000_000;

describe('SendLedger', () => {
  let ledger: SendLedger;
  beforeEach(() => {
    documents.reset();
    ledger = new SendLedger({
      tableName: 'ledger',
      client: documents as unknown as DynamoDBDocumentClient,
      now: () => now,
    });
  });

  it('claims a new send only where no entry exists, with a lease and a TTL', async () => {
    documents.on(GetCommand).resolves({});
    documents.on(PutCommand).resolves({});
    expect(await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000)).toEqual({ kind: 'claimed', attempts: 1 });
    const put = documents.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put?.ConditionExpression).toBe('attribute_not_exists(sendKey)');
    expect(put?.Item).toMatchObject({
      sendKey: 'tenant-a#m-1',
      state: 'in_flight',
      attemptId: 'attempt-1',
      leaseUntil: now + 60_000,
    });
    expect(put?.Item?.expiresAt).toBeGreaterThan(now / 1000 + 14 * 24 * 3600);
  });

  it('loses a race cleanly: the winner’s entry decides', async () => {
    documents
      .on(GetCommand)
      .resolvesOnce({})
      .resolves({ Item: { state: 'sent', attemptId: 'other', tenantId: 'tenant-a', messageId: 'm-1' } });
    documents.on(PutCommand).rejects(conditionFailed());
    expect(await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000)).toMatchObject({ kind: 'settled' });
  });

  it('settles only the claim it holds', async () => {
    documents.on(UpdateCommand).rejects(conditionFailed());
    expect(await ledger.markSent('tenant-a', 'm-1', 'stale-attempt', 'sg-1')).toBe(false);
    const update = documents.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.ConditionExpression).toBe('#attemptId = :attemptId AND #state = :inFlight');
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':attemptId': 'stale-attempt', ':state': 'sent' });
  });

  it('keys entries by tenant so one tenant’s ids cannot reach another’s', () => {
    expect(sendKey('a#b', 'c')).not.toBe(sendKey('a', 'b#c'));
  });
});
