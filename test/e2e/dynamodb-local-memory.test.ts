import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS_ENVIRONMENT, type LocalDynamoDb, startLocalDynamoDb } from '../../local/dynamodb-local.js';

const table = {
  keys: {
    TableName: 'memory-test',
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
  },
};
const started: LocalDynamoDb[] = [];
afterAll(() => Promise.all(started.map((dynamo) => dynamo.close())));

function documentsOf(dynamo: LocalDynamoDb): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: LOCAL_AWS_ENVIRONMENT.AWS_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
}

describe('startLocalDynamoDb without a data folder (the benchmark’s throwaway tables)', () => {
  it('creates the tables in memory, each server with its own data', async () => {
    const first = await startLocalDynamoDb({ dataDir: undefined, tables: table });
    const second = await startLocalDynamoDb({ dataDir: undefined, tables: table });
    started.push(first, second);
    await documentsOf(first).send(new PutCommand({ TableName: 'memory-test', Item: { pk: 'a', value: 1 } }));
    const read = (dynamo: LocalDynamoDb) =>
      documentsOf(dynamo).send(new GetCommand({ TableName: 'memory-test', Key: { pk: 'a' }, ConsistentRead: true }));
    expect((await read(first)).Item).toEqual({ pk: 'a', value: 1 });
    expect((await read(second)).Item).toBeUndefined();
  });
});
