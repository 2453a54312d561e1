import type { SQSRecord } from 'aws-lambda';
import { EMAIL_SEND_REQUESTED } from '../../shared/sending/send-request.js';

/** The publisher the records below come from by default. */
export const publisher = { source: 'app.automations', account: '111122223333' };

/** An SQS record carrying an EventBridge event, as the rule's SQS target delivers it. */
export function eventRecord(
  id: string,
  detail: unknown,
  options: { receiveCount?: number; detailType?: string; source?: string; account?: string; body?: string } = {},
): SQSRecord {
  const event = {
    version: '0',
    id,
    'detail-type': options.detailType ?? EMAIL_SEND_REQUESTED,
    source: options.source ?? publisher.source,
    account: options.account ?? publisher.account,
    time: '2026-11-26T00:00:00Z',
    region: 'eu-central-1',
    resources: [],
    detail,
  };
  return {
    messageId: `sqs-${id}`,
    receiptHandle: `handle-${id}`,
    body: options.body ?? JSON.stringify(event),
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: '0',
      SenderId: 'events.amazonaws.com',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-central-1:111122223333:send',
    awsRegion: 'eu-central-1',
  };
}
