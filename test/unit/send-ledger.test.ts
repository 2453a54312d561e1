import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { SendLedger, sendKey } from '../../shared/sending/send-ledger.js';

const documents = mockClient(DynamoDBDocumentClient);
/** The claim and settle writes go through a low-level client (cached middleware), in DynamoDB's wire format. */
const writes = mockClient(DynamoDBClient);
/** The n-th write as plain values, as a reader of the table would see them. */
function writeInput(n = 0) {
  const input = writes.commandCalls(UpdateItemCommand)[n]?.args[0].input as UpdateItemCommandInput;
  return {
    ...input,
    Key: unmarshall(input.Key ?? {}),
    ExpressionAttributeValues: unmarshall(input.ExpressionAttributeValues ?? {}),
  };
}
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const now = 1_800_000_000_000;

describe('SendLedger', () => {
  let ledger: SendLedger;
  beforeEach(() => {
    documents.reset();
    writes.reset();
    ledger = new SendLedger({
      tableName: 'ledger',
      client: documents as unknown as DynamoDBDocumentClient,
      writer: writes as unknown as DynamoDBClient,
      now: () => now,
    });
  });

  it('claims a send with one conditional write: only where nothing or a retryable entry is', async () => {
    writes.on(UpdateItemCommand).resolves({ Attributes: { attempts: { N: '2' } } });
    expect(await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000)).toEqual({ kind: 'claimed', attempts: 2 });
    const update = writeInput();
    expect(update?.ConditionExpression).toBe('attribute_not_exists(sendKey) OR #state = :retryable');
    expect(update?.Key).toEqual({ sendKey: 'tenant-a#m-1' });
    expect(update?.ExpressionAttributeValues).toMatchObject({
      ':inFlight': 'in_flight',
      ':attemptId': 'attempt-1',
      ':leaseUntil': now + 60_000,
    });
    expect(Number(update?.ExpressionAttributeValues?.[':expiresAt'])).toBeGreaterThan(now / 1000 + 14 * 24 * 3600);
    expect(documents.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('keeps the recipients with the message from its first claim, never replacing them on a retry', async () => {
    writes.on(UpdateItemCommand).resolves({ Attributes: { attempts: { N: '1' } } });
    await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000, {
      recipients: ['jane@customer.example', 'cc@customer.example'],
    });
    const update = writeInput();
    expect(update?.UpdateExpression).toContain('#recipients = if_not_exists(#recipients, :recipients)');
    expect(update?.ExpressionAttributeValues?.[':recipients']).toEqual([
      { email: 'jane@customer.example' },
      { email: 'cc@customer.example' },
    ]);
  });

  it('loses a race cleanly: the entry that won decides', async () => {
    writes.on(UpdateItemCommand).rejects(conditionFailed());
    documents
      .on(GetCommand)
      .resolves({ Item: { state: 'sent', attemptId: 'other', tenantId: 'tenant-a', messageId: 'm-1' } });
    expect(await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000)).toMatchObject({ kind: 'settled' });
    documents.on(GetCommand).resolves({ Item: { state: 'in_flight', leaseUntil: now + 1, attemptId: 'other' } });
    expect(await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000)).toMatchObject({ kind: 'busy' });
    documents.on(GetCommand).resolves({ Item: { state: 'in_flight', leaseUntil: now - 1, attemptId: 'other' } });
    expect(await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000)).toMatchObject({ kind: 'abandoned' });
  });

  it('reads the refusing entry from the refused write itself: a duplicate costs one call', async () => {
    writes.on(UpdateItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: { state: { S: 'sent' }, attemptId: { S: 'other' }, attempts: { N: '1' }, tenantId: { S: 'tenant-a' } },
      }),
    );
    expect(await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000)).toMatchObject({
      kind: 'settled',
      entry: { state: 'sent', attempts: 1 },
    });
    expect(writeInput().ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    expect(documents.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('counts a claim refused by its own attempt (a retried write whose answer was lost) as claimed', async () => {
    writes.on(UpdateItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: {
          state: { S: 'in_flight' },
          attemptId: { S: 'attempt-1' },
          attempts: { N: '3' },
          leaseUntil: { N: String(now + 60_000) },
        },
      }),
    );
    expect(await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000)).toEqual({ kind: 'claimed', attempts: 3 });
  });

  it('settles only the claim it holds', async () => {
    writes.on(UpdateItemCommand).rejects(conditionFailed());
    expect(await ledger.markSent('tenant-a', 'm-1', 'stale-attempt', 'sg-1')).toBe(false);
    const update = writeInput();
    expect(update?.ConditionExpression).toBe('#attemptId = :attemptId AND #state = :inFlight');
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':attemptId': 'stale-attempt', ':state': 'sent' });
  });

  it('keys entries by tenant so one tenant’s ids cannot reach another’s', () => {
    expect(sendKey('a#b', 'c')).not.toBe(sendKey('a', 'b#c'));
  });
});
