import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import { type ApiContext, jsonBody, problemResponses, tenantFromClaims } from './edge-middleware.js';
import { jsonResponse } from './problem-response.js';

/** What a route's use-case function returns: a status and an optional JSON body. */
export interface RouteResult {
  status: number;
  body?: unknown;
}

/** Options shared by every route of the API. */
export interface RouteEnvironment {
  tenantClaim: string;
  logger: Logger;
}

/**
 * Wires one HTTP route: tenant from the authorizer's claims, strict JSON body (when a schema
 * is given), problem+json errors. The handler itself only calls one use case.
 */
export function apiRoute<Schema extends z.ZodType | undefined = undefined>(
  environment: RouteEnvironment,
  options: { body?: Schema },
  handle: (input: {
    tenantId: string;
    body: Schema extends z.ZodType ? z.infer<Schema> : undefined;
  }) => Promise<RouteResult>,
) {
  const base = async (
    _event: APIGatewayProxyEventV2WithJWTAuthorizer,
    context: ApiContext,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    // tenantFromClaims runs first and throws without a tenant; this guards against mis-wiring.
    if (context.tenantId === undefined) throw new Error('The tenant middleware did not run');
    const result = await handle({
      tenantId: context.tenantId,
      body: context.body as Schema extends z.ZodType ? z.infer<Schema> : undefined,
    });
    return jsonResponse(result.status, result.body);
  };
  const handler = middy<APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Error, ApiContext>(
    base,
  )
    .use(problemResponses({ logger: environment.logger }))
    .use(tenantFromClaims({ claim: environment.tenantClaim }));
  if (options.body) handler.use(jsonBody({ schema: options.body }));
  return handler;
}
