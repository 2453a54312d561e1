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

function localClientConfig() {
  return {
    endpoint: dynamo.endpoint,
    region: LOCAL_AWS_ENVIRONMENT.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}

/**
 * A DynamoDB client whose first claim (a PutItem) reaches the table but whose answer is lost on the
 * way back (a reset connection): the SDK's own retry sends the same write again, as in AWS.
 */
function clientLosingFirstClaimResponse(): {
  client: DynamoDBDocumentClient;
  writer: DynamoDBClient;
  sentClaims: () => number;
} {
  const base = new DynamoDBClient({ ...localClientConfig(), maxAttempts: 3 });
  let claims = 0;
  base.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'PutItemCommand') {
        claims += 1;
        if (claims === 1) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $retryable: {} });
      }
      return result;
    },
    { step: 'deserialize', name: 'loseFirstClaimResponse' },
  );
  return {
    client: DynamoDBDocumentClient.from(base, { marshallOptions: { removeUndefinedValues: true } }),
    writer: base,
    sentClaims: () => claims,
  };
}

describe('SendLedger against a DynamoDB that loses a response', () => {
  it('takes its own claim when the SDK retries a claim whose first answer was lost', async () => {
    const { client, writer, sentClaims } = clientLosingFirstClaimResponse();
    const ledger = new SendLedger({ tableName: 'ledger', client, writer });
    const claim = await ledger.claim('tenant-a', 'm-lost', 'attempt-1', 60_000);
    expect(sentClaims()).toBe(2);
    expect(claim).toMatchObject({ kind: 'claimed', entry: { attempts: 1 } });
    expect(await ledger.get('tenant-a', 'm-lost')).toMatchObject({ state: 'in_flight', attemptId: 'attempt-1' });
  });

  it('still finds another attempt’s claim busy, and a settled send a duplicate', async () => {
    const ledger = new SendLedger({ tableName: 'ledger', clientConfig: localClientConfig() });
    await ledger.claim('tenant-a', 'm-other', 'attempt-1', 60_000);
    expect(await ledger.claim('tenant-a', 'm-other', 'attempt-2', 60_000)).toMatchObject({ kind: 'busy' });
    await ledger.markSent('tenant-a', 'm-other', 'attempt-1', 'sg-1');
    expect(await ledger.claim('tenant-a', 'm-other', 'attempt-3', 60_000)).toMatchObject({
      kind: 'settled',
      entry: { state: 'sent' },
    });
  });

  it('claims a retryable send again, keeping when it was first recorded and its recipients', async () => {
    const ledger = new SendLedger({ tableName: 'ledger', clientConfig: localClientConfig() });
    await ledger.claim('tenant-a', 'm-retry', 'attempt-1', 60_000, {
      recipients: ['jane@customer.example', 'old@customer.example'],
    });
    const first = await ledger.get('tenant-a', 'm-retry');
    await ledger.release('tenant-a', 'm-retry', 'attempt-1', 'transient', 'SendGrid answered 503.');
    expect(
      await ledger.claim('tenant-a', 'm-retry', 'attempt-2', 60_000, { recipients: ['other@customer.example'] }),
    ).toMatchObject({
      kind: 'claimed',
      entry: { attempts: 2 },
    });
    expect(await ledger.get('tenant-a', 'm-retry')).toMatchObject({
      state: 'in_flight',
      status: 'sending',
      attemptId: 'attempt-2',
      attempts: 2,
      createdAt: first?.createdAt,
      recipients: [{ email: 'jane@customer.example' }, { email: 'old@customer.example' }],
    });
    // The attempt that released it no longer holds it; the new one settles it, with whom it went to.
    const screening = { recipients: ['jane@customer.example'], suppressedRecipients: ['old@customer.example'] };
    expect(await ledger.markSent('tenant-a', 'm-retry', 'attempt-1', 'sg-stale', screening)).toBe(false);
    expect(await ledger.markSent('tenant-a', 'm-retry', 'attempt-2', 'sg-2', screening)).toBe(true);
    expect(await ledger.get('tenant-a', 'm-retry')).toMatchObject({
      state: 'sent',
      recipients: [{ email: 'jane@customer.example' }],
      suppressedRecipients: ['old@customer.example'],
    });
  });
});

describe('SendLedger batch settles on dynalite', () => {
  it('settles claimed sends in one write, each as its claim left it (first time, attempts, recipients), now sent', async () => {
    const ledger = new SendLedger({ tableName: 'ledger', clientConfig: localClientConfig() });
    await ledger.claim('tenant-b', 'm-1', 'attempt-0', 60_000, { recipients: ['jane@customer.example'] });
    const first = await ledger.get('tenant-b', 'm-1');
    await ledger.release('tenant-b', 'm-1', 'attempt-0', 'transient', 'SendGrid answered 503.');
    const retried = await ledger.claim('tenant-b', 'm-1', 'attempt-1', 60_000, {
      recipients: ['jane@customer.example'],
    });
    const fresh = await ledger.claim('tenant-b', 'm-2', 'attempt-2', 60_000, {
      recipients: ['joe@customer.example', 'gone@customer.example'],
    });
    if (retried.kind !== 'claimed' || fresh.kind !== 'claimed') throw new Error('not claimed');
    await ledger.settleSent([
      { claimed: retried.entry, providerMessageId: 'sg-1' },
      {
        claimed: fresh.entry,
        providerMessageId: 'sg-2',
        screening: { recipients: ['joe@customer.example'], suppressedRecipients: ['gone@customer.example'] },
      },
    ]);
    const settledRetry = await ledger.get('tenant-b', 'm-1');
    expect(settledRetry).toMatchObject({
      state: 'sent',
      status: 'accepted',
      providerMessageId: 'sg-1',
      attemptId: 'attempt-1',
      attempts: 2,
      createdAt: first?.createdAt,
      recipients: [{ email: 'jane@customer.example' }],
    });
    expect(settledRetry).not.toHaveProperty('failureCode');
    expect(await ledger.get('tenant-b', 'm-2')).toMatchObject({
      state: 'sent',
      providerMessageId: 'sg-2',
      recipients: [{ email: 'joe@customer.example' }],
      suppressedRecipients: ['gone@customer.example'],
    });
    // A later delivery finds them settled: a duplicate, never a second send.
    expect(await ledger.claim('tenant-b', 'm-2', 'attempt-3', 60_000)).toMatchObject({ kind: 'settled' });
  });
});

describe('SendLedger writes (a client that resolves its middleware once)', () => {
  it('keeps many claims and settles in flight at once apart: each item holds its own values', async () => {
    const ledger = new SendLedger({ tableName: 'ledger', clientConfig: localClientConfig() });
    const sends = Array.from({ length: 40 }, (_, index) => ({
      tenantId: `tenant-${index % 4}`,
      messageId: `m-${index}`,
      attemptId: `attempt-${index}`,
      recipient: `person-${index}@customer.example`,
    }));
    const claims = await Promise.all(
      sends.map((send) =>
        ledger.claim(send.tenantId, send.messageId, send.attemptId, 60_000, { recipients: [send.recipient] }),
      ),
    );
    expect(claims.every((claim) => claim.kind === 'claimed')).toBe(true);
    const settled = await Promise.all(
      sends.map((send, index) =>
        index % 2 === 0
          ? ledger.markSent(send.tenantId, send.messageId, send.attemptId, `sg-${index}`)
          : ledger.markFailed(send.tenantId, send.messageId, send.attemptId, 'message_rejected', `no ${index}`),
      ),
    );
    expect(settled.every(Boolean)).toBe(true);
    for (const [index, send] of sends.entries()) {
      const entry = await ledger.get(send.tenantId, send.messageId);
      expect(entry).toMatchObject({
        tenantId: send.tenantId,
        messageId: send.messageId,
        attemptId: send.attemptId,
        recipients: [{ email: send.recipient }],
        ...(index % 2 === 0
          ? { state: 'sent', providerMessageId: `sg-${index}` }
          : { state: 'failed', failureCode: 'message_rejected', failureDetail: `no ${index}` }),
      });
    }
    // A settle by an attempt that does not hold the claim is still refused.
    expect(await ledger.markSent('tenant-0', 'm-0', 'attempt-1', 'sg-x')).toBe(false);
  });
});
