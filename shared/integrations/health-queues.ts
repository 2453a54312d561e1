import { SendMessageBatchCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { mapBounded } from '../map-bounded.js';
import { UpstreamUnavailableError } from '../problem-catalog.js';
import type { HealthCheckScope } from './health-runs.js';

/** What the planner's queue carries: start (or resume) a run of a scope, or go on planning one run. */
export interface PlanRequest {
  scope: HealthCheckScope;
  /** A continuation: the run to go on planning (none: the schedule's tick). */
  runId?: string;
}

/** What the check queue carries: one tenant to check in one run. */
export interface CheckRequest {
  runId: string;
  tenantId: string;
}

/** A planner message's body: what the schedules send (`{"scope":"all"}`, `{"scope":"blocked"}`) or a continuation. */
export const planRequestSchema = z.strictObject({
  scope: z.enum(['all', 'blocked']),
  runId: z.string().min(1).max(200).optional(),
});

/** A check message's body. */
export const checkRequestSchema = z.strictObject({
  runId: z.string().min(1).max(200),
  tenantId: z.string().min(1).max(200),
});

/** Somewhere messages go: SQS in AWS, the local runtime's queue emulation locally. */
export interface MessageQueue<T> {
  /** Sends every message, or throws (after retrying what SQS refused). */
  sendAll(messages: readonly T[]): Promise<void>;
}

/** SQS takes at most 10 entries per SendMessageBatch call. */
const ENTRIES_PER_CALL = 10;
/** Batch calls in flight at once: 1,000 tenants (a planner page) are enqueued in ~10 round trips' time. */
const CALLS_IN_FLIGHT = 10;
/** Attempts per entry that SQS answers as failed inside a successful batch call. */
const ENTRY_ATTEMPTS = 3;

/** Options for {@link SqsJsonQueue}. */
export interface SqsJsonQueueOptions {
  queueUrl: string;
  /** A ready-made client (tests); default one built from `clientConfig`. */
  client?: SQSClient;
  clientConfig?: SQSClientConfig;
}

/**
 * Sends JSON messages to one SQS queue with SendMessageBatch, 10 per call and several calls at
 * once; entries SQS refuses inside a batch are sent again, and still refused ones fail the call.
 */
export class SqsJsonQueue<T> implements MessageQueue<T> {
  private readonly client: SQSClient;
  private readonly queueUrl: string;

  constructor(options: SqsJsonQueueOptions) {
    this.queueUrl = options.queueUrl;
    this.client = options.client ?? new SQSClient(options.clientConfig ?? {});
  }

  async sendAll(messages: readonly T[]): Promise<void> {
    const batches: T[][] = [];
    for (let start = 0; start < messages.length; start += ENTRIES_PER_CALL) {
      batches.push(messages.slice(start, start + ENTRIES_PER_CALL));
    }
    await mapBounded(batches, CALLS_IN_FLIGHT, (batch) => this.sendBatch(batch));
  }

  private async sendBatch(batch: T[]): Promise<void> {
    let pending = batch.map((message, index) => ({ Id: String(index), MessageBody: JSON.stringify(message) }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      let failed: string[];
      try {
        const answer = await this.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }),
        );
        failed = (answer.Failed ?? []).map((entry) => entry.Id ?? '');
      } catch (error) {
        throw new UpstreamUnavailableError('SQS', { cause: error });
      }
      pending = pending.filter((entry) => failed.includes(entry.Id));
      if (pending.length > 0 && attempt >= ENTRY_ATTEMPTS) {
        throw new UpstreamUnavailableError('SQS', { cause: new Error(`${pending.length} entries refused`) });
      }
    }
  }
}
