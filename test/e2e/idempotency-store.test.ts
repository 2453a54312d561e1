import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../local/dynamodb-local.js';
import { DynamoIdempotencyStore, IDEMPOTENCY_WINDOW_SECONDS } from '../../shared/http/idempotency-store.js';

let dynamo: LocalDynamoDb;
let documents: DynamoDBDocumentClient;
const tableName = 'idempotency-test';

beforeAll(async () => {
  dynamo = await startLocalDynamoDb({
    dataDir: mkdtempSync(join(tmpdir(), 'idempotency-store-')),
    tables: {
      keys: {
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      },
    },
  });
  documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'eu-central-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
});
afterAll(() => dynamo?.close());

function storeAt(clock: { now: Date }): DynamoIdempotencyStore {
  return new DynamoIdempotencyStore({ tableName, client: documents, now: () => clock.now });
}

const answer = { status: 201, headers: { etag: '"abc"' }, body: '{"ok":true}' };

describe('DynamoIdempotencyStore', () => {
  it('claims a new key once; a repeat is in flight until the answer is stored, then replays it', async () => {
    const store = storeAt({ now: new Date('2026-11-26T01:00:00Z') });
    expect(await store.claim('tenant-a', 'k1', 'fp')).toEqual({ kind: 'claimed' });
    expect(await store.claim('tenant-a', 'k1', 'fp')).toEqual({ kind: 'in_flight' });
    await store.complete('tenant-a', 'k1', 'fp', answer);
    expect(await store.claim('tenant-a', 'k1', 'fp')).toEqual({ kind: 'replay', answer });
  });

  it('refuses the same key with a different request', async () => {
    const store = storeAt({ now: new Date('2026-11-26T01:00:00Z') });
    await store.claim('tenant-a', 'k2', 'fp');
    await store.complete('tenant-a', 'k2', 'fp', answer);
    expect(await store.claim('tenant-a', 'k2', 'other-fp')).toEqual({ kind: 'reused' });
  });

  it('keeps keys apart per tenant', async () => {
    const store = storeAt({ now: new Date('2026-11-26T01:00:00Z') });
    await store.claim('tenant-a', 'shared-key', 'fp');
    expect(await store.claim('tenant-b', 'shared-key', 'other-fp')).toEqual({ kind: 'claimed' });
  });

  it('lets a released claim be claimed again', async () => {
    const store = storeAt({ now: new Date('2026-11-26T01:00:00Z') });
    await store.claim('tenant-a', 'k3', 'fp');
    await store.release('tenant-a', 'k3', 'fp');
    expect(await store.claim('tenant-a', 'k3', 'fp')).toEqual({ kind: 'claimed' });
  });

  it('takes over a claim abandoned past its lease, and forgets a key after 24 hours', async () => {
    const clock = { now: new Date('2026-11-26T01:00:00Z') };
    const store = storeAt(clock);
    await store.claim('tenant-a', 'k4', 'fp');
    clock.now = new Date('2026-11-26T01:02:00Z');
    expect(await store.claim('tenant-a', 'k4', 'fp')).toEqual({ kind: 'claimed' });
    await store.complete('tenant-a', 'k4', 'fp', answer);

    clock.now = new Date(clock.now.getTime() + (IDEMPOTENCY_WINDOW_SECONDS + 1) * 1000);
    expect(await store.claim('tenant-a', 'k4', 'another-fp')).toEqual({ kind: 'claimed' });
  });

  it('stores an expiry DynamoDB’s TTL removes the item by', async () => {
    const clock = { now: new Date('2026-11-26T01:00:00Z') };
    await storeAt(clock).claim('tenant-a', 'k5', 'fp');
    const { Item } = await documents.send(
      new GetCommand({ TableName: tableName, Key: { pk: 'idempotency#tenant-a#k5' } }),
    );
    expect(Item?.expiresAt).toBe(Math.floor(clock.now.getTime() / 1000) + IDEMPOTENCY_WINDOW_SECONDS);
  });
});
