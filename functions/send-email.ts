import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createLogger } from '../shared/observability/logger.js';
import { type RedeliveryScheduler, SendQueueConsumer } from '../shared/sending/send-queue-consumer.js';
import { emailDispatcher, requireEnv } from '../shared/service-dependencies.js';

const sqs = new SQSClient({});
const queueUrl = requireEnv('SEND_QUEUE_URL');

/** Holds a message back by changing its visibility timeout (SQS caps it at 12 hours). */
const redelivery: RedeliveryScheduler = {
  async delay(record, seconds) {
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  },
};

export const consumer = new SendQueueConsumer({ dispatcher: emailDispatcher(), redelivery, logger: createLogger() });

/** SQS → send: reports only the records to retry (partial batch response). */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const { batchItemFailures } = await consumer.consume(event.Records);
  return { batchItemFailures };
}
