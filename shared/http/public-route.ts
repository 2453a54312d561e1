import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Language } from '../message-catalog.js';
import type { RouteResult } from './api-route.js';
import { type ApiContext, negotiatedLanguage, problemResponses } from './edge-middleware.js';
import { jsonResponse } from './problem-response.js';

/**
 * Wires a public route (no JWT authorizer: a provider calls it): the Lambda context on the
 * logger (never the event), problem+json errors, and the raw body bytes exactly as received —
 * signatures are checked over them, so nothing parses or re-serialises the body here.
 */
export function publicRoute(
  logger: Logger,
  handle: (input: {
    pathParameters: Record<string, string>;
    headers: Record<string, string | undefined>;
    rawBody: Buffer;
    language: Language;
  }) => Promise<RouteResult>,
) {
  // Typed as the API's events so the shared middleware fits; a public route's has no authorizer.
  const base = async (
    event: APIGatewayProxyEventV2WithJWTAuthorizer,
    context: ApiContext,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const body = event.body ?? '';
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
    const result = await handle({
      pathParameters: Object.fromEntries(
        Object.entries(event.pathParameters ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
      ),
      headers,
      rawBody: event.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
      language: context.language ?? 'en',
    });
    return jsonResponse(result.status, result.body, result.headers);
  };
  return middy<APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Error, ApiContext>(base)
    .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
    .use(problemResponses({ logger }))
    .use(negotiatedLanguage());
}
