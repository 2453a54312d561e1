import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { ClassicLevel } from 'classic-level';
import dynalite from 'dynalite';
import { eventWebhookTableCreateInput } from '../shared/feedback/event-webhook-store.js';
import { healthRunTableCreateInput } from '../shared/integrations/health-runs.js';
import { integrationTableCreateInput } from '../shared/integrations/integration-table.js';
import { rateLimitTableCreateInput } from '../shared/integrations/key-check-limit.js';
import { sendLedgerTableCreateInput } from '../shared/sending/send-ledger-table.js';
import { domainTableCreateInput } from '../shared/ses-domains/domain-store.js';
import { suppressionTableCreateInput } from '../shared/suppression/suppression-table.js';

/** A running dynalite server with the service's tables in it. */
export interface LocalDynamoDb {
  endpoint: string;
  /** Table names, by the role the caller gave them. */
  tables: Record<string, string>;
  close(): Promise<void>;
}

/** The local tables' names when none are given. */
export const LOCAL_TABLE_NAMES = {
  suppressions: 'email-integrations-suppressions-local',
} as const;

/**
 * The service's tables, from the same key definitions the stack uses. The local runtime and
 * `npm run ops` open the same data folder, so they must name the tables alike: both use this.
 */
export function serviceTables(
  names: {
    integrations: string;
    sendLedger: string;
    rateLimits?: string;
    sesDomains?: string;
    healthRuns?: string;
    suppressions?: string;
    eventWebhooks?: string;
  } = {
    integrations: 'email-integrations-local',
    sendLedger: 'email-integrations-send-ledger-local',
    sesDomains: 'email-integrations-ses-domains-local',
  },
): Record<
  'integrations' | 'sendLedger' | 'rateLimits' | 'sesDomains' | 'healthRuns' | 'suppressions' | 'eventWebhooks',
  CreateTableCommandInput
> {
  return {
    eventWebhooks: eventWebhookTableCreateInput(names.eventWebhooks ?? 'email-integrations-event-webhooks-local'),
    integrations: integrationTableCreateInput(names.integrations),
    sendLedger: sendLedgerTableCreateInput(names.sendLedger),
    rateLimits: rateLimitTableCreateInput(names.rateLimits ?? 'email-integrations-rate-limits-local'),
    sesDomains: domainTableCreateInput(names.sesDomains ?? 'email-integrations-ses-domains-local'),
    healthRuns: healthRunTableCreateInput(names.healthRuns ?? 'email-integrations-health-runs-local'),
    suppressions: suppressionTableCreateInput(names.suppressions ?? LOCAL_TABLE_NAMES.suppressions),
  };
}

/** Credentials dynalite ignores but the AWS SDK insists on. */
export const LOCAL_AWS_ENVIRONMENT = {
  AWS_REGION: 'eu-central-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
} as const;

/**
 * Starts dynalite persisted under `dataDir` (LevelDB, so a restart keeps the data), or in memory
 * when there is none (the benchmark's throwaway tables), and creates each table (from the same key
 * definitions the stack uses) when it is missing.
 */
export async function startLocalDynamoDb(options: {
  dataDir: string | undefined;
  tables: Record<string, CreateTableCommandInput>;
}): Promise<LocalDynamoDb> {
  let path: string | undefined;
  if (options.dataDir !== undefined) {
    path = join(options.dataDir, 'dynamodb');
    mkdirSync(path, { recursive: true });
    await requireUnlocked(path);
  }
  const server = dynalite({ ...(path ? { path } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
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
    for (const input of Object.values(options.tables)) await ensureTable(client, input);
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    tables: Object.fromEntries(Object.entries(options.tables).map(([role, input]) => [role, input.TableName ?? role])),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

async function ensureTable(client: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: input.TableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await client.send(new CreateTableCommand(input));
  }
  // As in AWS, a new table answers "not found" until it is ACTIVE (dynalite: a moment later).
  for (let waited = 0; ; waited += 10) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: input.TableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (waited >= 10_000) throw new Error(`table ${input.TableName} did not become ACTIVE`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Thrown when another process (a running `npm start`, most likely) has the data folder open. */
export class DataFolderInUseError extends Error {
  override readonly name = 'DataFolderInUseError';
}

/**
 * LevelDB lets one process at a time open a store, and dynalite reports a second opener only by
 * crashing later; so try the lock first and say plainly who holds it.
 */
async function requireUnlocked(path: string): Promise<void> {
  const probe = new ClassicLevel(path);
  try {
    await probe.open();
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (code === 'LEVEL_LOCKED') {
      throw new DataFolderInUseError(
        `${path} is in use by another process (is \`npm start\` running on it?). Stop it, or use another DATA_DIR.`,
      );
    }
    throw error;
  } finally {
    await probe.close();
  }
}
