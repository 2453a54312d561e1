import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createLogger } from '../shared/observability/logger.js';
import { emailDispatcher } from '../shared/sendgrid-dependencies.js';
import { countOutcomes } from '../shared/sending/send-metrics.js';
import { type RedeliveryScheduler, SendQueueConsumer } from '../shared/sending/send-queue-consumer.js';
import { requireEnv } from '../shared/service-dependencies.js';

const queueUrl = requireEnv('SEND_QUEUE_URL');
/** Loaded on the first retry only: most invocations never need SQS, so cold starts skip it. */
let sqs:
  | Promise<typeof import('@aws-sdk/client-sqs') & { client: import('@aws-sdk/client-sqs').SQSClient }>
  | undefined;
const sqsClient = () => {
  sqs ??= import('@aws-sdk/client-sqs').then((module) => ({ ...module, client: new module.SQSClient({}) }));
  return sqs;
};
const metrics = new Metrics({ namespace: 'EmailIntegrations', serviceName: 'email-integrations' });

/** Holds a message back by changing its visibility timeout (SQS caps it at 12 hours). */
const redelivery: RedeliveryScheduler = {
  async delay(record, seconds) {
    const { client, ChangeMessageVisibilityCommand } = await sqsClient();
    await client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  },
};

const consumer = new SendQueueConsumer({ dispatcher: emailDispatcher(), redelivery, logger: createLogger() });

/** SQS → send: reports only the records to retry (partial batch response) and counts every outcome. */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const { outcomes, batchItemFailures } = await consumer.consume(event.Records);
  countOutcomes(metrics, outcomes);
  metrics.publishStoredMetrics();
  return { batchItemFailures };
}
