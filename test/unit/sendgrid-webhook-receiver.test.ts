import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventWebhookStore } from '../../shared/feedback/event-webhook-store.js';
import type { FeedbackQueuePort } from '../../shared/feedback/feedback-queue.js';
import type { FeedbackBatch } from '../../shared/feedback/provider-feedback.js';
import {
  MAX_WEBHOOK_BODY_BYTES,
  SendGridWebhookReceiver,
  WebhookRefusal,
} from '../../shared/feedback/sendgrid-webhook-receiver.js';

const documents = mockClient(DynamoDBDocumentClient);
const now = Date.parse('2026-11-26T10:00:00.000Z');
const webhookId = 'W'.repeat(32);

function keyPair(): { privateKey: KeyObject; publicKey: string } {
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privateKey: pair.privateKey,
    publicKey: pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  };
}
const tenantKey = keyPair();
const otherKey = keyPair();

function signed(body: string, privateKey = tenantKey.privateKey, timestamp = String(Math.floor(now / 1000))) {
  const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), privateKey);
  return {
    headers: {
      'x-twilio-email-event-webhook-signature': signature.toString('base64'),
      'x-twilio-email-event-webhook-timestamp': timestamp,
    },
    rawBody: Buffer.from(body),
  };
}

const batch = JSON.stringify([
  {
    email: 'jane@customer.example',
    timestamp: now / 1000,
    event: 'delivered',
    sg_event_id: 'ev-1',
    messageId: 'm-1',
    tenantId: 'someone-else',
  },
  { email: 'jane@customer.example', timestamp: now / 1000, event: 'open', sg_event_id: 'ev-2', messageId: 'm-1' },
]);

class MemoryQueue implements FeedbackQueuePort {
  batches: FeedbackBatch[] = [];
  async enqueue(queued: FeedbackBatch) {
    this.batches.push(queued);
  }
}

describe('SendGridWebhookReceiver', () => {
  let queue: MemoryQueue;
  let receiver: SendGridWebhookReceiver;
  const warnings: unknown[] = [];
  beforeEach(() => {
    documents.reset();
    warnings.length = 0;
    queue = new MemoryQueue();
    receiver = new SendGridWebhookReceiver({
      store: new EventWebhookStore({ tableName: 'webhooks', client: documents as unknown as DynamoDBDocumentClient }),
      queue,
      logger: { info: () => undefined, warn: (...args: unknown[]) => warnings.push(args) },
      now: () => now,
    });
    documents.on(GetCommand).resolves({});
    documents
      .on(GetCommand, { Key: { pk: `webhook#${webhookId}` } })
      .resolves({ Item: { pk: `webhook#${webhookId}`, webhookId, tenantId: 'tenant-a', provider: 'sendgrid' } });
    documents.on(GetCommand, { Key: { pk: 'tenant#tenant-a#sendgrid' } }).resolves({
      Item: { tenantId: 'tenant-a', provider: 'sendgrid', webhookId, publicKey: tenantKey.publicKey, revision: 1 },
    });
    documents.on(UpdateCommand).resolves({});
  });

  async function refusal(promise: Promise<unknown>): Promise<WebhookRefusal> {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(WebhookRefusal);
    return error as WebhookRefusal;
  }

  it('queues a signed batch under the tenant of the URL, never the tenant an event names', async () => {
    const { headers, rawBody } = signed(batch);
    expect(await receiver.receive(webhookId, headers, rawBody)).toBe(1);
    expect(queue.batches).toEqual([
      {
        provider: 'sendgrid',
        tenantId: 'tenant-a',
        events: [expect.objectContaining({ messageId: 'm-1', kind: 'delivered', claimedTenantId: 'someone-else' })],
      },
    ]);
    const touch = documents.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(touch).toMatchObject({
      Key: { pk: 'tenant#tenant-a#sendgrid' },
      ExpressionAttributeValues: { ':webhookId': webhookId, ':at': '2026-11-26T10:00:00.000Z' },
    });
  });

  it('refuses an unknown id, a forged body, another key’s signature and a stale timestamp alike', async () => {
    const good = signed(batch);
    const refusals = [
      await refusal(receiver.receive('U'.repeat(32), good.headers, good.rawBody)),
      await refusal(receiver.receive('not-an-id', good.headers, good.rawBody)),
      await refusal(receiver.receive(webhookId, good.headers, Buffer.from(batch.replace('delivered', 'bounce')))),
      await refusal(receiver.receive(webhookId, signed(batch, otherKey.privateKey).headers, good.rawBody)),
      await refusal(
        receiver.receive(
          webhookId,
          signed(batch, tenantKey.privateKey, String(now / 1000 - 301)).headers,
          good.rawBody,
        ),
      ),
      await refusal(receiver.receive(webhookId, {}, good.rawBody)),
    ];
    for (const refused of refusals) {
      expect(refused.code).toBe('webhook_forbidden');
      expect(refused.detail).toBe(refusals[0]?.detail);
    }
    expect(queue.batches).toEqual([]);
    expect(documents.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('refuses a URL whose id was re-issued even while its lookup lingers', async () => {
    documents.on(GetCommand, { Key: { pk: 'tenant#tenant-a#sendgrid' } }).resolves({
      Item: { tenantId: 'tenant-a', provider: 'sendgrid', webhookId: 'N'.repeat(32), publicKey: tenantKey.publicKey },
    });
    const { headers, rawBody } = signed(batch);
    expect((await refusal(receiver.receive(webhookId, headers, rawBody))).code).toBe('webhook_forbidden');
    expect(queue.batches).toEqual([]);
  });

  it('answers 413 for a body larger than any Event Webhook batch, before looking anything up', async () => {
    const refused = await refusal(receiver.receive(webhookId, {}, Buffer.alloc(MAX_WEBHOOK_BODY_BYTES + 1, 32)));
    expect(refused.code).toBe('payload_too_large');
    expect(documents.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('answers 400 for a correctly signed body that is not a JSON array', async () => {
    for (const body of ['{"not":"an array"}', '[{"event":']) {
      const { headers, rawBody } = signed(body);
      expect((await refusal(receiver.receive(webhookId, headers, rawBody))).code).toBe('invalid_request');
    }
    expect(queue.batches).toEqual([]);
  });

  it('never logs the URL’s id', async () => {
    const { headers, rawBody } = signed(batch);
    await refusal(receiver.receive('U'.repeat(32), headers, rawBody));
    expect(JSON.stringify(warnings)).not.toContain('U'.repeat(32));
  });
});
