import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { integrationTableCreateInput } from '../shared/integrations/integration-table.js';

/** A running dynalite server with the integration table in it. */
export interface LocalDynamoDb {
  endpoint: string;
  tableName: string;
  close(): Promise<void>;
}

/** Credentials dynalite ignores but the AWS SDK insists on. */
export const LOCAL_AWS_ENVIRONMENT = {
  AWS_REGION: 'eu-central-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
} as const;

/**
 * Starts dynalite persisted under `dataDir` (LevelDB, so a restart keeps the data) and
 * creates the integration table from the stack's own key definition when it is missing.
 */
export async function startLocalDynamoDb(options: { dataDir: string; tableName: string }): Promise<LocalDynamoDb> {
  const path = join(options.dataDir, 'dynamodb');
  mkdirSync(path, { recursive: true });
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_AWS_ENVIRONMENT.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await client.send(new DescribeTableCommand({ TableName: options.tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(new CreateTableCommand(integrationTableCreateInput(options.tableName)));
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    tableName: options.tableName,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
