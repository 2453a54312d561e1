import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import type { Language } from '../message-catalog.js';
import {
  type ApiContext,
  jsonBody,
  negotiatedLanguage,
  problemResponses,
  tenantFromClaims,
} from './edge-middleware.js';
import { idempotentRequests } from './idempotency-middleware.js';
import type { IdempotencyStore } from './idempotency-store.js';
import { jsonResponse } from './problem-response.js';

/** What a route's use-case function returns: a status, an optional JSON body and headers (ETag). */
export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Options shared by every route of the API. */
export interface RouteEnvironment {
  tenantClaim: string;
  logger: Logger;
}

/** The request headers a route may act on (lower-case names, as API Gateway passes them). */
export interface RouteHeaders {
  ifMatch?: string;
  ifNoneMatch?: string;
}

/**
 * Wires one HTTP route: the Lambda context on the logger (request id, cold start; never the
 * event, which carries keys), tenant from the authorizer's claims (added to the logger too),
 * strict JSON body (when a schema is given), problem+json errors. The handler itself only
 * calls one use case.
 */
export function apiRoute<Schema extends z.ZodType | undefined = undefined>(
  environment: RouteEnvironment,
  options: { body?: Schema; idempotency?: IdempotencyStore },
  handle: (input: {
    tenantId: string;
    body: Schema extends z.ZodType ? z.infer<Schema> : undefined;
    /** Path parameters (`{messageId}`), as API Gateway decoded them; only when the route has some. */
    pathParameters?: Record<string, string>;
    /** Query string parameters; only when the request has a query string. */
    query?: Record<string, string>;
    headers: RouteHeaders;
    language: Language;
  }) => Promise<RouteResult>,
) {
  const base = async (
    event: APIGatewayProxyEventV2WithJWTAuthorizer,
    context: ApiContext,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    // tenantFromClaims runs first and throws without a tenant; this guards against mis-wiring.
    if (context.tenantId === undefined) throw new Error('The tenant middleware did not run');
    const language = context.language ?? 'en';
    const headers = event.headers ?? {};
    const result = await handle({
      tenantId: context.tenantId,
      body: context.body as Schema extends z.ZodType ? z.infer<Schema> : undefined,
      ...(event.pathParameters ? { pathParameters: definedValues(event.pathParameters) } : {}),
      ...(event.queryStringParameters ? { query: definedValues(event.queryStringParameters) } : {}),
      headers: {
        ...(headers['if-match'] === undefined ? {} : { ifMatch: headers['if-match'] }),
        ...(headers['if-none-match'] === undefined ? {} : { ifNoneMatch: headers['if-none-match'] }),
      },
      language,
    });
    return jsonResponse(result.status, result.body, { ...result.headers, 'content-language': language });
  };
  const handler = middy<APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Error, ApiContext>(
    base,
  )
    // logEvent: false overrides POWERTOOLS_LOGGER_LOG_EVENT; resetKeys drops the tenant after the request.
    .use(injectLambdaContext(environment.logger, { logEvent: false, resetKeys: true }))
    .use(problemResponses({ logger: environment.logger }))
    .use(negotiatedLanguage())
    .use(tenantFromClaims({ claim: environment.tenantClaim, logger: environment.logger }));
  if (options.body) handler.use(jsonBody({ schema: options.body }));
  if (options.idempotency) handler.use(idempotentRequests({ store: options.idempotency }));
  return handler;
}

function definedValues(record: Record<string, string | undefined> | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(record ?? {})) if (value !== undefined) values[name] = value;
  return values;
}
