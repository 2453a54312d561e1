import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NeutralFeedback } from '../../shared/feedback/provider-feedback.js';
import type { SendLedgerEntry } from '../../shared/sending/send-ledger.js';

const documents = mockClient(DynamoDBDocumentClient);
const eventBridge = mockClient(EventBridgeClient);
const LEDGER = 'ledger';
const SUPPRESSIONS = 'suppressions';
let handler: (event: SQSEvent) => Promise<SQSBatchResponse>;

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/**
 * The two tables as DynamoDB keeps them, behind the mocked client: the message's ledger item
 * (read, the applier's conditional write on its feedback version, the settling REMOVE of done
 * consequences) and the tenant's suppression list (conditional puts). Fault counters make the
 * next calls fail as an unreachable DynamoDB would.
 */
class Tables {
  item: Record<string, unknown>;
  suppressed = new Map<string, Record<string, unknown>>();
  suppressionPuts = 0;
  failSuppressionPuts = 0;

  constructor(message: SendLedgerEntry) {
    this.item = { ...message };
    documents.on(GetCommand).callsFake((input: { TableName: string }) => {
      expect(input.TableName).toBe(LEDGER);
      return { Item: structuredClone(this.item) };
    });
    documents.on(UpdateCommand).callsFake((input) => this.update(input));
    documents.on(PutCommand).callsFake((input: { TableName: string; Item: Record<string, unknown> }) => {
      expect(input.TableName).toBe(SUPPRESSIONS);
      this.suppressionPuts += 1;
      if (this.failSuppressionPuts > 0) {
        this.failSuppressionPuts -= 1;
        throw new Error('suppression table unreachable');
      }
      const key = `${input.Item.tenantId}#${input.Item.email}`;
      if (this.suppressed.has(key)) throw conditionFailed();
      this.suppressed.set(key, input.Item);
      return {};
    });
  }

  private update(input: {
    TableName: string;
    UpdateExpression: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  }) {
    expect(input.TableName).toBe(LEDGER);
    const item = this.item;
    const names = input.ExpressionAttributeNames;
    const values = input.ExpressionAttributeValues ?? {};
    if (input.UpdateExpression.startsWith('REMOVE #pending.')) {
      const pending = item.pendingConsequences as Record<string, unknown> | undefined;
      if (!pending) throw conditionFailed();
      for (const [placeholder, id] of Object.entries(names)) if (placeholder.startsWith('#c')) delete pending[id];
      return {};
    }
    // The applier's write: conditional on the feedback version it read.
    if (values[':version'] !== item.feedbackVersion) throw conditionFailed();
    Object.assign(item, {
      status: values[':status'],
      recipients: values[':recipients'],
      timeline: values[':timeline'],
      feedbackEventIds: values[':eventIds'],
      feedbackVersion: values[':next'],
      updatedAt: values[':updatedAt'],
      ...(values[':pending'] === undefined ? {} : { pendingConsequences: structuredClone(values[':pending']) }),
      ...(values[':bounceType'] === undefined ? {} : { bounceType: values[':bounceType'] }),
    });
    return {};
  }
}

/** EventBridge as the publisher meets it: every call refused while `down`, accepted otherwise. */
function bus() {
  const state = { down: false, published: [] as Array<{ detailType?: string; detail: Record<string, unknown> }> };
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries: Array<{ DetailType?: string; Detail?: string }> }) => {
    if (state.down) throw new Error('EventBridge unreachable');
    for (const entry of input.Entries) {
      state.published.push({ detailType: entry.DetailType, detail: JSON.parse(entry.Detail ?? '{}') });
    }
    return { FailedEntryCount: 0, Entries: input.Entries.map((_entry, index) => ({ EventId: `e-${index}` })) };
  });
  return state;
}

const sentMessage = (): SendLedgerEntry => ({
  sendKey: 'tenant-a#m-1',
  tenantId: 'tenant-a',
  messageId: 'm-1',
  state: 'sent',
  status: 'accepted',
  createdAt: '2026-11-26T10:00:00.000Z',
  attemptId: 'attempt-1',
  attempts: 1,
  leaseUntil: 0,
  updatedAt: '2026-11-26T10:00:00.000Z',
  expiresAt: 0,
  recipients: [{ email: 'bounce@customer.example' }],
});

const bounce: NeutralFeedback = {
  messageId: 'm-1',
  claimedTenantId: 'tenant-a',
  eventId: 'sg-event-1',
  kind: 'bounced',
  bounceType: 'hard',
  reason: '550 user unknown',
  providerEventType: 'bounce',
  at: '2026-11-26T10:00:05.000Z',
  recipient: 'bounce@customer.example',
};

/** The feedback queue's record of one batch: the same record each time SQS delivers it. */
const record: SQSRecord = {
  messageId: 'sqs-1',
  receiptHandle: 'r',
  body: JSON.stringify({ provider: 'sendgrid', tenantId: 'tenant-a', events: [bounce] }),
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '0',
    SenderId: 'x',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:eu-central-1:111122223333:feedback',
  awsRegion: 'eu-central-1',
};

const deliver = () => handler({ Records: [record] });
const deliveryUpdates = (state: ReturnType<typeof bus>) =>
  state.published.filter((event) => event.detailType === 'Email Delivery Updated');

beforeAll(async () => {
  vi.stubEnv('SEND_LEDGER_TABLE_NAME', LEDGER);
  vi.stubEnv('SUPPRESSION_TABLE_NAME', SUPPRESSIONS);
  vi.stubEnv('OUTCOME_EVENT_BUS_NAME', 'email-integrations-test');
  vi.stubEnv('AWS_REGION', 'eu-central-1');
  ({ handler } = await import('../../functions/apply-feedback.js'));
});
afterAll(() => vi.unstubAllEnvs());

beforeEach(() => {
  documents.reset();
  eventBridge.reset();
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  return () => vi.restoreAllMocks();
});

describe('functions/apply-feedback: consequences after the ledger write', () => {
  it('records the bounce with its consequences in one write, and clears them once they ran', async () => {
    const tables = new Tables(sentMessage());
    const state = bus();

    expect(await deliver()).toEqual({ batchItemFailures: [] });

    expect(documents.commandCalls(UpdateCommand)[0]?.args[0].input.UpdateExpression).toContain('#pending = :pending');
    expect(tables.item).toMatchObject({ status: 'bounced', pendingConsequences: {} });
    expect([...tables.suppressed.keys()]).toEqual(['tenant-a#bounce@customer.example']);
    expect(deliveryUpdates(state).map((event) => event.detail.status)).toEqual(['bounced']);
  });

  it('retries an announcement EventBridge refused: the record comes back, and its redelivery publishes it once', async () => {
    const tables = new Tables(sentMessage());
    const state = bus();
    state.down = true;

    // First delivery: the ledger holds the bounce, the announcement could not be published.
    expect(await deliver()).toEqual({ batchItemFailures: [{ itemIdentifier: 'sqs-1' }] });
    expect(tables.item).toMatchObject({ status: 'bounced' });
    expect(Object.values(tables.item.pendingConsequences as object)).toEqual([
      expect.objectContaining({ kind: 'delivery_updated', status: 'bounced' }),
    ]);
    expect(deliveryUpdates(state)).toEqual([]);
    // The suppression did run, and is not left pending.
    expect(tables.suppressed.size).toBe(1);

    // Redelivery: the event is a duplicate for the ledger, and the pending announcement runs.
    state.down = false;
    expect(await deliver()).toEqual({ batchItemFailures: [] });
    expect(deliveryUpdates(state)).toEqual([
      {
        detailType: 'Email Delivery Updated',
        detail: expect.objectContaining({
          tenantId: 'tenant-a',
          messageId: 'm-1',
          status: 'bounced',
          reason: '550 user unknown',
          occurredAt: bounce.at,
        }),
      },
    ]);
    expect(tables.item.pendingConsequences).toEqual({});
    expect(tables.item.feedbackVersion).toBe(1);

    // A further redelivery (a lost acknowledgement) finds nothing left to do.
    expect(await deliver()).toEqual({ batchItemFailures: [] });
    expect(deliveryUpdates(state)).toHaveLength(1);
    expect(tables.suppressionPuts).toBe(1);
  });

  it('suppresses the address after redelivery when the suppression write failed', async () => {
    const tables = new Tables(sentMessage());
    const state = bus();
    tables.failSuppressionPuts = 1;

    expect(await deliver()).toEqual({ batchItemFailures: [{ itemIdentifier: 'sqs-1' }] });
    expect(tables.suppressed.size).toBe(0);
    expect(Object.values(tables.item.pendingConsequences as object)).toEqual([
      expect.objectContaining({ kind: 'suppress', recipient: 'bounce@customer.example', reason: 'hard_bounce' }),
    ]);

    expect(await deliver()).toEqual({ batchItemFailures: [] });
    expect([...tables.suppressed.values()]).toEqual([
      expect.objectContaining({
        tenantId: 'tenant-a',
        email: 'bounce@customer.example',
        reason: 'hard_bounce',
        messageId: 'm-1',
      }),
    ]);
    expect(tables.item.pendingConsequences).toEqual({});
    // The announcement ran once, on the first delivery; the retry did not repeat it.
    expect(deliveryUpdates(state)).toHaveLength(1);
    expect(tables.suppressionPuts).toBe(2);
  });

  it('keeps a consequence that failed on every delivery on the message, so a later batch for it still runs it', async () => {
    const tables = new Tables(sentMessage());
    const state = bus();
    state.down = true;
    await deliver();
    await deliver();
    expect(deliveryUpdates(state)).toEqual([]);

    state.down = false;
    const later: SQSRecord = {
      ...record,
      messageId: 'sqs-2',
      body: JSON.stringify({
        provider: 'sendgrid',
        tenantId: 'tenant-a',
        events: [{ ...bounce, eventId: 'sg-event-2', kind: 'processed', providerEventType: 'processed' }],
      }),
    };
    expect(await handler({ Records: [later] })).toEqual({ batchItemFailures: [] });
    expect(deliveryUpdates(state).map((event) => event.detail.status)).toEqual(['bounced']);
    expect(tables.item.pendingConsequences).toEqual({});
  });
});
