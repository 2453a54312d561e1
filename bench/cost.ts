import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Client } from '@smithy/core/client';
import { eventBridgeEvent, LOCAL_EVENT_ACCOUNT, sqsRecordOf } from '../local/endpoints/eventbridge-events.js';
import { LocalFairQueue } from '../local/local-fair-queue.js';
import { emailDispatcher } from '../shared/composition/sending.js';
import type { EnvelopeCipher } from '../shared/crypto/envelope.js';
import { REDELIVERY_POLICY } from '../shared/sending/redelivery-policy.js';
import { createSendHandler } from '../shared/sending/send-handler.js';
import { SendIntake } from '../shared/sending/send-intake.js';
import { EMAIL_SEND_REQUESTED } from '../shared/sending/send-request.js';
import { SendingCredentials } from '../shared/sending/sending-credentials.js';
import { BATCH_WORKERS, detail, type PipelineWorld } from './send-throughput.js';

/**
 * AWS list prices, us-east-1, as we knew them on 2026-11-26 (from the published price pages as of
 * our last reading; not re-checked online — check before quoting).
 */
export const PRICES = {
  date: '2026-11-26',
  region: 'us-east-1',
  eventBridgeEvent: 1.0 / 1e6,
  sqsRequest: 0.4 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaArmGbSecond: 0.0000133334,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  kmsRequest: 0.03 / 1e4,
  logsGb: 0.5,
  xrayTrace: 5.0 / 1e6,
} as const;

/** What the cost run assumes where it cannot count: stated next to the figures. */
export const ASSUMPTIONS = {
  /** The stack's memory for every function (infra/constructs/service-function.ts). */
  memoryGb: 0.5,
  /** Lambda's own START/END/REPORT log lines per invocation. */
  platformLogBytes: 330,
  /** X-Ray's default sampling at steady load: 5 % of invocations (plus 1 per second). */
  xraySampling: 0.05,
  /** One SendMessageBatch round trip from the intake in AWS (the bench's queue is in-process). */
  intakeSqsCallMs: 15,
} as const;

/** What one send costs in counted operations and measured function time. */
export interface PerMessageOperations {
  eventBridgeEvents: number;
  sqsRequests: number;
  dynamoWriteUnits: number;
  dynamoReadUnits: number;
  kmsRequests: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  logBytes: number;
  xrayTraces: number;
}

/** The per-message operations and their cost. */
export interface CostFigures {
  messages: number;
  perMessage: PerMessageOperations;
  dollarsPerMillion: Record<string, number>;
  totalPerMillion: number;
}

/** Counts every AWS SDK command sent by any client in this process (the real clients, instrumented). */
function countSdkCommands(): { counts: Map<string, number>; stop(): void } {
  const counts = new Map<string, number>();
  const prototype = Client.prototype as unknown as { send: (...args: unknown[]) => unknown };
  const original = prototype.send;
  prototype.send = function counted(this: unknown, ...args: unknown[]) {
    const command = args[0] as {
      constructor: { name: string };
      input?: {
        TableName?: string;
        ConsistentRead?: boolean;
        Entries?: unknown[];
        RequestItems?: Record<string, unknown[] | { Keys?: unknown[]; ConsistentRead?: boolean }>;
      };
    };
    const key = `${command.constructor.name}:${command.input?.TableName ?? ''}:${command.input?.ConsistentRead ? 'strong' : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    // EventBridge bills PutEvents per entry, not per call.
    if (Array.isArray(command.input?.Entries)) {
      const entries = `${command.constructor.name}:entries`;
      counts.set(entries, (counts.get(entries) ?? 0) + command.input.Entries.length);
    }
    // DynamoDB bills a batch per item: count BatchWriteItem's requests and BatchGetItem's keys as single ones.
    for (const [table, items] of Object.entries(command.input?.RequestItems ?? {})) {
      const name = command.constructor.name === 'BatchWriteItemCommand' ? 'PutItemCommand' : 'GetItemCommand';
      const strong = !Array.isArray(items) && items.ConsistentRead ? 'strong' : '';
      const key = `${name}:${table}:${strong}`;
      counts.set(key, (counts.get(key) ?? 0) + (Array.isArray(items) ? items.length : (items.Keys?.length ?? 0)));
    }
    return original.apply(this, args);
  };
  return {
    counts,
    stop() {
      prototype.send = original;
    },
  };
}

/** Counts the bytes the service's loggers write (CloudWatch Logs ingestion), swallowing them. */
function countLogBytes(): { bytes(): number; stop(): void } {
  let bytes = 0;
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    return true;
  }) as typeof process.stdout.write;
  return {
    bytes: () => bytes,
    stop() {
      process.stdout.write = original;
    },
  };
}

/**
 * Cost per million sends, from one run of `messages` sends through the real intake, the send handler
 * (Powertools logger and metrics as in Lambda) and the dispatcher on dynalite, the local keyring
 * and the sink: every DynamoDB and KMS call is counted at the client, SQS requests at the local queue
 * (each batch delivered = one ReceiveMessage + one DeleteMessageBatch; each intake batch = one
 * SendMessageBatch), function time measured per invocation.
 */
export async function measureCost(world: PipelineWorld, tenants: string[], messages: number): Promise<CostFigures> {
  const logger = new Logger({ serviceName: 'email-integrations' });
  let decrypts = 0;
  const cipher = {
    decrypt: (...args: Parameters<EnvelopeCipher['decrypt']>) => {
      decrypts += 1;
      return world.cipher.decrypt(...args);
    },
  };
  const credentials = new SendingCredentials({ repository: world.repository, cipher });
  const publisher = { source: 'bench', account: LOCAL_EVENT_ACCOUNT };
  const handler = createSendHandler({
    dispatcher: emailDispatcher(world.settings, { credentials, logger }),
    publisher,
    redelivery: {
      async delay() {
        changeVisibility += 1;
      },
    },
    logger,
    metrics: new Metrics({ namespace: 'EmailIntegrations', serviceName: 'email-integrations' }),
  });
  let changeVisibility = 0;
  let sendInvocations = 0;
  let sendMs = 0;
  const queue = new LocalFairQueue<string>({
    batchSize: REDELIVERY_POLICY.batchSize,
    workers: BATCH_WORKERS,
    maxReceiveCount: REDELIVERY_POLICY.maxReceiveCount,
    fair: true,
    async consume(batch) {
      sendInvocations += 1;
      const started = performance.now();
      const { batchItemFailures } = await handler({ Records: batch.map((message) => sqsRecordOf(message.payload)) });
      sendMs += Math.ceil(performance.now() - started);
      if (batchItemFailures.length > 0) throw new Error('cost run: a send was not sent');
      return [];
    },
    deadLetter: () => undefined,
  });
  let intakeBatches = 0;
  const intake = new SendIntake({
    publisher,
    logger,
    queue: {
      async enqueue(batch) {
        intakeBatches += 1;
        queue.enqueue(batch.map((message) => ({ id: message.id, group: message.group, payload: message.body })));
        return { failedIds: [] };
      },
    },
  });

  const run = randomUUID().slice(0, 8);
  const sdk = countSdkCommands();
  const logs = countLogBytes();
  let intakeMs = 0;
  try {
    for (let start = 0; start < messages; start += REDELIVERY_POLICY.batchSize) {
      const events = Array.from({ length: Math.min(REDELIVERY_POLICY.batchSize, messages - start) }, (_, offset) => {
        const index = start + offset;
        const messageId = `${run}-cost-${index}`;
        return eventBridgeEvent(
          messageId,
          'bench',
          EMAIL_SEND_REQUESTED,
          detail(tenants[index % tenants.length] as string, messageId),
        );
      });
      const started = performance.now();
      await intake.accept(events);
      intakeMs += Math.ceil(performance.now() - started) + ASSUMPTIONS.intakeSqsCallMs;
    }
    await queue.idle();
  } finally {
    logs.stop();
    sdk.stop();
  }
  const count = (name: RegExp, table?: string) =>
    [...sdk.counts]
      .filter(([key]) => name.test(key.split(':')[0] ?? '') && (table === undefined || key.split(':')[1] === table))
      .reduce((sum, [, value]) => sum + value, 0);
  const ledger = world.settings.ledger.tableName;
  const writes = count(/^(Put|Update|Delete)(Item)?Command$/);
  // Each write of a ledger item also writes its tenant/time index entry (projection ALL).
  const ledgerWrites = count(/^(Put|Update|Delete)(Item)?Command$/, ledger);
  const strongReads = [...sdk.counts]
    .filter(([key]) => /^Get(Item)?Command$/.test(key.split(':')[0] ?? '') && key.endsWith(':strong'))
    .reduce((sum, [, value]) => sum + value, 0);
  const reads = count(/^Get(Item)?Command$/);
  const intakeInvocations = intakeBatches;
  const perMessage: PerMessageOperations = {
    // The outcome events this service puts on its bus (counted per entry; calls are shared). The
    // request event is the publishing automation's, put on the bus once whatever this service does.
    eventBridgeEvents: (sdk.counts.get('PutEventsCommand:entries') ?? 0) / messages,
    // EventBridge → intake queue (1 per event); the intake's receive and delete per batch; its SendMessageBatch;
    // the send queue's receive and delete per batch; redelivery delays.
    sqsRequests: (messages + 2 * intakeInvocations + intakeBatches + 2 * sendInvocations + changeVisibility) / messages,
    dynamoWriteUnits: (writes + ledgerWrites) / messages,
    dynamoReadUnits: (strongReads + (reads - strongReads) * 0.5) / messages,
    kmsRequests: decrypts / messages,
    lambdaInvocations: (intakeInvocations + sendInvocations) / messages,
    lambdaGbSeconds: (((intakeMs + sendMs) / 1000) * ASSUMPTIONS.memoryGb) / messages,
    logBytes: (logs.bytes() + (intakeInvocations + sendInvocations) * ASSUMPTIONS.platformLogBytes) / messages,
    xrayTraces: ((intakeInvocations + sendInvocations) * ASSUMPTIONS.xraySampling) / messages,
  };
  const million = 1e6;
  const dollarsPerMillion = {
    EventBridge: perMessage.eventBridgeEvents * PRICES.eventBridgeEvent * million,
    SQS: perMessage.sqsRequests * PRICES.sqsRequest * million,
    DynamoDB:
      (perMessage.dynamoWriteUnits * PRICES.dynamoWriteUnit + perMessage.dynamoReadUnits * PRICES.dynamoReadUnit) *
      million,
    KMS: perMessage.kmsRequests * PRICES.kmsRequest * million,
    Lambda:
      (perMessage.lambdaInvocations * PRICES.lambdaRequest + perMessage.lambdaGbSeconds * PRICES.lambdaArmGbSecond) *
      million,
    'CloudWatch Logs': ((perMessage.logBytes * million) / 1024 ** 3) * PRICES.logsGb,
    'X-Ray': perMessage.xrayTraces * PRICES.xrayTrace * million,
  };
  return {
    messages,
    perMessage,
    dollarsPerMillion,
    totalPerMillion: Object.values(dollarsPerMillion).reduce((sum, value) => sum + value, 0),
  };
}
