import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventRecord, publisher } from '../support/sqs-records.js';

const documents = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const eventBridge = mockClient(EventBridgeClient);
const queueUrl = 'https://sqs.eu-central-1.amazonaws.com/111122223333/send';
let handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
let stdout: string[];

const detail = (tenantId: string) => ({
  tenantId,
  messageId: 'm-1',
  audience: 'customer',
  to: [{ email: 'jane@customer.example' }],
  subject: 'Hello',
  text: 'Hi',
});

beforeAll(async () => {
  vi.stubEnv('TABLE_NAME', 'integrations');
  vi.stubEnv('SEND_LEDGER_TABLE_NAME', 'ledger');
  vi.stubEnv('SUPPRESSION_TABLE_NAME', 'suppressions');
  vi.stubEnv('OUTCOME_EVENT_BUS_NAME', 'email-integrations-test');
  vi.stubEnv('SEND_QUEUE_URL', queueUrl);
  vi.stubEnv('SEND_EVENT_SOURCE', publisher.source);
  vi.stubEnv('SEND_EVENT_ACCOUNT', publisher.account);
  vi.stubEnv('KMS_KEY_ID', 'arn:aws:kms:eu-central-1:111122223333:key/test');
  vi.stubEnv('AWS_REGION', 'eu-central-1');
  ({ handler } = await import('../../functions/send-email.js'));
});
afterAll(() => vi.unstubAllEnvs());

beforeEach(() => {
  documents.reset();
  sqs.reset();
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  stdout = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
  return () => vi.restoreAllMocks();
});

describe('functions/send-email handler', () => {
  it('fails a send for a tenant without integration for good, and publishes its metric', async () => {
    documents.on(GetCommand).resolves({});
    documents.on(PutCommand).resolves({});
    const answer = await handler({ Records: [eventRecord('e-1', detail('tenant-without'))] });
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(documents.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      state: 'failed',
      failureCode: 'no_integration',
    });
    expect(stdout.join('')).toContain('EmailsNoIntegration');
  });

  it('announces a permanent failure on the service bus as Email Send Failed, without the recipient', async () => {
    documents.on(GetCommand).resolves({});
    documents.on(PutCommand).resolves({});
    await handler({ Records: [eventRecord('e-4', detail('tenant-without'))] });
    const entries = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries.map((entry) => [entry.EventBusName, entry.Source, entry.DetailType])).toEqual([
      ['email-integrations-test', 'email-integrations', 'Email Send Failed'],
    ]);
    expect(JSON.parse(entries[0]?.Detail ?? '{}')).toMatchObject({
      tenantId: 'tenant-without',
      code: 'no_integration',
    });
    expect(entries[0]?.Detail).not.toContain('jane@customer.example');
  });

  it('hands a record back to SQS with a delay when DynamoDB is unavailable', async () => {
    documents.on(GetCommand).rejects(new Error('ServiceUnavailable'));
    const answer = await handler({ Records: [eventRecord('e-2', detail('tenant-a'), { receiveCount: 1 })] });
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'sqs-e-2' }] });
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input).toMatchObject({
      QueueUrl: queueUrl,
      ReceiptHandle: 'handle-e-2',
    });
  });

  it('refuses for good an event from another account, recording nothing under its tenant', async () => {
    documents.on(GetCommand).resolves({});
    const answer = await handler({
      Records: [eventRecord('e-3', detail('tenant-a'), { account: '999999999999' })],
    });
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(documents.calls()).toHaveLength(0);
    expect(stdout.join('')).toContain('EmailsUntrustedEvent');
  });
});
