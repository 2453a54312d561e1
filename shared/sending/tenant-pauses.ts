import { ConditionalCheckFailedException, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../dynamo-document-client.js';
import { UpstreamUnavailableError } from '../problem-catalog.js';

/** Where a tenant's sending pause is kept; shared by every send function (a fake in unit tests). */
export interface TenantPausePort {
  /** Epoch ms until which the tenant's mail waits, when it is paused now. */
  pausedUntil(tenantId: string): Promise<number | undefined>;
  /** Pauses the tenant's mail until `untilMs`, unless a longer pause is already set. */
  pause(tenantId: string, untilMs: number): Promise<void>;
}

/**
 * The send ledger item that pauses one tenant: its key starts with `#`, which no send's key can
 * (a send key starts with the URI-encoded tenant id, never empty), so pauses and sends never meet.
 */
export function pauseKey(tenantId: string): string {
  return `#pause#${encodeURIComponent(tenantId)}`;
}

/** Options for {@link TenantPauses}. */
export interface TenantPausesOptions {
  tableName: string;
  client?: DynamoDBDocumentClient;
  clientConfig?: DynamoDBClientConfig;
  now?: () => number;
  /** How long a warm function trusts that a tenant is not paused before reading again. */
  unpausedCacheMs?: number;
}

/**
 * Per-tenant sending pauses after a provider rate limit (429), one item per tenant in the send
 * ledger table: every send function reads it before sending for the tenant and waits until its
 * reset instead of calling the provider, so one tenant's limit costs that tenant, not the others.
 * A warm function remembers "not paused" for a moment so a burst costs few reads.
 */
export class TenantPauses implements TenantPausePort {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => number;
  private readonly unpausedCacheMs: number;
  private readonly known = new Map<string, { until: number; checkedAt: number }>();

  constructor(options: TenantPausesOptions) {
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
    this.unpausedCacheMs = options.unpausedCacheMs ?? 5_000;
    this.client = options.client ?? documentClient(options.clientConfig);
  }

  async pausedUntil(tenantId: string): Promise<number | undefined> {
    const now = this.now();
    const cached = this.known.get(tenantId);
    if (cached && (cached.until > now || now - cached.checkedAt < this.unpausedCacheMs)) {
      return cached.until > now ? cached.until : undefined;
    }
    const result = await this.call(() =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: { sendKey: pauseKey(tenantId) } })),
    );
    const until = Number(result.Item?.pausedUntil ?? 0);
    this.remember(tenantId, until);
    return until > now ? until : undefined;
  }

  async pause(tenantId: string, untilMs: number): Promise<void> {
    this.remember(tenantId, untilMs);
    try {
      await this.call(() =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { sendKey: pauseKey(tenantId) },
            // Only ever lengthened: a shorter reset seen by a slower function must not shorten it.
            ConditionExpression: 'attribute_not_exists(pausedUntil) OR pausedUntil < :until',
            UpdateExpression: 'SET tenantId = :tenantId, pausedUntil = :until, expiresAt = :expiresAt',
            ExpressionAttributeValues: {
              ':tenantId': tenantId,
              ':until': untilMs,
              ':expiresAt': Math.ceil(untilMs / 1000) + 24 * 3600,
            },
          }),
        ),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private remember(tenantId: string, until: number): void {
    const previous = this.known.get(tenantId)?.until ?? 0;
    this.known.delete(tenantId);
    this.known.set(tenantId, { until: Math.max(until, previous), checkedAt: this.now() });
    // Bounded: the oldest tenant goes first.
    if (this.known.size > 1_000) this.known.delete(this.known.keys().next().value as string);
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      throw new UpstreamUnavailableError('DynamoDB', { cause: error });
    }
  }
}
