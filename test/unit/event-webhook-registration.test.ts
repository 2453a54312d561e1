import { generateKeyPairSync } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  EventWebhookRegistrationError,
  EventWebhookRegistrations,
  newWebhookId,
  WEBHOOK_ID_PATTERN,
} from '../../shared/feedback/event-webhook-registration.js';
import { EventWebhookStore } from '../../shared/feedback/event-webhook-store.js';

const documents = mockClient(DynamoDBDocumentClient);
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const spki = (namedCurve: string) =>
  generateKeyPairSync('ec', { namedCurve }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const p256Key = spki('prime256v1');

function registrations(ids: string[] = ['A'.repeat(32), 'B'.repeat(32)]) {
  const queue = [...ids];
  return new EventWebhookRegistrations({
    store: new EventWebhookStore({ tableName: 'webhooks', client: documents as unknown as DynamoDBDocumentClient }),
    publicBaseUrl: 'https://api.example.com/',
    now: () => new Date('2026-11-26T10:00:00.000Z'),
    newId: () => queue.shift() ?? 'Z'.repeat(32),
  });
}

const stored = {
  pk: 'tenant#tenant-a#sendgrid',
  tenantId: 'tenant-a',
  provider: 'sendgrid',
  webhookId: 'O'.repeat(32),
  publicKey: p256Key,
  publicKeyFingerprint: 'SHA256:old',
  createdAt: '2026-11-25T10:00:00.000Z',
  updatedAt: '2026-11-25T10:00:00.000Z',
  lastEventAt: null,
  revision: 3,
};

async function refusal(promise: Promise<unknown>): Promise<EventWebhookRegistrationError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(EventWebhookRegistrationError);
  return error as EventWebhookRegistrationError;
}

describe('newWebhookId', () => {
  it('makes 32-character base64url ids that differ every time', () => {
    const ids = new Set(Array.from({ length: 100 }, newWebhookId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(WEBHOOK_ID_PATTERN);
  });
});

describe('EventWebhookRegistrations', () => {
  beforeEach(() => documents.reset());

  it('registers a P-256 key: a fresh lookup from the URL’s id, then the registration, both create-only', async () => {
    documents.on(GetCommand).resolves({});
    documents.on(PutCommand).resolves({});
    const { created, view } = await registrations().register('tenant-a', p256Key);
    expect(created).toBe(true);
    expect(view).toEqual({
      url: `https://api.example.com/webhooks/sendgrid/${'A'.repeat(32)}`,
      publicKeyFingerprint: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/),
      lastEventAt: null,
    });
    const [lookup, registration] = documents.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(lookup).toMatchObject({
      Item: { pk: `webhook#${'A'.repeat(32)}`, tenantId: 'tenant-a', provider: 'sendgrid' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    expect(registration).toMatchObject({
      Item: { pk: 'tenant#tenant-a#sendgrid', webhookId: 'A'.repeat(32), publicKey: p256Key, revision: 1 },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('replaces the key and keeps the URL, on the revision it read', async () => {
    documents.on(GetCommand).resolves({ Item: stored });
    documents.on(PutCommand).resolves({});
    const { created, view } = await registrations().register('tenant-a', p256Key);
    expect(created).toBe(false);
    expect(view.url).toBe(`https://api.example.com/webhooks/sendgrid/${'O'.repeat(32)}`);
    const puts = documents.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({
      Item: { revision: 4, webhookId: 'O'.repeat(32) },
      ConditionExpression: 'revision = :expected',
      ExpressionAttributeValues: { ':expected': 3 },
    });
  });

  it('refuses text that is not SendGrid’s verification key with 422 and a fix, storing nothing', async () => {
    for (const key of ['not a key', Buffer.from('hello').toString('base64'), spki('secp384r1')]) {
      const error = await refusal(registrations().register('tenant-a', key));
      expect(error.code).toBe('invalid_webhook_key');
      expect(error.extensions).toEqual({ field: 'publicKey' });
      expect(error.detail).toContain('Signature Verification');
    }
    expect(documents.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('removes its fresh lookup when a concurrent first registration won, and says conflict', async () => {
    documents.on(GetCommand).resolves({});
    // The lookup is written; the registration finds one already there.
    documents.on(PutCommand).resolvesOnce({}).rejects(conditionFailed());
    documents.on(DeleteCommand).resolves({});
    const error = await refusal(registrations().register('tenant-a', p256Key));
    expect(error.code).toBe('conflict');
    expect(documents.commandCalls(DeleteCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: `webhook#${'A'.repeat(32)}` },
      ExpressionAttributeValues: { ':tenantId': 'tenant-a' },
    });
  });

  it('re-issues the URL: new lookup, registration moved to it, the old lookup removed', async () => {
    documents.on(GetCommand).resolves({ Item: stored });
    documents.on(PutCommand).resolves({});
    documents.on(DeleteCommand).resolves({});
    const view = await registrations().rotateUrl('tenant-a');
    expect(view.url).toBe(`https://api.example.com/webhooks/sendgrid/${'A'.repeat(32)}`);
    const puts = documents.commandCalls(PutCommand).map((call) => call.args[0].input);
    expect(puts.map((put) => put.Item?.pk)).toEqual([`webhook#${'A'.repeat(32)}`, 'tenant#tenant-a#sendgrid']);
    expect(puts[1]).toMatchObject({ Item: { webhookId: 'A'.repeat(32), revision: 4 } });
    expect(documents.commandCalls(DeleteCommand)[0]?.args[0].input.Key).toEqual({ pk: `webhook#${'O'.repeat(32)}` });
  });

  it('deletes the registration on the revision it read, then its URL’s lookup', async () => {
    documents.on(GetCommand).resolves({ Item: stored });
    documents.on(DeleteCommand).resolves({});
    await registrations().remove('tenant-a');
    const deletes = documents.commandCalls(DeleteCommand).map((call) => call.args[0].input);
    expect(deletes.map((command) => command.Key)).toEqual([
      { pk: 'tenant#tenant-a#sendgrid' },
      { pk: `webhook#${'O'.repeat(32)}` },
    ]);
    expect(deletes[0]).toMatchObject({ ExpressionAttributeValues: { ':expected': 3 } });
  });

  it('answers 404 webhook_not_found to get, rotate and delete without a registration', async () => {
    documents.on(GetCommand).resolves({});
    for (const call of [
      registrations().get('tenant-a'),
      registrations().rotateUrl('tenant-a'),
      registrations().remove('tenant-a'),
    ]) {
      expect((await refusal(call)).code).toBe('webhook_not_found');
    }
  });
});
