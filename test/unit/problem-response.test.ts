import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { type ApiContext, problemResponses } from '../../shared/http/edge-middleware.js';
import { problemResponse } from '../../shared/http/problem-response.js';
import { UpstreamUnavailableError } from '../../shared/problem-catalog.js';

const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const event = {} as APIGatewayProxyEventV2WithJWTAuthorizer;
const context = { getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

/** A handler that throws `error`, behind the problem middleware and optionally another one. */
function failingHandler(error: Error, other?: middy.MiddlewareObj) {
  const handler = middy<APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Error, ApiContext>(
    async () => {
      throw error;
    },
  ).use(problemResponses({ logger }));
  if (other) handler.use(other as never);
  return handler;
}

const body = (result: APIGatewayProxyStructuredResultV2) => JSON.parse(result.body ?? '{}') as Record<string, unknown>;

describe('problemResponse', () => {
  it('shows a client error every extension', () => {
    const result = problemResponse('missing_scopes', 'Add the scope.', { missingScopes: ['mail.send'] });

    expect(body(result)).toMatchObject({ status: 422, missingScopes: ['mail.send'] });
  });

  it('shows a server error only whether and when to retry', () => {
    const result = problemResponse('upstream_unavailable', 'Try again.', {
      retryable: true,
      retryAfterSeconds: 7,
      service: 'DynamoDB',
      table: 'email-integrations',
    });

    expect(body(result)).toEqual({
      type: 'urn:email-integrations:problem:upstream_unavailable',
      title: 'A service we depend on is unavailable',
      status: 503,
      detail: 'Try again.',
      code: 'upstream_unavailable',
      retryable: true,
      retryAfterSeconds: 7,
    });
    expect(result.headers?.['retry-after']).toBe('7');
  });
});

describe('problemResponses', () => {
  it.each([['DynamoDB'], ['AWS KMS']])('answers a %s outage without naming it', async (service) => {
    const result = await failingHandler(new UpstreamUnavailableError(service))(event, context);

    expect(result.statusCode).toBe(503);
    expect(result.body).not.toContain(service);
    expect(body(result)).toMatchObject({ code: 'upstream_unavailable', retryable: true });
    expect(body(result)).not.toHaveProperty('service');
  });

  it('names the tenant’s provider in the detail, keeping its retry time', async () => {
    const result = await failingHandler(new UpstreamUnavailableError('SendGrid', { retryAfterSeconds: 30 }))(
      event,
      context,
    );

    expect(body(result)).toMatchObject({ retryable: true, retryAfterSeconds: 30 });
    expect(body(result).detail).toMatch(/^SendGrid did not answer/);
    expect(body(result)).not.toHaveProperty('service');
  });

  it('leaves a response another middleware already set', async () => {
    const earlier = { statusCode: 429, body: 'slow down' };
    const result = await failingHandler(new UpstreamUnavailableError('DynamoDB'), {
      onError: (request) => {
        request.response = earlier;
      },
    })(event, context);

    expect(result).toEqual(earlier);
  });
});
