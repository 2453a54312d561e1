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

/** A tenant's optional sending caps, set by an operator (`npm run ops -- tenant-limits`). */
export interface TenantLimits {
  /** Sends of the tenant at the provider at once, across every send function. */
  maxInFlight?: number;
  /** Sends of the tenant per UTC day. */
  maxPerDay?: number;
}

/** What taking a send slot found. */
export type CapDecision =
  | { kind: 'go'; slot: CapSlot | undefined }
  /** A cap holds the message back: deliver it again no sooner than `afterSeconds`. */
  | { kind: 'held'; cap: 'in_flight' | 'per_day'; afterSeconds: number };

/** What a send holds while it runs, given back with {@link TenantCapsPort.release}. */
export interface CapSlot {
  tenantId: string;
  attemptId: string;
  /** The UTC day counted, when a daily cap applies. */
  day?: string;
  inFlight: boolean;
}

/** The per-tenant caps as the send path sees them (a fake in unit tests). */
export interface TenantCapsPort {
  /** Takes a slot for one attempt, or says which cap holds it back. */
  acquire(tenantId: string, attemptId: string, leaseMs: number): Promise<CapDecision>;
  /** Gives the slot back; `uncount` also takes the send off the day's count (the provider did not take it). */
  release(slot: CapSlot, options: { uncount: boolean }): Promise<void>;
}

/** Keys of the cap items in the send ledger table; `#` first, which no send's key can start with. */
export const capKeys = {
  limits: (tenantId: string) => `#limits#${encodeURIComponent(tenantId)}`,
  inFlight: (tenantId: string) => `#inflight#${encodeURIComponent(tenantId)}`,
  day: (tenantId: string, day: string) => `#day#${encodeURIComponent(tenantId)}#${day}`,
};

/** Options for {@link TenantCaps}. */
export interface TenantCapsOptions {
  tableName: string;
  client?: DynamoDBDocumentClient;
  clientConfig?: DynamoDBClientConfig;
  now?: () => number;
  /** How long a warm function trusts the limits it read (default 60 s, as the integration record). */
  limitsCacheMs?: number;
}

/** How long a message held by the in-flight cap waits before it is offered again. */
const IN_FLIGHT_RETRY_SECONDS = 5;

/**
 * Optional per-tenant caps on sends in flight and per day, kept in the send ledger table as single
 * items changed by conditional single-item writes (as the tenant pause): the limits item, a day
 * counter (`ADD`, conditional on staying under the cap) and an in-flight item holding one lease
 * per running attempt (a crashed attempt's lease runs out). A tenant without limits costs one read
 * per warm function per minute and no writes.
 */
export class TenantCaps implements TenantCapsPort {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => number;
  private readonly limitsCacheMs: number;
  private readonly known = new Map<string, { limits: TenantLimits; readAt: number }>();

  constructor(options: TenantCapsOptions) {
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
    this.limitsCacheMs = options.limitsCacheMs ?? 60_000;
    this.client = options.client ?? documentClient(options.clientConfig);
  }

  /** The tenant's limits (none: `{}`), read at most once a minute per warm function. */
  async limits(tenantId: string): Promise<TenantLimits> {
    const cached = this.known.get(tenantId);
    if (cached && this.now() - cached.readAt < this.limitsCacheMs) return cached.limits;
    const result = await this.call(() =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: { sendKey: capKeys.limits(tenantId) } })),
    );
    const limits: TenantLimits = {
      ...(typeof result.Item?.maxInFlight === 'number' ? { maxInFlight: result.Item.maxInFlight } : {}),
      ...(typeof result.Item?.maxPerDay === 'number' ? { maxPerDay: result.Item.maxPerDay } : {}),
    };
    this.known.delete(tenantId);
    this.known.set(tenantId, { limits, readAt: this.now() });
    if (this.known.size > 1_000) this.known.delete(this.known.keys().next().value as string);
    return limits;
  }

  /** Sets (or, with both unset, removes) a tenant's limits. */
  async setLimits(tenantId: string, limits: TenantLimits): Promise<void> {
    this.known.delete(tenantId);
    if (limits.maxInFlight === undefined && limits.maxPerDay === undefined) {
      await this.call(() =>
        this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { sendKey: capKeys.limits(tenantId) } })),
      );
      return;
    }
    await this.call(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            sendKey: capKeys.limits(tenantId),
            tenantId,
            ...limits,
            updatedAt: new Date(this.now()).toISOString(),
          },
        }),
      ),
    );
  }

  async acquire(tenantId: string, attemptId: string, leaseMs: number): Promise<CapDecision> {
    const limits = await this.limits(tenantId);
    if (limits.maxInFlight === undefined && limits.maxPerDay === undefined) return { kind: 'go', slot: undefined };
    const slot: CapSlot = { tenantId, attemptId, inFlight: false };
    if (limits.maxPerDay !== undefined) {
      const day = new Date(this.now()).toISOString().slice(0, 10);
      if (!(await this.countToday(tenantId, day, limits.maxPerDay))) {
        return { kind: 'held', cap: 'per_day', afterSeconds: secondsUntilNextUtcDay(this.now()) };
      }
      slot.day = day;
    }
    if (limits.maxInFlight !== undefined) {
      if (!(await this.takeInFlight(tenantId, attemptId, limits.maxInFlight, leaseMs))) {
        if (slot.day) await this.uncount(tenantId, slot.day);
        return { kind: 'held', cap: 'in_flight', afterSeconds: IN_FLIGHT_RETRY_SECONDS };
      }
      slot.inFlight = true;
    }
    return { kind: 'go', slot };
  }

  async release(slot: CapSlot, options: { uncount: boolean }): Promise<void> {
    if (slot.inFlight) {
      await this.call(() =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { sendKey: capKeys.inFlight(slot.tenantId) },
            // A version bump, so a taker that read the leases before this release writes them again.
            ConditionExpression: 'attribute_exists(leases)',
            UpdateExpression: 'REMOVE leases.#attempt ADD version :one',
            ExpressionAttributeNames: { '#attempt': slot.attemptId },
            ExpressionAttributeValues: { ':one': 1 },
          }),
        ),
      ).catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
    }
    if (options.uncount && slot.day) await this.uncount(slot.tenantId, slot.day);
  }

  /** Counts one send today unless the day's cap is reached: one conditional ADD. */
  private async countToday(tenantId: string, day: string, maxPerDay: number): Promise<boolean> {
    try {
      await this.call(() =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { sendKey: capKeys.day(tenantId, day) },
            ConditionExpression: 'attribute_not_exists(sends) OR sends < :max',
            UpdateExpression: 'SET tenantId = :tenantId, expiresAt = :expiresAt ADD sends :one',
            ExpressionAttributeValues: {
              ':max': maxPerDay,
              ':one': 1,
              ':tenantId': tenantId,
              ':expiresAt': Math.floor(this.now() / 1000) + 2 * 24 * 3600,
            },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async uncount(tenantId: string, day: string): Promise<void> {
    await this.call(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { sendKey: capKeys.day(tenantId, day) },
          ConditionExpression: 'sends > :zero',
          UpdateExpression: 'ADD sends :minusOne',
          ExpressionAttributeValues: { ':zero': 0, ':minusOne': -1 },
        }),
      ),
    ).catch((error: unknown) => {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
  }

  /**
   * Takes one of the tenant's in-flight leases: reads the leases, and writes them back with ours
   * (and without the expired ones) on the condition that nobody changed them meanwhile (version).
   */
  private async takeInFlight(
    tenantId: string,
    attemptId: string,
    maxInFlight: number,
    leaseMs: number,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const now = this.now();
      const current = await this.call(() =>
        this.client.send(
          new GetCommand({
            TableName: this.tableName,
            Key: { sendKey: capKeys.inFlight(tenantId) },
            ConsistentRead: true,
          }),
        ),
      );
      const leases = (current.Item?.leases ?? {}) as Record<string, number>;
      const live = Object.fromEntries(Object.entries(leases).filter(([, until]) => until > now));
      if (Object.keys(live).length >= maxInFlight) return false;
      const version = Number(current.Item?.version ?? 0);
      try {
        await this.call(() =>
          this.client.send(
            new PutCommand({
              TableName: this.tableName,
              Item: {
                sendKey: capKeys.inFlight(tenantId),
                tenantId,
                leases: { ...live, [attemptId]: now + leaseMs },
                version: version + 1,
                expiresAt: Math.floor((now + leaseMs) / 1000) + 24 * 3600,
              },
              ConditionExpression: 'attribute_not_exists(sendKey) OR version = :version',
              ExpressionAttributeValues: { ':version': version },
            }),
          ),
        );
        return true;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    // Contended: treat as full; the message comes back shortly.
    return false;
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

/** Seconds until the next UTC midnight (at least 1). */
export function secondsUntilNextUtcDay(nowMs: number): number {
  const next = new Date(nowMs);
  next.setUTCHours(24, 0, 0, 0);
  return Math.max(1, Math.ceil((next.getTime() - nowMs) / 1000));
}
