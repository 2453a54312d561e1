import { ConditionalCheckFailedException, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../dynamo-document-client.js';
import { UpstreamUnavailableError } from '../problem-catalog.js';
import type { ProviderName } from '../providers/email-provider.js';

/**
 * The Event Webhook table's key schema, shared by the stack and the local runtime: two kinds of
 * item, each written alone with a condition (no transactions, so dynalite runs it too):
 * - `tenant#<tenant>#<provider>`: the tenant's registration (the verification key, its webhook id);
 * - `webhook#<webhookId>`: the lookup from the id in the public URL to the tenant.
 */
export const eventWebhookTableKeys = {
  partitionKey: { name: 'pk', type: 'S' },
} as const;

/** `CreateTable` input for the Event Webhook table (local runtime, tests). */
export function eventWebhookTableCreateInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
  };
}

/** A tenant's registered Event Webhook. The public key is public: it verifies, it cannot sign. */
export interface EventWebhookRegistration {
  tenantId: string;
  provider: ProviderName;
  /** The unguessable id in the public URL; re-issued on demand. */
  webhookId: string;
  /** Base64 DER SubjectPublicKeyInfo, as the provider shows it. */
  publicKey: string;
  publicKeyFingerprint: string;
  createdAt: string;
  updatedAt: string;
  /** When the last signed batch was accepted; null before any. */
  lastEventAt: string | null;
  /** Bumped on every change: writes are conditional on the revision read. */
  revision: number;
}

/** The item behind one public webhook URL. */
export interface EventWebhookLookup {
  webhookId: string;
  tenantId: string;
  provider: ProviderName;
}

/** A conditional write found the item changed: someone else changed the registration meanwhile. */
export class EventWebhookConflict extends Error {
  override readonly name = 'EventWebhookConflict';
}

/** Options for {@link EventWebhookStore}. */
export interface EventWebhookStoreOptions {
  tableName: string;
  client?: DynamoDBDocumentClient;
  clientConfig?: DynamoDBClientConfig;
}

const registrationKey = (tenantId: string, provider: ProviderName) =>
  `tenant#${encodeURIComponent(tenantId)}#${provider}`;
const lookupKey = (webhookId: string) => `webhook#${webhookId}`;

/** Registrations and lookups of tenants' Event Webhooks, every write single-item and conditional. */
export class EventWebhookStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;

  constructor(options: EventWebhookStoreOptions) {
    this.tableName = options.tableName;
    this.client = options.client ?? documentClient(options.clientConfig);
  }

  /** The tenant's registration for a provider, if any. */
  async registration(tenantId: string, provider: ProviderName): Promise<EventWebhookRegistration | undefined> {
    const result = await this.call(() =>
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: registrationKey(tenantId, provider) },
          ConsistentRead: true,
        }),
      ),
    );
    return result.Item ? withoutKey<EventWebhookRegistration>(result.Item) : undefined;
  }

  /** Whose webhook URL this is, if anyone's. */
  async lookup(webhookId: string): Promise<EventWebhookLookup | undefined> {
    const result = await this.call(() =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: lookupKey(webhookId) } })),
    );
    return result.Item ? withoutKey<EventWebhookLookup>(result.Item) : undefined;
  }

  /** Creates the lookup for a fresh id (refused if the id exists: it is never reused). */
  async createLookup(lookup: EventWebhookLookup): Promise<void> {
    await this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: lookupKey(lookup.webhookId), ...lookup },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /** Removes a lookup, only if it is the tenant's. */
  async deleteLookup(webhookId: string, tenantId: string): Promise<void> {
    try {
      await this.conditional(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: lookupKey(webhookId) },
          ConditionExpression: 'attribute_not_exists(pk) OR tenantId = :tenantId',
          ExpressionAttributeValues: { ':tenantId': tenantId },
        }),
      );
    } catch (error) {
      // Another tenant's lookup is never ours to remove; nothing else can refuse.
      if (!(error instanceof EventWebhookConflict)) throw error;
    }
  }

  /** Writes the registration, if it is still at `expectedRevision` (undefined: only if there is none). */
  async putRegistration(registration: EventWebhookRegistration, expectedRevision: number | undefined): Promise<void> {
    await this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: registrationKey(registration.tenantId, registration.provider), ...registration },
        ...(expectedRevision === undefined
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: 'revision = :expected',
              ExpressionAttributeValues: { ':expected': expectedRevision },
            }),
      }),
    );
  }

  /** Deletes the registration, if it is still at `expectedRevision`. */
  async deleteRegistration(tenantId: string, provider: ProviderName, expectedRevision: number): Promise<void> {
    await this.conditional(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: registrationKey(tenantId, provider) },
        ConditionExpression: 'revision = :expected',
        ExpressionAttributeValues: { ':expected': expectedRevision },
      }),
    );
  }

  /**
   * Notes when a batch arrived on the webhook, only while `webhookId` is still the registered
   * one and only forward in time. Not a revision change: the console's view just shows it.
   */
  async touchLastEvent(tenantId: string, provider: ProviderName, webhookId: string, at: string): Promise<void> {
    try {
      await this.conditional(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: registrationKey(tenantId, provider) },
          ConditionExpression: 'webhookId = :webhookId AND (attribute_type(lastEventAt, :null) OR lastEventAt < :at)',
          UpdateExpression: 'SET lastEventAt = :at',
          ExpressionAttributeValues: { ':webhookId': webhookId, ':at': at, ':null': 'NULL' },
        }),
      );
    } catch (error) {
      if (!(error instanceof EventWebhookConflict)) throw error;
    }
  }

  private async conditional(command: PutCommand | DeleteCommand | UpdateCommand): Promise<void> {
    try {
      await this.client.send(command as PutCommand);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new EventWebhookConflict('The Event Webhook changed meanwhile.', { cause: error });
      }
      throw new UpstreamUnavailableError('DynamoDB', { cause: error });
    }
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new UpstreamUnavailableError('DynamoDB', { cause: error });
    }
  }
}

function withoutKey<T>(item: Record<string, unknown>): T {
  const { pk: _pk, ...rest } = item;
  return rest as T;
}
