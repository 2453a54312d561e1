import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS_ENVIRONMENT, type LocalDynamoDb, startLocalDynamoDb } from '../../local/dynamodb-local.js';
import { SendLedger } from '../../shared/sending/send-ledger.js';
import { sendLedgerTableCreateInput } from '../../shared/sending/send-ledger-table.js';

let dynamo: LocalDynamoDb;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ledger-lost-response-'));
  dynamo = await startLocalDynamoDb({ dataDir, tables: { sendLedger: sendLedgerTableCreateInput('ledger') } });
});
afterAll(async () => {
  await dynamo.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * A DynamoDB client whose first UpdateItem reaches the table but whose answer is lost on the way
 * back (a reset connection): the SDK's own retry sends the same write again, as in AWS.
 */
function clientLosingFirstUpdateResponse(): {
  client: DynamoDBDocumentClient;
  writer: DynamoDBClient;
  sentUpdates: () => number;
} {
  const base = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: LOCAL_AWS_ENVIRONMENT.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
  let updates = 0;
  base.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'UpdateItemCommand') {
        updates += 1;
        if (updates === 1) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $retryable: {} });
      }
      return result;
    },
    { step: 'deserialize', name: 'loseFirstUpdateResponse' },
  );
  return {
    client: DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } }),
    writer: base,
    sentUpdates: () => updates,
  };
}

describe('SendLedger against a DynamoDB that loses a response', () => {
  it('takes its own claim when the SDK retries a claim whose first answer was lost', async () => {
    const { client, writer, sentUpdates } = clientLosingFirstUpdateResponse();
    const ledger = new SendLedger({ tableName: 'ledger', client, writer });
    const claim = await ledger.claim('tenant-a', 'm-lost', 'attempt-1', 60_000);
    expect(sentUpdates()).toBe(2);
    expect(claim).toEqual({ kind: 'claimed', attempts: 1 });
    expect(await ledger.get('tenant-a', 'm-lost')).toMatchObject({ state: 'in_flight', attemptId: 'attempt-1' });
  });

  it('still finds another attempt’s claim busy, and a settled send a duplicate', async () => {
    const ledger = new SendLedger({
      tableName: 'ledger',
      clientConfig: {
        endpoint: dynamo.endpoint,
        region: LOCAL_AWS_ENVIRONMENT.AWS_REGION,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      },
    });
    await ledger.claim('tenant-a', 'm-other', 'attempt-1', 60_000);
    expect(await ledger.claim('tenant-a', 'm-other', 'attempt-2', 60_000)).toMatchObject({ kind: 'busy' });
    await ledger.markSent('tenant-a', 'm-other', 'attempt-1', 'sg-1');
    expect(await ledger.claim('tenant-a', 'm-other', 'attempt-3', 60_000)).toMatchObject({
      kind: 'settled',
      entry: { state: 'sent' },
    });
  });
});
