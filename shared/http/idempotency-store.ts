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

/**
 * Remembers requests sent with an `Idempotency-Key` (IETF httpapi draft) for 24 hours: who
 * claimed the key, a fingerprint of the request, and once it succeeded, the answer to replay.
 * Items share a table keyed by `pk` with `expiresAt` (epoch seconds) as DynamoDB's TTL.
 */

/** A stored answer, replayed for a repeated request. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

/** What claiming a key found. */
export type ClaimResult =
  | { kind: 'claimed' }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'in_flight' }
  | { kind: 'reused' };

/** Where idempotency keys are remembered. */
export interface IdempotencyStore {
  /**
   * Claims `key` for this request with one conditional write: new (or expired, or abandoned by
   * a request that died) → claimed; else what the first request left: its answer, "still
   * running", or a different request under the same key.
   */
  claim(tenantId: string, key: string, fingerprint: string): Promise<ClaimResult>;
  /** Stores the answer of a claimed request, to replay for 24 hours. */
  complete(tenantId: string, key: string, fingerprint: string, answer: StoredAnswer): Promise<void>;
  /** Gives a claim up (the request failed: nothing was done, so a retry may run it again). */
  release(tenantId: string, key: string, fingerprint: string): Promise<void>;
}

/** How long a key is remembered. */
export const IDEMPOTENCY_WINDOW_SECONDS = 24 * 60 * 60;
/** How long a claim blocks others before it counts as abandoned (longer than any route runs). */
const CLAIM_LEASE_SECONDS = 60;

/** Options for {@link DynamoIdempotencyStore}. */
export interface DynamoIdempotencyStoreOptions {
  tableName: string;
  client?: DynamoDBDocumentClient;
  clientConfig?: DynamoDBClientConfig;
  now?: () => Date;
}

/** {@link IdempotencyStore} on a DynamoDB table with partition key `pk` and TTL `expiresAt`. */
export class DynamoIdempotencyStore implements IdempotencyStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => Date;

  constructor(options: DynamoIdempotencyStoreOptions) {
    this.tableName = options.tableName;
    this.now = options.now ?? (() => new Date());
    this.client = options.client ?? documentClient(options.clientConfig);
  }

  async claim(tenantId: string, key: string, fingerprint: string, attempt = 1): Promise<ClaimResult> {
    const now = this.epochSeconds();
    try {
      await this.call(() =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              pk: itemKey(tenantId, key),
              state: 'pending',
              fingerprint,
              leaseUntil: now + CLAIM_LEASE_SECONDS,
              expiresAt: now + IDEMPOTENCY_WINDOW_SECONDS,
            },
            ConditionExpression:
              'attribute_not_exists(pk) OR expiresAt < :now OR (#state = :pending AND leaseUntil < :now)',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':now': now, ':pending': 'pending' },
          }),
        ),
      );
      return { kind: 'claimed' };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const existing = await this.call(() =>
      this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: itemKey(tenantId, key) }, ConsistentRead: true }),
      ),
    );
    const item = existing.Item;
    // Gone meanwhile (released by a failed first request, or expired): claim it after all.
    if (!item) return attempt === 1 ? this.claim(tenantId, key, fingerprint, 2) : { kind: 'in_flight' };
    if (item.fingerprint !== fingerprint) return { kind: 'reused' };
    if (item.state === 'done' && typeof item.answer === 'string') {
      return { kind: 'replay', answer: JSON.parse(item.answer) as StoredAnswer };
    }
    return { kind: 'in_flight' };
  }

  async complete(tenantId: string, key: string, fingerprint: string, answer: StoredAnswer): Promise<void> {
    await this.conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: itemKey(tenantId, key) },
          UpdateExpression: 'SET #state = :done, answer = :answer REMOVE leaseUntil',
          ConditionExpression: 'fingerprint = :fingerprint AND #state = :pending',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':done': 'done',
            ':pending': 'pending',
            ':answer': JSON.stringify(answer),
            ':fingerprint': fingerprint,
          },
        }),
      ),
    );
  }

  async release(tenantId: string, key: string, fingerprint: string): Promise<void> {
    await this.conditional(() =>
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: itemKey(tenantId, key) },
          ConditionExpression: 'fingerprint = :fingerprint AND #state = :pending',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':fingerprint': fingerprint, ':pending': 'pending' },
        }),
      ),
    );
  }

  /** A write whose condition only guards against touching someone else's claim: losing is fine. */
  private async conditional(write: () => Promise<unknown>): Promise<void> {
    try {
      await this.call(write);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private epochSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
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

/** The item key: a prefix of its own in the shared table, then the tenant, then the key. */
function itemKey(tenantId: string, key: string): string {
  return `idempotency#${tenantId}#${key}`;
}
