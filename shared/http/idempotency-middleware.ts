import { createHash } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { message } from '../message-catalog.js';
import { type ApiContext, RequestError } from './edge-middleware.js';
import type { IdempotencyStore, StoredAnswer } from './idempotency-store.js';

type ApiMiddleware = MiddlewareObj<
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Error,
  ApiContext & { idempotency?: { key: string; fingerprint: string } }
>;

/** Visible ASCII, 1–255 characters: what the header may carry. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/** Answer headers worth replaying (never hop-by-hop or per-attempt ones). */
const REPLAYED_HEADERS = ['content-type', 'etag', 'content-language', 'location'];

/**
 * `Idempotency-Key` (IETF httpapi draft): the first request with a key runs; the same request
 * again within 24 hours gets the first answer replayed (header `Idempotent-Replayed: true`)
 * and does nothing twice. The same key with a different request is 422
 * `idempotency_key_reused`; while the first still runs, 409 `idempotency_key_in_use`. Only a
 * success is remembered: a failed request did nothing, so sending it again runs it again.
 * Requests without the header are not affected. Runs after the tenant and body middleware.
 */
export function idempotentRequests(options: { store: IdempotencyStore }): ApiMiddleware {
  const { store } = options;
  const idempotentRequestsBefore: ApiMiddleware['before'] = async (request) => {
    const headers = request.event.headers ?? {};
    const key = headers['idempotency-key'] ?? headers['Idempotency-Key'];
    const tenantId = request.context.tenantId;
    if (key === undefined || tenantId === undefined) return;
    if (!KEY_PATTERN.test(key)) {
      throw new RequestError('invalid_request', message('idempotency_key_invalid'), {
        extensions: { field: 'Idempotency-Key' },
      });
    }
    const fingerprint = requestFingerprint(request.event, request.context.body);
    const claim = await store.claim(tenantId, key, fingerprint);
    if (claim.kind === 'reused') throw new RequestError('idempotency_key_reused', message('idempotency_key_reused'));
    if (claim.kind === 'in_flight') throw new RequestError('idempotency_key_in_use', message('idempotency_key_in_use'));
    if (claim.kind === 'replay') {
      request.response = {
        statusCode: claim.answer.status,
        headers: { ...claim.answer.headers, 'cache-control': 'no-store', 'idempotent-replayed': 'true' },
        ...(claim.answer.body === undefined ? {} : { body: claim.answer.body }),
      };
      return request.response;
    }
    request.context.idempotency = { key, fingerprint };
  };
  const idempotentRequestsAfter: ApiMiddleware['after'] = async (request) => {
    const claimed = request.context.idempotency;
    const tenantId = request.context.tenantId;
    const response = request.response;
    if (!claimed || tenantId === undefined || !response) return;
    const status = response.statusCode ?? 200;
    if (status >= 300) {
      await store.release(tenantId, claimed.key, claimed.fingerprint);
      return;
    }
    await store.complete(tenantId, claimed.key, claimed.fingerprint, storedAnswer(response));
  };
  const idempotentRequestsOnError: ApiMiddleware['onError'] = async (request) => {
    const claimed = request.context.idempotency;
    const tenantId = request.context.tenantId;
    if (!claimed || tenantId === undefined) return;
    request.context.idempotency = undefined;
    await store.release(tenantId, claimed.key, claimed.fingerprint).catch(() => undefined);
  };
  return { before: idempotentRequestsBefore, after: idempotentRequestsAfter, onError: idempotentRequestsOnError };
}

/** What identifies "the same request": method, path and the parsed body (keys in sorted order). */
function requestFingerprint(event: APIGatewayProxyEventV2WithJWTAuthorizer, body: unknown): string {
  return createHash('sha256')
    .update(`${event.requestContext?.http?.method ?? ''} ${event.rawPath ?? ''}\n${canonicalJson(body)}`)
    .digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function storedAnswer(response: APIGatewayProxyStructuredResultV2): StoredAnswer {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    if (REPLAYED_HEADERS.includes(name.toLowerCase())) headers[name.toLowerCase()] = String(value);
  }
  return {
    status: response.statusCode ?? 200,
    headers,
    ...(typeof response.body === 'string' ? { body: response.body } : {}),
  };
}
