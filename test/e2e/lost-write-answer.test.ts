import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../local/dynamodb-local.js';
import { EnvelopeCipher } from '../../shared/crypto/envelope.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import { IntegrationRepository } from '../../shared/integrations/integration-repository.js';
import { integrationTableCreateInput } from '../../shared/integrations/integration-table.js';
import {
  deleteIntegration,
  rotateKey,
  saveIntegration,
  updateSenders,
} from '../../shared/integrations/integration-use-cases.js';
import type { CredentialProvider, ProviderVerification } from '../../shared/providers/email-provider.js';
import { CountingKeyChecks } from '../support/counting-key-checks.js';

const firstKey = `SG.${'a'.repeat(22)}.${'1'.repeat(43)}`;
const secondKey = `SG.${'b'.repeat(22)}.${'2'.repeat(43)}`;
const writes = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);

/** A provider that accepts every key at acme.example. */
const provider: CredentialProvider = {
  name: 'sendgrid',
  async verify({ apiKey }): Promise<ProviderVerification> {
    return {
      provider: 'sendgrid',
      region: 'global',
      keyId: apiKey.slice(3, 25),
      scopes: { granted: [], required: [], ignored: [] },
      domains: [{ domain: 'acme.example', valid: true }],
      senders: [],
    };
  },
  async senderDomains() {
    return [{ domain: 'acme.example', valid: true }];
  },
  async send(): Promise<never> {
    throw new Error('nothing is sent in these tests');
  },
};

let dynamoDb: LocalDynamoDb;
let client: DynamoDBClient;
let lossesLeft = 0;
const attempts: string[] = [];

/**
 * A real DynamoDB client against dynalite, with the SDK's own retries, whose network loses the
 * answer to the next write after it reached the table: the write lands, the SDK sees a reset
 * connection and sends the same request again. dynalite does not implement
 * `ReturnValuesOnConditionCheckFailure`, so the refusal of the retry gets the stored item
 * attached here, exactly as DynamoDB returns it (read from the same table, in wire form).
 */
function lossyClient(endpoint: string): DynamoDBClient {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const lossy = new DynamoDBClient({ endpoint, region: 'eu-central-1', credentials, maxAttempts: 3 });
  const reader = new DynamoDBClient({ endpoint, region: 'eu-central-1', credentials });
  lossy.middlewareStack.addRelativeTo(
    ((next: (args: { input: unknown }) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: { input: unknown }) => {
        if (!writes.has(String(context.commandName))) return next(args);
        attempts.push(String(context.commandName));
        try {
          const output = await next(args);
          if (lossesLeft > 0) {
            lossesLeft -= 1;
            throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: {} });
          }
          return output;
        } catch (error) {
          const input = args.input as {
            TableName?: string;
            Key?: Record<string, AttributeValue>;
            Item?: Record<string, AttributeValue>;
            ReturnValuesOnConditionCheckFailure?: string;
          };
          if (
            error instanceof ConditionalCheckFailedException &&
            input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD'
          ) {
            const key = input.Key ?? {
              tenantId: input.Item?.tenantId ?? { S: '' },
              channel: input.Item?.channel ?? { S: '' },
            };
            const { Item } = await reader.send(new GetItemCommand({ TableName: input.TableName, Key: key }));
            if (Item) error.Item = Item;
          }
          throw error;
        }
      }) as unknown as Parameters<typeof lossy.middlewareStack.addRelativeTo>[0],
    { relation: 'before', toMiddleware: 'deserializerMiddleware', name: 'loseNextWriteAnswer' },
  );
  return lossy;
}

beforeAll(async () => {
  dynamoDb = await startLocalDynamoDb({
    dataDir: mkdtempSync(join(tmpdir(), 'email-integrations-lossy-')),
    tables: { integrations: integrationTableCreateInput('integrations') },
  });
  client = lossyClient(dynamoDb.endpoint);
});
afterAll(async () => {
  client?.destroy();
  await dynamoDb?.close();
});

describe('writes whose answer was lost', () => {
  const deps = () => ({
    provider,
    providers: { sendgrid: provider, ses: provider },
    keyChecks: new CountingKeyChecks(),
    cipher: new EnvelopeCipher(new LocalKeyring(randomBytes(32))),
    repository: new IntegrationRepository({
      tableName: 'integrations',
      client: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    }),
  });

  it('save, rotate, edit and delete succeed when their own write already landed, never 409', async () => {
    const use = deps();
    attempts.length = 0;

    lossesLeft = 1;
    const saved = await saveIntegration(use, 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example'] });
    lossesLeft = 1;
    const replaced = await saveIntegration(use, 'tenant-a', { apiKey: secondKey, emails: ['info@acme.example'] });
    lossesLeft = 1;
    const rotated = await rotateKey(use, 'tenant-a', { apiKey: firstKey });
    lossesLeft = 1;
    const edited = await updateSenders(use, 'tenant-a', { emails: ['sales@acme.example'] });

    expect(saved).toMatchObject({ created: true, card: { keyVersion: 1 } });
    expect(replaced).toMatchObject({ created: false, card: { keyVersion: 2 } });
    expect(rotated).toMatchObject({ keyVersion: 3, keyId: 'a'.repeat(22) });
    expect(edited.emails).toEqual(['sales@acme.example']);
    // Every write was sent twice (the lost attempt and the SDK's retry) and counted once.
    expect(attempts).toEqual(
      Array.from({ length: 4 }, (_, index) => (index === 0 ? 'PutItemCommand' : 'UpdateItemCommand')).flatMap(
        (name) => [name, name],
      ),
    );
    expect((await use.repository.get('tenant-a'))?.revision).toBe(4);

    lossesLeft = 1;
    await deleteIntegration(use, 'tenant-a');
    expect(await use.repository.get('tenant-a')).toBeUndefined();
  });

  it('still answers 409 when someone else’s write won', async () => {
    const use = deps();
    await saveIntegration(use, 'tenant-b', { apiKey: firstKey, emails: ['info@acme.example'] });
    const stale = await use.repository.get('tenant-b');
    await updateSenders(use, 'tenant-b', { emails: ['sales@acme.example'] });

    await expect(
      use.repository.update('tenant-b', stale?.revision ?? 0, { emails: ['info@acme.example'] }),
    ).rejects.toMatchObject({ code: 'conflict' });
  });
});
