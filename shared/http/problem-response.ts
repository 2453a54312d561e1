import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { PROBLEM_CATALOG, type ProblemCode, type ProblemExtensions } from '../problem-catalog.js';

/** An RFC 9457 problem body as this API sends it. */
export interface ProblemBody extends ProblemExtensions {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
}

/** The `type` URI of a problem code. */
export function problemType(code: ProblemCode): string {
  return `urn:email-integrations:problem:${code}`;
}

/** Builds the `application/problem+json` response for a code. */
export function problemResponse(
  code: ProblemCode,
  detail: string,
  extensions: ProblemExtensions = {},
): APIGatewayProxyStructuredResultV2 {
  const { status, title } = PROBLEM_CATALOG[code];
  const body: ProblemBody = { ...extensions, type: problemType(code), title, status, detail, code };
  const retryAfter = extensions.retryAfterSeconds;
  return {
    statusCode: status,
    headers: {
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
      ...(typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {}),
    },
    body: JSON.stringify(body),
  };
}

/** A JSON success response (no body for 204). */
export function jsonResponse(status: number, body?: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'cache-control': 'no-store', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}
