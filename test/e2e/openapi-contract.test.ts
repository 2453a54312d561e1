import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountSigningKey, signPayload } from '../../local/sendgrid-sandbox/webhook-signing.js';
import { ROUTE_CONTRACTS } from '../../shared/http/api-contract.js';
import { API_ROUTES } from '../../shared/http/api-routes.js';
import { buildOpenApiDocument } from '../../shared/http/openapi-document.js';
import { type ApiAnswer, type LocalService, startLocalService } from './local-service.js';

type JsonObject = Record<string, unknown>;

let service: LocalService;
let document: JsonObject;
const ajv = new Ajv2020({ strict: false, allErrors: true });
const checked: string[] = [];

beforeAll(async () => {
  service = await startLocalService();
  const served = await service.as(undefined).call('GET', '/openapi.json');
  expect(served.status).toBe(200);
  document = served.body as JsonObject;
  // Register the components so `$ref: #/components/schemas/X` resolves.
  ajv.addSchema({ $id: 'openapi', components: (document as { components: JsonObject }).components }, 'openapi');
});
afterAll(() => service?.close());

const key = (name: string) => service.sandbox.key(name).apiKey;

/** Validates a real answer against what the document says that route answers with that status. */
function expectDocumented(method: string, path: string, answer: ApiAnswer): void {
  path = path.split('?')[0] ?? path;
  const operation = ((document.paths as JsonObject)[path] as JsonObject | undefined)?.[method.toLowerCase()] as
    | { responses: Record<string, { content?: Record<string, { schema: JsonObject }> }> }
    | undefined;
  expect(operation, `${method} ${path} is documented`).toBeDefined();
  const response = operation?.responses[String(answer.status)];
  expect(response, `${method} ${path} documents status ${answer.status} (${answer.text.slice(0, 200)})`).toBeDefined();
  const mediaType = answer.contentType?.split(';')[0] ?? '';
  if (answer.status === 204) {
    expect(response?.content).toBeUndefined();
    expect(answer.text).toBe('');
  } else {
    const schema = response?.content?.[mediaType]?.schema;
    expect(schema, `${method} ${path} ${answer.status} documents ${mediaType}`).toBeDefined();
    const validate = ajv.compile(rewriteRefs(schema as JsonObject));
    const valid = validate(answer.body);
    expect(valid, `${method} ${path} ${answer.status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  }
  checked.push(`${method} ${path} ${answer.status}`);
}

/** Points `#/components/…` at the registered document. */
function rewriteRefs(schema: JsonObject): JsonObject {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')) as JsonObject;
}

/** Calls a route and checks the answer against the document. */
async function replay(tenant: string | undefined, method: string, path: string, body?: unknown, template?: string) {
  const answer = await service.as(tenant).call(method, path, body);
  expectDocumented(method, template ?? path, answer);
  return answer;
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and documents every route with its contract', () => {
    expect(document.openapi).toBe('3.1.0');
    for (const route of API_ROUTES) {
      expect(ROUTE_CONTRACTS[route.handler], route.handler).toBeDefined();
      expect((document.paths as JsonObject)[route.path], route.path).toHaveProperty(route.method.toLowerCase());
    }
  });

  it('is the file in docs/ (run `npm run openapi` after changing a schema)', () => {
    const written = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'));
    expect(written).toEqual(buildOpenApiDocument());
  });

  it('describes every real answer of every route, successes and problems', async () => {
    const tenant = 'contract-tenant';
    const emails = ['info@acme.example', 'noreply@acme.example'];
    await replay(tenant, 'GET', '/integrations/sendgrid');
    await replay(undefined, 'GET', '/integrations/sendgrid');
    await replay(tenant, 'POST', '/integrations/sendgrid/verify', { apiKey: key('good') });
    await replay(tenant, 'POST', '/integrations/sendgrid/verify', { apiKey: key('good-with-senders') });
    await replay(tenant, 'POST', '/integrations/sendgrid/verify', { apiKey: 'nope' });
    await replay(tenant, 'POST', '/integrations/sendgrid/verify', { apiKey: key('missing-mail-send') });
    await replay(tenant, 'POST', '/integrations/sendgrid/verify', { apiKey: key('full-access') });
    await replay(tenant, 'POST', '/integrations/sendgrid/verify', { apiKey: key('billing') });
    await replay(tenant, 'POST', '/integrations/sendgrid/verify', { apiKey: key('revoked') });
    await replay(tenant, 'POST', '/integrations/sendgrid/verify', { apiKey: key('no-domain') });
    await replay(tenant, 'POST', '/integrations/sendgrid/verify', { apiKey: 42 });
    service.sandbox.injectFault({ path: '/v3/scopes', status: 503 });
    await replay(tenant, 'POST', '/integrations/sendgrid/verify', { apiKey: key('good') });
    await replay(tenant, 'POST', '/integrations/sendgrid/rotate', { apiKey: key('good') });
    await replay(tenant, 'PUT', '/integrations/sendgrid/emails', { emails });
    await replay(tenant, 'DELETE', '/integrations/sendgrid');
    await replay(tenant, 'POST', '/integrations/sendgrid/test', { to: 'me@customer.example' });
    await replay(tenant, 'PUT', '/integrations/sendgrid', { apiKey: key('good'), emails: ['x@old.acme.example'] });
    await replay(tenant, 'PUT', '/integrations/sendgrid', { apiKey: key('good'), emails });
    await replay(tenant, 'PUT', '/integrations/sendgrid', { apiKey: key('good'), emails });
    await replay(tenant, 'GET', '/integrations/sendgrid');
    await replay(tenant, 'PUT', '/integrations/sendgrid/emails', { emails: ['sales@news.acme.example'] });
    await replay(tenant, 'PUT', '/integrations/sendgrid/emails', { emails: ['a@b'] });
    await replay(tenant, 'POST', '/integrations/sendgrid/rotate', { apiKey: key('good-second') });
    await replay(tenant, 'POST', '/integrations/sendgrid/rotate', { apiKey: key('other-account') });
    await replay(tenant, 'POST', '/integrations/sendgrid/test', { to: 'me@customer.example', sandbox: true });
    await replay(tenant, 'POST', '/integrations/sendgrid/test', { to: 'me@customer.example', from: 'x@acme.example' });
    await replay(tenant, 'DELETE', '/integrations/sendgrid');
    await replay(tenant, 'DELETE', '/integrations/sendgrid');
    await service.as(undefined).call('POST', '/local/events', {
      Entries: [
        {
          Source: 'app.automations',
          DetailType: 'Email Send Requested',
          Detail: JSON.stringify({
            tenantId: tenant,
            messageId: 'contract-message',
            audience: 'customer',
            to: [{ email: 'me@customer.example' }],
            subject: 'Hi',
            text: 'Hi',
          }),
        },
      ],
    });
    await replay(tenant, 'GET', '/messages');
    await replay(tenant, 'GET', '/messages?limit=0');
    await replay(tenant, 'GET', '/messages/contract-message', undefined, '/messages/{messageId}');
    await replay(tenant, 'GET', '/messages/absent', undefined, '/messages/{messageId}');

    // The SendGrid Event Webhook registration.
    const webhook = '/integrations/sendgrid/event-webhook';
    const { publicKey } = service.sandbox.setEventWebhook('acme', { url: 'http://127.0.0.1:9/contract' });
    await replay(tenant, 'GET', webhook);
    await replay(tenant, 'PUT', webhook, { publicKey: 'not-a-key' });
    await replay(tenant, 'PUT', webhook, { publicKey });
    await replay(tenant, 'PUT', webhook, { publicKey });
    await replay(tenant, 'GET', webhook);
    await replay(tenant, 'POST', `${webhook}/rotate-url`);
    await replay(tenant, 'DELETE', webhook);
    await replay(tenant, 'DELETE', webhook);
    await replay(tenant, 'POST', `${webhook}/rotate-url`);

    // The public webhook route: SendGrid's signed batch, and what it refuses.
    const registered = await replay(tenant, 'PUT', webhook, { publicKey });
    const receive = async (body: string, signedBody = body) => {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const answer = await service.as(undefined).call('POST', new URL(String(registered.body.url)).pathname, body, {
        'X-Twilio-Email-Event-Webhook-Signature': signPayload(
          accountSigningKey('acme').privateKey,
          timestamp,
          Buffer.from(signedBody),
        ),
        'X-Twilio-Email-Event-Webhook-Timestamp': timestamp,
      });
      expectDocumented('POST', '/webhooks/sendgrid/{webhookId}', answer);
    };
    const events = JSON.stringify([
      {
        email: 'me@customer.example',
        timestamp: Math.floor(Date.now() / 1000),
        event: 'delivered',
        sg_event_id: 'contract-event',
        messageId: 'contract-message',
      },
    ]);
    await receive(events);
    await receive(events, '[]');
    await receive('{"not":"a batch"}');

    // Amazon SES domains: path parameters are documented by their template.
    const ses = async (who: string | undefined, method: string, template: string, domain: string, body?: unknown) => {
      const answer = await service.as(who).call(method, template.replace('{domain}', domain), body);
      expectDocumented(method, template, answer);
      return answer;
    };
    const domains = '/integrations/ses/domains';
    const one = '/integrations/ses/domains/{domain}';
    await ses(tenant, 'POST', domains, '', { domain: 'contract.example' });
    await ses(tenant, 'POST', domains, '', { domain: 'contract.example' });
    await ses(tenant, 'POST', domains, '', { domain: 'gone.example' });
    await ses(tenant, 'POST', domains, '', { domain: 'gmail.com' });
    await ses(tenant, 'GET', domains, '');
    await ses(undefined, 'GET', domains, '');
    await ses(tenant, 'GET', one, 'contract.example');
    await ses(tenant, 'GET', one, 'nope.example');
    await ses(tenant, 'POST', `${one}/check`, 'nope.example');
    await ses(tenant, 'POST', '/integrations/ses/activate', '', { emails: ['hello@contract.example'] });
    const sandboxUrl = service.runtime.ses.ses?.url;
    await fetch(`${sandboxUrl}/__ses/dns/identities/contract.example`, { method: 'POST' });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      await service.runtime.ses.ses?.checkNow();
      const checked = await ses(tenant, 'POST', `${one}/check`, 'contract.example');
      if (checked.body.status === 'verified') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await ses(tenant, 'POST', '/integrations/ses/activate', '', { emails: ['hello@contract.example'] });
    await ses(tenant, 'DELETE', one, 'contract.example');
    await ses(tenant, 'DELETE', one, 'gone.example');
    // Suppression lists: the address is the path parameter.
    const suppression = '/suppressions/{email}';
    const address = (email: string) => suppression.replace('{email}', encodeURIComponent(email));
    await replay(tenant, 'PUT', address('held@customer.example'), undefined, suppression);
    await replay(tenant, 'PUT', address('held@customer.example'), undefined, suppression);
    await replay(tenant, 'PUT', address('not-an-address'), undefined, suppression);
    await replay(tenant, 'GET', '/suppressions');
    await replay(tenant, 'GET', '/suppressions?limit=1000');
    await replay(tenant, 'DELETE', address('held@customer.example'), undefined, suppression);
    await replay(tenant, 'DELETE', address('held@customer.example'), undefined, suppression);
    // Every route was exercised, with at least one success and one problem.
    for (const route of API_ROUTES) {
      const statuses = checked.filter((entry) => entry.startsWith(`${route.method} ${route.path} `));
      expect(
        statuses.some((entry) => /\s2\d\d$/.test(entry)),
        `${route.method} ${route.path} success`,
      ).toBe(true);
      expect(
        statuses.some((entry) => /\s[45]\d\d$/.test(entry)),
        `${route.method} ${route.path} problem`,
      ).toBe(true);
    }
  });
});
