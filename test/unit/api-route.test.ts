import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { apiRoute } from '../../shared/http/api-route.js';
import { saveIntegrationBody } from '../../shared/http/api-schemas.js';
import { IntegrationError } from '../../shared/integrations/integration-use-cases.js';

const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const environment = { tenantClaim: 'custom:tenant_id', logger };
const apiKey = `SG.${'k'.repeat(22)}.${'s'.repeat(43)}`;

function event(options: { body?: string; claims?: Record<string, unknown>; contentType?: string }) {
  return {
    headers: options.contentType === undefined ? {} : { 'content-type': options.contentType },
    body: options.body,
    isBase64Encoded: false,
    requestContext: { authorizer: { jwt: { claims: options.claims ?? { 'custom:tenant_id': 'tenant-a' } } } },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

const context = { getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

function problem(result: { statusCode?: number; headers?: Record<string, unknown>; body?: string }) {
  expect(result.headers?.['content-type']).toBe('application/problem+json');
  return { status: result.statusCode, ...(JSON.parse(result.body ?? '{}') as Record<string, unknown>) };
}

describe('apiRoute', () => {
  it('passes the tenant from the authorizer claim and the parsed body to the use case', async () => {
    const handle = vi.fn(async () => ({ status: 201, body: { ok: true } }));
    const handler = apiRoute(environment, { body: saveIntegrationBody }, handle);

    const result = await handler(
      event({ body: JSON.stringify({ apiKey, emails: ['info@acme.example'] }), contentType: 'application/json' }),
      context,
    );

    expect(handle).toHaveBeenCalledWith({ tenantId: 'tenant-a', body: { apiKey, emails: ['info@acme.example'] } });
    expect(result).toMatchObject({ statusCode: 201, body: '{"ok":true}' });
    expect(result.headers?.['content-type']).toBe('application/json');
  });

  it.each([
    ['no claim', {}],
    ['an empty claim', { 'custom:tenant_id': '' }],
    ['a claim with a newline', { 'custom:tenant_id': 'a\nb' }],
  ])('answers 401 unauthorized for %s, without calling the use case', async (_label, claims) => {
    const handle = vi.fn();
    const handler = apiRoute(environment, {}, handle);

    const result = await handler(event({ claims }), context);

    expect(problem(result)).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(handle).not.toHaveBeenCalled();
  });

  it.each([
    ['invalid JSON', '{"apiKey":', 'body'],
    ['a missing field', JSON.stringify({ apiKey }), 'emails'],
    ['a wrong type', JSON.stringify({ apiKey: 42, emails: ['info@acme.example'] }), 'apiKey'],
    ['an unknown field', JSON.stringify({ apiKey, emails: ['info@acme.example'], tenantId: 'other' }), 'tenantId'],
    ['an invalid address', JSON.stringify({ apiKey, emails: ['info@acme.example\r\nBcc: x@y.example'] }), 'emails.0'],
    ['a repeated address', JSON.stringify({ apiKey, emails: ['info@acme.example', 'INFO@acme.example'] }), 'emails'],
    ['no senders', JSON.stringify({ apiKey, emails: [] }), 'emails'],
    [
      '51 senders',
      JSON.stringify({ apiKey, emails: Array.from({ length: 51 }, (_, i) => `s${i}@acme.example`) }),
      'emails',
    ],
    ['an unknown region', JSON.stringify({ apiKey, emails: ['info@acme.example'], region: 'us' }), 'region'],
    [
      'a body over the limit',
      JSON.stringify({ apiKey, emails: ['info@acme.example'], pad: 'x'.repeat(40_000) }),
      'body',
    ],
  ])('answers 400 invalid_request naming the field for %s', async (_label, body, field) => {
    const handle = vi.fn();
    const handler = apiRoute(environment, { body: saveIntegrationBody }, handle);

    const result = await handler(event({ body }), context);

    expect(problem(result)).toMatchObject({ status: 400, code: 'invalid_request', field });
    expect(handle).not.toHaveBeenCalled();
  });

  it('refuses a non-JSON content type', async () => {
    const handler = apiRoute(environment, { body: saveIntegrationBody }, vi.fn());

    const result = await handler(
      event({ body: 'apiKey=x', contentType: 'application/x-www-form-urlencoded' }),
      context,
    );

    expect(problem(result)).toMatchObject({ status: 400, code: 'invalid_request' });
  });

  it('maps a domain error to its status and keeps its extensions', async () => {
    const handler = apiRoute(environment, {}, async () => {
      throw new IntegrationError('sender_not_authenticated', 'fix it', { extensions: { emails: ['a@b.example'] } });
    });

    const result = await handler(event({}), context);

    expect(problem(result)).toEqual({
      status: 422,
      type: 'urn:email-integrations:problem:sender_not_authenticated',
      title: 'Sender not at an authenticated domain',
      code: 'sender_not_authenticated',
      detail: 'fix it',
      emails: ['a@b.example'],
    });
  });

  it('hides unexpected errors behind a generic 500', async () => {
    const handler = apiRoute(environment, {}, async () => {
      throw new Error(`database password is hunter2, key ${apiKey}`);
    });

    const result = await handler(event({}), context);

    expect(problem(result)).toMatchObject({ status: 500, code: 'internal_error' });
    expect(result.body).not.toContain('hunter2');
    expect(result.body).not.toContain(apiKey);
  });
});
