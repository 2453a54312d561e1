import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../dynamo-document-client.js';
import { UpstreamUnavailableError } from '../problem-catalog.js';

/**
 * The health-run table's key schema (stack and local runtime build it from this): one summary
 * item per run (`run#<runId>`), one pointer per scope to its latest run (`latest#<scope>`) and one
 * marker per (run, tenant) (`tenant#<runId>#<tenantId>`), so a tenant is checked at most once per
 * run. Everything expires (DynamoDB TTL).
 */
export const healthRunTableKeys = {
  partitionKey: { name: 'runKey', type: 'S' },
  timeToLiveAttribute: 'expiresAt',
} as const;

/** `CreateTable` input for the local runtime and tests. */
export function healthRunTableCreateInput(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: healthRunTableKeys.partitionKey.name, AttributeType: healthRunTableKeys.partitionKey.type },
    ],
    KeySchema: [{ AttributeName: healthRunTableKeys.partitionKey.name, KeyType: 'HASH' as const }],
  };
}

/** Which integrations a run checks: `all` (daily) or only the blocked ones (every 15 minutes). */
export type HealthCheckScope = 'all' | 'blocked';

/** One run's summary item: what was planned and checked, and how it ended, tenant by tenant counted. */
export interface HealthRun {
  runId: string;
  scope: HealthCheckScope;
  startedAt: string;
  /** Tenants enqueued so far (each page is counted once, with the cursor that follows it). */
  planned: number;
  /** Tenants checked so far (each once, however often its message is delivered). */
  checked: number;
  outcomes: Record<string, number>;
  /** The planner walked every page. */
  planningComplete: boolean;
  /** Set once, when planning is complete and every planned tenant is checked. */
  finishedAt?: string;
  /** Where planning goes on (an opaque page token), while it is not complete. */
  cursor?: string;
  /** A planner works on the run until then; another waits (or resumes once it has passed). */
  plannerLeaseUntil?: number;
}

/** How long run summaries and per-tenant markers are kept. */
const RUN_RETENTION_SECONDS = 30 * 24 * 3600;
const MARKER_RETENTION_SECONDS = 2 * 24 * 3600;

/** Options for {@link HealthRunStore}. */
export interface HealthRunStoreOptions {
  tableName: string;
  client?: DynamoDBDocumentClient;
  clientConfig?: DynamoDBClientConfig;
  now?: () => Date;
}

/**
 * The health check's bookkeeping in DynamoDB: run summaries counted with atomic `ADD`s, the
 * planner's cursor and lease written conditionally, and per-tenant claims. Single-item
 * conditional writes only (no transactions).
 */
export class HealthRunStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  readonly now: () => Date;

  constructor(options: HealthRunStoreOptions) {
    this.tableName = options.tableName;
    this.now = options.now ?? (() => new Date());
    this.client = options.client ?? documentClient(options.clientConfig);
  }

  /** A run's summary, or undefined. */
  async get(runId: string): Promise<HealthRun | undefined> {
    const { Item } = await this.call(() =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: runKey(runId), ConsistentRead: true })),
    );
    return Item ? toRun(Item) : undefined;
  }

  /** The latest run of a scope, or undefined. */
  async latest(scope: HealthCheckScope): Promise<HealthRun | undefined> {
    const { Item } = await this.call(() =>
      this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { runKey: `latest#${scope}` }, ConsistentRead: true }),
      ),
    );
    return typeof Item?.runId === 'string' ? this.get(Item.runId) : undefined;
  }

  /**
   * Starts a run of `scope` and makes it the latest, unless another planner started one since
   * `previousRunId` was read: then that one is answered (and nothing of this one is kept in view).
   */
  async start(scope: HealthCheckScope, previousRunId: string | undefined): Promise<HealthRun> {
    const now = this.now();
    const run: HealthRun = {
      runId: newRunId(scope, now),
      scope,
      startedAt: now.toISOString(),
      planned: 0,
      checked: 0,
      outcomes: {},
      planningComplete: false,
    };
    await this.call(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...runKey(run.runId), ...run, expiresAt: expiresAt(now, RUN_RETENTION_SECONDS) },
          ConditionExpression: 'attribute_not_exists(runKey)',
        }),
      ),
    );
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { runKey: `latest#${scope}`, runId: run.runId },
          ...(previousRunId === undefined
            ? { ConditionExpression: 'attribute_not_exists(runKey)' }
            : { ConditionExpression: 'runId = :previous', ExpressionAttributeValues: { ':previous': previousRunId } }),
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw unavailable(error);
      const theirs = await this.latest(scope);
      if (!theirs) throw unavailable(error);
      return theirs;
    }
    return run;
  }

  /**
   * Takes the planning of a run for `leaseMs`: refused (undefined) when planning is complete or
   * another planner's lease is still running. A planner cut off mid-page loses its lease when it
   * runs out, and the next one resumes from the stored cursor.
   */
  async claimPlanning(runId: string, leaseMs: number): Promise<HealthRun | undefined> {
    const now = this.now().getTime();
    return this.conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression: 'SET plannerLeaseUntil = :until',
          ConditionExpression:
            'attribute_exists(runKey) AND planningComplete = :false AND (attribute_not_exists(plannerLeaseUntil) OR plannerLeaseUntil < :now)',
          ExpressionAttributeValues: { ':until': now + leaseMs, ':now': now, ':false': false },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
  }

  /**
   * Records one planned page: `enqueued` more tenants planned and the cursor moved from
   * `fromCursor` to `nextCursor` (none: planning is complete), in one write conditional on the
   * cursor read, so a page is counted once even if a planner enqueues it twice.
   */
  async recordPage(
    runId: string,
    page: { fromCursor: string | undefined; nextCursor: string | undefined; enqueued: number },
  ): Promise<HealthRun | undefined> {
    const values: Record<string, unknown> = { ':n': page.enqueued };
    if (page.fromCursor !== undefined) values[':from'] = page.fromCursor;
    let update = 'ADD planned :n';
    if (page.nextCursor === undefined) {
      update += ' SET planningComplete = :true REMOVE #cursor, plannerLeaseUntil';
      values[':true'] = true;
    } else {
      update += ' SET #cursor = :next';
      values[':next'] = page.nextCursor;
    }
    return this.conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression: update,
          ConditionExpression: page.fromCursor === undefined ? 'attribute_not_exists(#cursor)' : '#cursor = :from',
          ExpressionAttributeNames: { '#cursor': 'cursor' },
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
  }

  /** Gives the planning lease back, so the next planner (a continuation) need not wait for it to run out. */
  async releasePlanning(runId: string): Promise<void> {
    await this.conditionalWrite(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression: 'REMOVE plannerLeaseUntil',
          ConditionExpression: 'attribute_exists(runKey)',
        }),
      ),
    );
  }

  /**
   * Claims a tenant's check in a run: true when this delivery may check it — nobody claimed it,
   * or a claim whose check never finished ran out (`leaseMs`, longer than the checker's timeout).
   * False when it is checked (or being checked) in this run already.
   */
  async claimTenant(runId: string, tenantId: string, leaseMs: number): Promise<boolean> {
    const now = this.now();
    const claimed = await this.conditionalWrite(() =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...markerKey(runId, tenantId),
            leaseUntil: now.getTime() + leaseMs,
            expiresAt: expiresAt(now, MARKER_RETENTION_SECONDS),
          },
          ConditionExpression: 'attribute_not_exists(runKey) OR (attribute_not_exists(outcome) AND leaseUntil < :now)',
          ExpressionAttributeValues: { ':now': now.getTime() },
        }),
      ),
    );
    return claimed !== undefined;
  }

  /** Notes a tenant's outcome on its marker: a later delivery of it finds the check done. */
  async settleTenant(runId: string, tenantId: string, outcome: string): Promise<void> {
    await this.call(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: markerKey(runId, tenantId),
          UpdateExpression: 'SET outcome = :outcome',
          ExpressionAttributeValues: { ':outcome': outcome },
        }),
      ),
    );
  }

  /** Adds checked tenants and their outcomes to a run's totals (one atomic write); answers the totals. */
  async count(runId: string, outcomes: Record<string, number>): Promise<HealthRun | undefined> {
    const entries = Object.entries(outcomes).filter(([, count]) => count > 0);
    const names: Record<string, string> = {};
    const values: Record<string, number> = { ':checked': entries.reduce((sum, [, count]) => sum + count, 0) };
    const adds = ['checked :checked'];
    entries.forEach(([outcome, count], index) => {
      names[`#o${index}`] = outcome;
      values[`:o${index}`] = count;
      adds.push(`outcomes.#o${index} :o${index}`);
    });
    return this.conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression: `ADD ${adds.join(', ')}`,
          ConditionExpression: 'attribute_exists(runKey)',
          ...(entries.length > 0 ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
  }

  /** Marks a run finished, once: only when planning is complete and every planned tenant is checked. */
  async finish(runId: string): Promise<HealthRun | undefined> {
    return this.conditional(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: runKey(runId),
          UpdateExpression: 'SET finishedAt = :now',
          ConditionExpression: 'attribute_not_exists(finishedAt) AND planningComplete = :true AND checked >= planned',
          ExpressionAttributeValues: { ':now': this.now().toISOString(), ':true': true },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
  }

  /** Runs a conditional write of a run: the run as written, or undefined when the condition did not hold. */
  private async conditional(operation: () => Promise<{ Attributes?: Record<string, unknown> }>) {
    const written = await this.conditionalWrite(operation);
    return written === undefined ? undefined : toRun(written);
  }

  /** Runs a conditional write: what it returned (empty without ReturnValues), or undefined when refused. */
  private async conditionalWrite(
    operation: () => Promise<{ Attributes?: Record<string, unknown> }>,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      return (await operation()).Attributes ?? {};
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw unavailable(error);
    }
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw unavailable(error);
    }
  }
}

function unavailable(error: unknown): UpstreamUnavailableError {
  return error instanceof UpstreamUnavailableError ? error : new UpstreamUnavailableError('DynamoDB', { cause: error });
}

/** Run ids sort by start time and say their scope: `all-20261126T031500Z-3f9a`. */
function newRunId(scope: HealthCheckScope, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  return `${scope}-${stamp}-${randomBytes(2).toString('hex')}`;
}

function runKey(runId: string) {
  return { runKey: `run#${runId}` };
}

function markerKey(runId: string, tenantId: string) {
  return { runKey: `tenant#${runId}#${tenantId}` };
}

function expiresAt(now: Date, seconds: number): number {
  return Math.floor(now.getTime() / 1000) + seconds;
}

function toRun(item: Record<string, unknown>): HealthRun {
  return {
    runId: String(item.runId),
    scope: item.scope === 'blocked' ? 'blocked' : 'all',
    startedAt: String(item.startedAt),
    planned: Number(item.planned ?? 0),
    checked: Number(item.checked ?? 0),
    outcomes: Object.fromEntries(
      Object.entries((item.outcomes as Record<string, unknown> | undefined) ?? {}).map(([key, value]) => [
        key,
        Number(value),
      ]),
    ),
    planningComplete: item.planningComplete === true,
    ...(typeof item.finishedAt === 'string' ? { finishedAt: item.finishedAt } : {}),
    ...(typeof item.cursor === 'string' ? { cursor: item.cursor } : {}),
    ...(typeof item.plannerLeaseUntil === 'number' ? { plannerLeaseUntil: item.plannerLeaseUntil } : {}),
  };
}
