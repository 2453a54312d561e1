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
  /**
   * From this age on, a "not paused" answer is still given but read again in the background, so a
   * tenant that keeps sending never waits for the read (default: four fifths of `unpausedCacheMs`).
   */
  refreshAheadMs?: number;
}

/**
 * Per-tenant sending pauses after a provider rate limit (429), one item per tenant in the send
 * ledger table: every send function reads it before sending for the tenant and waits until its
 * reset instead of calling the provider, so one tenant's limit costs that tenant, not the others.
 * A warm function remembers "not paused" for a moment so a burst costs few reads, and reads again
 * shortly before that moment ends, in the background, so steady mail does not wait for the read.
 */
export class TenantPauses implements TenantPausePort {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => number;
  private readonly unpausedCacheMs: number;
  private readonly refreshAheadMs: number;
  /** `refreshed`: this answer has had its background read (one per answer, even if it failed). */
  private readonly known = new Map<string, { until: number; checkedAt: number; refreshed?: true }>();

  constructor(options: TenantPausesOptions) {
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
    this.unpausedCacheMs = options.unpausedCacheMs ?? 5_000;
    this.refreshAheadMs = options.refreshAheadMs ?? Math.floor(this.unpausedCacheMs * 0.8);
    this.client = options.client ?? documentClient(options.clientConfig);
  }

  async pausedUntil(tenantId: string): Promise<number | undefined> {
    const now = this.now();
    const cached = this.known.get(tenantId);
    if (cached && cached.until > now) return cached.until;
    if (cached && now - cached.checkedAt < this.unpausedCacheMs) {
      if (now - cached.checkedAt >= this.refreshAheadMs && !cached.refreshed) {
        cached.refreshed = true;
        this.refreshAhead(tenantId);
      }
      return undefined;
    }
    const until = await this.read(tenantId);
    return until > this.now() ? until : undefined;
  }

  /**
   * Reads the tenant's pause again without anyone waiting. A failed read is not repeated in the
   * background: once the answer expires, the next send reads and waits (and sees the error).
   */
  private refreshAhead(tenantId: string): void {
    this.read(tenantId).catch(() => undefined);
  }

  private async read(tenantId: string): Promise<number> {
    // The answer is as fresh as the read's start: a function frozen mid-read must not trust it longer.
    const askedAt = this.now();
    const result = await this.call(() =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: { sendKey: pauseKey(tenantId) } })),
    );
    const until = Number(result.Item?.pausedUntil ?? 0);
    this.remember(tenantId, until, askedAt);
    return until;
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

  private remember(tenantId: string, until: number, checkedAt = this.now()): void {
    const previous = this.known.get(tenantId)?.until ?? 0;
    this.known.delete(tenantId);
    this.known.set(tenantId, { until: Math.max(until, previous), checkedAt });
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
