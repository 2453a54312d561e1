import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;
let documents: DynamoDBDocumentClient;

beforeAll(async () => {
  service = await startLocalService();
  documents = service.documents();
});
afterAll(() => service?.close());

const key = (name: string) => service.sandbox.key(name).apiKey;
const item = async (tenantId: string) =>
  (
    await documents.send(
      new GetCommand({ TableName: service.runtime.dynamoDb.tables.integrations, Key: { tenantId, channel: 'email' } }),
    )
  ).Item as Record<string, unknown>;

describe('tenant isolation', () => {
  it('refuses tenant B every route on tenant A’s integration', async () => {
    expect((await service.as('iso-a').save(key('good'), ['info@acme.example'])).status).toBe(201);
    const b = service.as('iso-b');
    for (const answer of [
      await b.card(),
      await b.rotate(key('good-second')),
      await b.editEmails(['info@acme.example']),
      await b.remove(),
      await b.call('POST', '/integrations/sendgrid/test', { to: 'me@customer.example' }),
    ]) {
      expect(answer.status).toBe(404);
      expect(answer.body.code).toBe('not_found');
    }
    const events = await service.as(undefined).call('POST', '/local/events', {
      Entries: [
        {
          Source: 'app.automations',
          DetailType: 'Email Send Requested',
          Detail: JSON.stringify({
            tenantId: 'iso-b',
            messageId: 'iso-1',
            audience: 'customer',
            from: 'info@acme.example',
            to: [{ email: 'jane@customer.example' }],
            subject: 'Hi',
            text: 'Hi',
          }),
        },
      ],
    });
    expect((events.body.Entries as Array<Record<string, unknown>>)[0]).toMatchObject({
      outcome: 'failed',
      code: 'no_integration',
    });
    expect((await service.as('iso-a').card()).body).toMatchObject({ keyVersion: 1, status: 'active' });
  });

  it('cannot decrypt a ciphertext copied into another tenant’s item, and says so cleanly', async () => {
    expect((await service.as('copy-a').save(key('good'), ['info@acme.example'])).status).toBe(201);
    expect((await service.as('copy-b').save(key('other-account'), ['info@globex.example'])).status).toBe(201);
    const victim = await item('copy-a');
    const thief = await item('copy-b');
    // Someone with write access to the table moves A's encrypted key into B's item.
    await documents.send(
      new PutCommand({
        TableName: service.runtime.dynamoDb.tables.integrations,
        Item: { ...thief, secret: victim.secret },
      }),
    );
    const b = service.as('copy-b');
    const edit = await b.editEmails(['info@globex.example']);
    expect(edit.status).toBe(422);
    expect(edit.body.code).toBe('integration_unreadable');
    const test = await b.call('POST', '/integrations/sendgrid/test', { to: 'me@customer.example' });
    expect(test.status).toBe(422);
    expect(test.body.code).toBe('integration_unreadable');
    // Tenant A is untouched and still works.
    expect((await service.as('copy-a').editEmails(['noreply@acme.example'])).status).toBe(200);
  });
});
