import {
  type AttributeValue,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { UpstreamUnavailableError } from '../../shared/problem-catalog.js';
import { SendLedger, sendKey } from '../../shared/sending/send-ledger.js';

const documents = mockClient(DynamoDBDocumentClient);
/** The claim and settle writes go through a low-level client (cached middleware), in DynamoDB's wire format. */
const writes = mockClient(DynamoDBClient);
/** The n-th update as plain values, as a reader of the table would see them. */
function updateInput(n = 0) {
  const input = writes.commandCalls(UpdateItemCommand)[n]?.args[0].input as UpdateItemCommandInput;
  return {
    ...input,
    Key: unmarshall(input.Key ?? {}),
    ExpressionAttributeValues: unmarshall(input.ExpressionAttributeValues ?? {}),
  };
}
/** The n-th put (a first claim) as plain values. */
function putInput(n = 0) {
  const input = writes.commandCalls(PutItemCommand)[n]?.args[0].input as PutItemCommandInput;
  return { ...input, Item: unmarshall(input.Item ?? {}) };
}
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
/** A refused write that returns the refusing entry, in DynamoDB's wire format, as DynamoDB does. */
const refusedBy = (Item: Record<string, AttributeValue>) =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item });
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

  it('claims a message’s first attempt with one conditional put: only where nothing is yet', async () => {
    writes.on(PutItemCommand).resolves({});
    expect(await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000)).toMatchObject({
      kind: 'claimed',
      entry: { attempts: 1 },
    });
    const put = putInput();
    expect(put.ConditionExpression).toBe('attribute_not_exists(sendKey)');
    expect(put.Item).toMatchObject({
      sendKey: 'tenant-a#m-1',
      tenantId: 'tenant-a',
      messageId: 'm-1',
      state: 'in_flight',
      status: 'sending',
      attemptId: 'attempt-1',
      attempts: 1,
      leaseUntil: now + 60_000,
      createdAt: new Date(now).toISOString(),
    });
    expect(Number(put.Item.expiresAt)).toBeGreaterThan(now / 1000 + 14 * 24 * 3600);
    expect(writes.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(documents.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('records the recipients with the message’s first claim', async () => {
    writes.on(PutItemCommand).resolves({});
    await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000, {
      recipients: ['jane@customer.example', 'cc@customer.example'],
    });
    expect(putInput().Item).toMatchObject({
      recipients: [{ email: 'jane@customer.example' }, { email: 'cc@customer.example' }],
    });
    expect(putInput().Item).not.toHaveProperty('suppressedRecipients');
  });

  it('settles a send the tenant’s list screened with the recipients it went to and those held back', async () => {
    writes.on(UpdateItemCommand).resolves({});
    await ledger.markSent('tenant-a', 'm-1', 'attempt-1', 'sg-1', {
      recipients: ['jane@customer.example'],
      suppressedRecipients: ['gone@customer.example'],
    });
    expect(updateInput().ExpressionAttributeValues).toMatchObject({
      ':state': 'sent',
      ':recipients': [{ email: 'jane@customer.example' }],
      ':suppressedRecipients': ['gone@customer.example'],
    });
    // Nothing held back: the recipients the claim recorded stand, and the write stays small.
    await ledger.markSent('tenant-a', 'm-2', 'attempt-2', 'sg-2', {
      recipients: ['jane@customer.example'],
      suppressedRecipients: [],
    });
    expect(updateInput(1).UpdateExpression).not.toContain('recipients');
  });

  it('settles a claimed send whose every addressee is suppressed as suppressed, only by the claim’s holder', async () => {
    writes.on(UpdateItemCommand).resolves({});
    expect(await ledger.markSuppressed('tenant-a', 'm-1', 'attempt-1', ['gone@customer.example'])).toBe(true);
    const update = updateInput();
    expect(update.ConditionExpression).toBe('#attemptId = :attemptId AND #state = :inFlight');
    expect(update.ExpressionAttributeValues).toMatchObject({
      ':state': 'failed',
      ':status': 'suppressed',
      ':recipients': [],
      ':suppressedRecipients': ['gone@customer.example'],
    });
  });

  it('claims a retryable send again with a conditional update that keeps its first time and recipients', async () => {
    writes.on(PutItemCommand).rejects(refusedBy({ state: { S: 'retryable' }, attemptId: { S: 'attempt-0' } }));
    writes.on(UpdateItemCommand).resolves({ Attributes: { attempts: { N: '2' } } });
    expect(
      await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000, { recipients: ['jane@customer.example'] }),
    ).toMatchObject({ kind: 'claimed', entry: { attempts: 2 } });
    const update = updateInput();
    expect(update.ConditionExpression).toBe('#state = :retryable');
    expect(update.UpdateExpression).toContain('#recipients = if_not_exists(#recipients, :recipients)');
    expect(update.UpdateExpression).toContain('#createdAt = if_not_exists(#createdAt, :createdAt)');
    expect(update.UpdateExpression).toContain('ADD #attempts :one');
    expect(update.ExpressionAttributeValues).toMatchObject({
      ':state': 'in_flight',
      ':attemptId': 'attempt-1',
      ':leaseUntil': now + 60_000,
      ':recipients': [{ email: 'jane@customer.example' }],
    });
    expect(documents.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('loses a race cleanly: the entry that won decides', async () => {
    writes.on(PutItemCommand).rejects(conditionFailed());
    documents
      .on(GetCommand)
      .resolves({ Item: { state: 'sent', attemptId: 'other', tenantId: 'tenant-a', messageId: 'm-1' } });
    expect(await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000)).toMatchObject({ kind: 'settled' });
    documents.on(GetCommand).resolves({ Item: { state: 'in_flight', leaseUntil: now + 1, attemptId: 'other' } });
    expect(await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000)).toMatchObject({ kind: 'busy' });
    documents.on(GetCommand).resolves({ Item: { state: 'in_flight', leaseUntil: now - 1, attemptId: 'other' } });
    expect(await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000)).toMatchObject({ kind: 'abandoned' });
  });

  it('loses a race for a retryable send to the attempt that reclaimed it first', async () => {
    writes.on(PutItemCommand).rejects(refusedBy({ state: { S: 'retryable' }, attemptId: { S: 'attempt-0' } }));
    writes
      .on(UpdateItemCommand)
      .rejects(
        refusedBy({ state: { S: 'in_flight' }, attemptId: { S: 'other' }, leaseUntil: { N: String(now + 60_000) } }),
      );
    expect(await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000)).toMatchObject({
      kind: 'busy',
      entry: { attemptId: 'other' },
    });
  });

  it('reads the refusing entry from the refused write itself: a duplicate costs one call', async () => {
    writes.on(PutItemCommand).rejects(
      refusedBy({
        state: { S: 'sent' },
        attemptId: { S: 'other' },
        attempts: { N: '1' },
        tenantId: { S: 'tenant-a' },
      }),
    );
    expect(await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000)).toMatchObject({
      kind: 'settled',
      entry: { state: 'sent', attempts: 1 },
    });
    expect(putInput().ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    expect(writes.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(documents.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('counts a claim refused by its own attempt (a retried write whose answer was lost) as claimed', async () => {
    writes.on(PutItemCommand).rejects(
      refusedBy({
        state: { S: 'in_flight' },
        attemptId: { S: 'attempt-1' },
        attempts: { N: '3' },
        leaseUntil: { N: String(now + 60_000) },
        recipients: { L: [{ M: { email: { S: 'jane@customer.example' } } }] },
      }),
    );
    // The entry comes back whole (lists too): a batch settle writes it over as it is.
    expect(await ledger.claim('tenant-a', 'm-1', 'attempt-1', 60_000)).toMatchObject({
      kind: 'claimed',
      entry: { attempts: 3, attemptId: 'attempt-1', recipients: [{ email: 'jane@customer.example' }] },
    });
  });

  it('settles only the claim it holds', async () => {
    writes.on(UpdateItemCommand).rejects(conditionFailed());
    expect(await ledger.markSent('tenant-a', 'm-1', 'stale-attempt', 'sg-1')).toBe(false);
    const update = updateInput();
    expect(update?.ConditionExpression).toBe('#attemptId = :attemptId AND #state = :inFlight');
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':attemptId': 'stale-attempt', ':state': 'sent' });
  });

  it('settles a batch’s sent messages in one BatchWriteItem: each entry as its claim left it, now sent', async () => {
    writes.on(BatchWriteItemCommand).resolves({});
    const claimed = {
      sendKey: sendKey('tenant-a', 'm-1'),
      tenantId: 'tenant-a',
      messageId: 'm-1',
      state: 'in_flight' as const,
      status: 'sending' as const,
      createdAt: '2026-11-26T00:00:00.000Z',
      recipients: [{ email: 'jane@customer.example' }, { email: 'gone@customer.example' }],
      attemptId: 'attempt-2',
      attempts: 2,
      leaseUntil: now + 60_000,
      updatedAt: '2026-11-26T00:00:00.000Z',
      failureCode: 'transient' as const,
      failureDetail: 'SendGrid answered 503.',
      expiresAt: 1_900_000_000,
    };
    await ledger.settleSent([
      {
        claimed,
        providerMessageId: 'sg-1',
        screening: { recipients: ['jane@customer.example'], suppressedRecipients: ['gone@customer.example'] },
      },
      { claimed: { ...claimed, sendKey: sendKey('tenant-a', 'm-2'), messageId: 'm-2' }, providerMessageId: 'sg-2' },
    ]);
    const calls = writes.commandCalls(BatchWriteItemCommand);
    expect(calls).toHaveLength(1);
    const items = (calls[0]?.args[0].input.RequestItems?.ledger ?? []).map((request) =>
      unmarshall(request.PutRequest?.Item ?? {}),
    );
    expect(items).toHaveLength(2);
    expect(items[0]).toEqual({
      ...claimed,
      failureCode: undefined,
      failureDetail: undefined,
      state: 'sent',
      status: 'accepted',
      providerMessageId: 'sg-1',
      updatedAt: new Date(now).toISOString(),
      recipients: [{ email: 'jane@customer.example' }],
      suppressedRecipients: ['gone@customer.example'],
    });
    expect(items[1]).toMatchObject({ messageId: 'm-2', state: 'sent', recipients: claimed.recipients });
    expect(items[1]).not.toHaveProperty('failureCode');
  });

  it('writes the items DynamoDB left unprocessed again, and fails when some still are', async () => {
    const claimed = { sendKey: 'k', tenantId: 'tenant-a', messageId: 'm-1', state: 'in_flight', attemptId: 'a' };
    const left = { ledger: [{ PutRequest: { Item: { sendKey: { S: 'k' } } } }] };
    writes.on(BatchWriteItemCommand).resolvesOnce({ UnprocessedItems: left }).resolves({});
    await ledger.settleSent([{ claimed: claimed as never, providerMessageId: 'sg-1' }]);
    expect(writes.commandCalls(BatchWriteItemCommand)).toHaveLength(2);
    writes.reset();
    writes.on(BatchWriteItemCommand).resolves({ UnprocessedItems: left });
    await expect(ledger.settleSent([{ claimed: claimed as never, providerMessageId: 'sg-1' }])).rejects.toThrow(
      UpstreamUnavailableError,
    );
  });

  it('keys entries by tenant so one tenant’s ids cannot reach another’s', () => {
    expect(sendKey('a#b', 'c')).not.toBe(sendKey('a', 'b#c'));
  });
});
