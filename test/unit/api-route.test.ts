import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { apiRoute } from '../../shared/http/api-route.js';
import { saveIntegrationBody } from '../../shared/http/api-schemas.js';
import type { ClaimResult, IdempotencyStore, StoredAnswer } from '../../shared/http/idempotency-store.js';
import { IntegrationError } from '../../shared/integrations/integration-use-cases.js';
import { message } from '../../shared/message-catalog.js';
import { createLogger, serviceLogger } from '../../shared/observability/logger.js';

const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const environment = { tenantClaim: 'custom:tenant_id', logger };
const apiKey = `SG.${'k'.repeat(22)}.${'s'.repeat(43)}`;

function event(options: {
  body?: string;
  claims?: Record<string, unknown>;
  contentType?: string;
  headers?: Record<string, string>;
}) {
  return {
    headers: {
      ...(options.contentType === undefined ? {} : { 'content-type': options.contentType }),
      ...options.headers,
    },
    rawPath: '/integrations/sendgrid',
    body: options.body,
    isBase64Encoded: false,
    requestContext: {
      http: { method: 'PUT' },
      authorizer: { jwt: { claims: options.claims ?? { 'custom:tenant_id': 'tenant-a' } } },
    },
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

    expect(handle).toHaveBeenCalledWith({
      tenantId: 'tenant-a',
      body: { apiKey, emails: ['info@acme.example'] },
      headers: {},
      language: 'en',
    });
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

  it('answers problems in the language Accept-Language asks for, saying which in Content-Language', async () => {
    const handler = apiRoute(environment, {}, async () => {
      throw new IntegrationError('not_found', message('not_found'));
    });

    const german = await handler(event({ headers: { 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' } }), context);
    const french = await handler(event({ headers: { 'accept-language': 'fr-FR' } }), context);

    expect(german.headers?.['content-language']).toBe('de');
    expect(problem(german)).toMatchObject({
      code: 'not_found',
      title: 'Keine Integration',
      detail: expect.stringContaining('Dieser Mandant hat keine E-Mail-Integration'),
    });
    expect(french.headers?.['content-language']).toBe('en');
    expect(problem(french)).toMatchObject({ code: 'not_found', title: 'No integration' });
  });

  it('passes If-Match, If-None-Match and the negotiated language to the use case', async () => {
    const handle = vi.fn(async () => ({ status: 200, body: { ok: true }, headers: { etag: '"v2"' } }));
    const handler = apiRoute(environment, {}, handle);

    const result = await handler(
      event({ headers: { 'if-match': '"v1"', 'if-none-match': '*', 'accept-language': 'de' } }),
      context,
    );

    expect(handle).toHaveBeenCalledWith(
      expect.objectContaining({ headers: { ifMatch: '"v1"', ifNoneMatch: '*' }, language: 'de' }),
    );
    expect(result.headers).toMatchObject({ etag: '"v2"', 'content-language': 'de' });
  });

  describe('with an Idempotency-Key', () => {
    const body = JSON.stringify({ apiKey, emails: ['info@acme.example'] });
    const withKey = (key: string, payload = body) =>
      event({ body: payload, contentType: 'application/json', headers: { 'idempotency-key': key } });

    it('runs the use case once and replays its answer for the same request', async () => {
      const handle = vi.fn(async () => ({ status: 201, body: { saved: 1 }, headers: { etag: '"v1"' } }));
      const handler = apiRoute(
        environment,
        { body: saveIntegrationBody, idempotency: new MemoryIdempotencyStore() },
        handle,
      );

      const first = await handler(withKey('key-1'), context);
      const second = await handler(withKey('key-1'), context);

      expect(handle).toHaveBeenCalledTimes(1);
      expect(second).toMatchObject({ statusCode: 201, body: first.body });
      expect(second.headers).toMatchObject({ etag: '"v1"', 'idempotent-replayed': 'true' });
    });

    it('refuses the same key with a different body (422 idempotency_key_reused)', async () => {
      const handle = vi.fn(async () => ({ status: 201, body: { saved: 1 } }));
      const handler = apiRoute(
        environment,
        { body: saveIntegrationBody, idempotency: new MemoryIdempotencyStore() },
        handle,
      );

      await handler(withKey('key-2'), context);
      const other = await handler(
        withKey('key-2', JSON.stringify({ apiKey, emails: ['noreply@acme.example'] })),
        context,
      );

      expect(problem(other)).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
      expect(handle).toHaveBeenCalledTimes(1);
    });

    it('forgets a request that failed, so sending it again runs it again', async () => {
      const handle = vi
        .fn()
        .mockRejectedValueOnce(new IntegrationError('conflict', message('conflict')))
        .mockResolvedValueOnce({ status: 201, body: { saved: 1 } });
      const handler = apiRoute(
        environment,
        { body: saveIntegrationBody, idempotency: new MemoryIdempotencyStore() },
        handle,
      );

      expect(problem(await handler(withKey('key-3'), context))).toMatchObject({ status: 409 });
      expect(await handler(withKey('key-3'), context)).toMatchObject({ statusCode: 201 });
      expect(handle).toHaveBeenCalledTimes(2);
    });

    it('refuses a malformed key and leaves requests without one alone', async () => {
      const handle = vi.fn(async () => ({ status: 201, body: { saved: 1 } }));
      const handler = apiRoute(
        environment,
        { body: saveIntegrationBody, idempotency: new MemoryIdempotencyStore() },
        handle,
      );

      expect(problem(await handler(withKey('has spaces'), context))).toMatchObject({
        status: 400,
        code: 'invalid_request',
        field: 'Idempotency-Key',
      });
      await handler(event({ body, contentType: 'application/json' }), context);
      await handler(event({ body, contentType: 'application/json' }), context);
      expect(handle).toHaveBeenCalledTimes(2);
    });
  });
});

describe('apiRoute logging', () => {
  const lambdaContext = {
    functionName: 'get-sendgrid-integration',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:get-sendgrid-integration',
    memoryLimitInMB: '512',
    awsRequestId: 'request-1234',
    getRemainingTimeInMillis: () => 10_000,
  } as unknown as Context;
  let lines: Array<Record<string, unknown>>;

  beforeEach(() => {
    lines = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        return true;
      });
    }
  });

  it('tags a line a use case logs with the request id, cold start and tenant', async () => {
    const logger = serviceLogger();
    const handler = apiRoute({ tenantClaim: 'custom:tenant_id', logger }, {}, async () => {
      serviceLogger().info('use case ran');
      return { status: 204 };
    });

    await handler(event({ claims: { 'custom:tenant_id': 'tenant-log' } }), lambdaContext);

    expect(lines.find((line) => line.message === 'use case ran')).toMatchObject({
      tenantId: 'tenant-log',
      function_request_id: 'request-1234',
      cold_start: expect.any(Boolean),
    });
  });

  it('tags the refusal line with the tenant, and drops the tenant once the request ends', async () => {
    const logger = serviceLogger();
    const handler = apiRoute({ tenantClaim: 'custom:tenant_id', logger }, {}, async () => {
      throw new IntegrationError('not_found', 'No integration.');
    });

    await handler(event({ claims: { 'custom:tenant_id': 'tenant-gone' } }), lambdaContext);
    logger.info('between requests');

    expect(lines.find((line) => line.message === 'request refused')).toMatchObject({
      tenantId: 'tenant-gone',
      function_request_id: 'request-1234',
    });
    expect(lines.find((line) => line.message === 'between requests')).not.toHaveProperty('tenantId');
  });

  it('never logs the event, even when POWERTOOLS_LOGGER_LOG_EVENT asks for it', async () => {
    vi.stubEnv('POWERTOOLS_LOGGER_LOG_EVENT', 'true');
    const logger = createLogger();
    const handler = apiRoute({ tenantClaim: 'custom:tenant_id', logger }, { body: saveIntegrationBody }, async () => ({
      status: 200,
    }));

    await handler(
      event({ body: JSON.stringify({ apiKey, emails: ['info@acme.example'] }), contentType: 'application/json' }),
      lambdaContext,
    );
    vi.unstubAllEnvs();

    expect(JSON.stringify(lines)).not.toContain('info@acme.example');
    expect(lines.some((line) => line.message === 'Lambda invocation event')).toBe(false);
  });
});
/** An {@link IdempotencyStore} in memory, with the DynamoDB store's rules (no expiry needed here). */
class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly items = new Map<string, { fingerprint: string; answer?: StoredAnswer }>();

  async claim(tenantId: string, key: string, fingerprint: string): Promise<ClaimResult> {
    const item = this.items.get(`${tenantId}#${key}`);
    if (!item) {
      this.items.set(`${tenantId}#${key}`, { fingerprint });
      return { kind: 'claimed' };
    }
    if (item.fingerprint !== fingerprint) return { kind: 'reused' };
    return item.answer ? { kind: 'replay', answer: item.answer } : { kind: 'in_flight' };
  }

  async complete(tenantId: string, key: string, _fingerprint: string, answer: StoredAnswer): Promise<void> {
    const item = this.items.get(`${tenantId}#${key}`);
    if (item) item.answer = answer;
  }

  async release(tenantId: string, key: string): Promise<void> {
    this.items.delete(`${tenantId}#${key}`);
  }
}
