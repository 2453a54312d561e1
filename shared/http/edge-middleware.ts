import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { type Language, type MessageRef, message, negotiateLanguage } from '../message-catalog.js';
import { describeError } from '../observability/logger.js';
import { DomainProblem, PROBLEM_CATALOG } from '../problem-catalog.js';
import { TENANT_ID_PATTERN } from '../tenant-id.js';
import { problemResponse } from './problem-response.js';

/** The caller's request is malformed or carries no tenant. */
export class RequestError extends DomainProblem {
  override readonly name = 'RequestError';
}

/** Per-request state the edge middleware puts on the Lambda context. */
export interface ApiContext extends Context {
  tenantId?: string;
  body?: unknown;
  /** The language problems and labels are written in, from `Accept-Language`. */
  language?: Language;
}

type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
type ApiResult = APIGatewayProxyStructuredResultV2;
type ApiMiddleware = MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext>;

/**
 * Reads the tenant id from the JWT authorizer's claims, and only from there: body, path and
 * query never choose the tenant. No or malformed claim → 401. The tenant is appended to the
 * logger's keys, so every later line of the request names it.
 */
export function tenantFromClaims(options: { claim: string; logger?: Logger }): ApiMiddleware {
  const tenantFromClaimsBefore: ApiMiddleware['before'] = (request) => {
    const value = request.event.requestContext?.authorizer?.jwt?.claims?.[options.claim];
    const tenantId = typeof value === 'number' ? String(value) : value;
    if (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId)) {
      throw new RequestError('unauthorized', message('unauthorized', { claim: options.claim }));
    }
    request.context.tenantId = tenantId;
    options.logger?.appendKeys({ tenantId });
  };
  return { before: tenantFromClaimsBefore };
}

/** Options for {@link jsonBody}. */
export interface JsonBodyOptions {
  schema: z.ZodType;
  /** Larger bodies are refused before parsing. */
  maxBytes?: number;
}

/**
 * Parses and validates the JSON body against a strict schema; anything off (not JSON, wrong
 * types, unknown or missing fields, too large) → 400 `invalid_request` naming the field.
 */
export function jsonBody(options: JsonBodyOptions): ApiMiddleware {
  const maxBytes = options.maxBytes ?? 32 * 1024;
  const jsonBodyBefore: ApiMiddleware['before'] = (request) => {
    const { body, isBase64Encoded, headers } = request.event;
    const contentType = headers?.['content-type'] ?? headers?.['Content-Type'];
    if (contentType !== undefined && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
      throw invalid('body', message('body_not_json_type', { contentType }));
    }
    if (body === undefined || body === '') throw invalid('body', message('body_missing'));
    const raw = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
    if (Buffer.byteLength(raw, 'utf8') > maxBytes) {
      throw invalid('body', message('body_too_large', { maxBytes }));
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw invalid('body', message('body_not_json'));
    }
    const result = options.schema.safeParse(parsed);
    if (!result.success) {
      const errors = result.error.issues.flatMap((issue) => {
        const path = issue.path.map(String);
        if (issue.code === 'unrecognized_keys') {
          return issue.keys.map((key) => ({ field: [...path, key].join('.'), message: 'is not a known field' }));
        }
        return [{ field: path.join('.') || 'body', message: issue.message }];
      });
      const first = errors[0] ?? { field: 'body', message: 'is not valid' };
      throw new RequestError(
        'invalid_request',
        message('invalid_field', { field: first.field, problem: lowerFirst(first.message) }),
        { extensions: { field: first.field, errors } },
      );
    }
    request.context.body = result.data;
  };
  return { before: jsonBodyBefore };
}

/**
 * Picks the language of the answer from `Accept-Language` (English and German; English when
 * neither is asked for). Responses say which one they used in `Content-Language`.
 */
export function negotiatedLanguage(): ApiMiddleware {
  const negotiatedLanguageBefore: ApiMiddleware['before'] = (request) => {
    const headers = request.event.headers ?? {};
    request.context.language = negotiateLanguage(headers['accept-language'] ?? headers['Accept-Language']);
  };
  return { before: negotiatedLanguageBefore };
}

/**
 * Turns every error into `application/problem+json`, its title and detail in the request's
 * language. Domain errors keep their code (extensions only for client errors, see
 * problemResponse); anything else becomes a generic 500 whose details go only to the log
 * (sanitized). A response another middleware already set is left alone (as Middy's
 * http-error-handler does).
 */
export function problemResponses(options: { logger: Logger }): ApiMiddleware {
  const problemResponsesOnError: ApiMiddleware['onError'] = (request) => {
    if (request.response !== undefined) return;
    const error = request.error;
    const language = request.context.language ?? negotiateLanguage(request.event.headers?.['accept-language']);
    if (error instanceof DomainProblem) {
      const status = PROBLEM_CATALOG[error.code].status;
      const log = status >= 500 ? options.logger.error : options.logger.info;
      log.call(options.logger, 'request refused', { problem: error.code, status, error: describeError(error) });
      request.response = problemResponse(error.code, error.detailIn(language), error.extensions, language);
      return;
    }
    options.logger.error('unexpected error', { error: describeError(error) });
    const fallback = new RequestError('internal_error', message('internal_error'));
    request.response = problemResponse('internal_error', fallback.detailIn(language), {}, language);
  };
  return { onError: problemResponsesOnError };
}

function invalid(field: string, detail: MessageRef): RequestError {
  const error = new RequestError('invalid_request', detail);
  Object.assign(error.extensions, { field, errors: [{ field, message: error.detail }] });
  return error;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
