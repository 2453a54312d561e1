import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type Language, problemTitle } from '../message-catalog.js';
import {
  PROBLEM_CATALOG,
  type ProblemCode,
  type ProblemExtensions,
  SERVER_ERROR_EXTENSIONS,
} from '../problem-catalog.js';

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

/**
 * The extensions a caller may see: all of them for a client error (they say what to fix); for a
 * server error only whether and when to retry — which dependency failed is for the log.
 */
export function exposedExtensions(status: number, extensions: ProblemExtensions): ProblemExtensions {
  if (status < 500) return extensions;
  return Object.fromEntries(
    SERVER_ERROR_EXTENSIONS.filter((name) => name in extensions).map((name) => [name, extensions[name]]),
  );
}

/** Builds the `application/problem+json` response for a code, its title and detail in `language`. */
export function problemResponse(
  code: ProblemCode,
  detail: string,
  extensions: ProblemExtensions = {},
  language: Language = 'en',
): APIGatewayProxyStructuredResultV2 {
  const { status } = PROBLEM_CATALOG[code];
  const title = problemTitle(code, language);
  const exposed = exposedExtensions(status, extensions);
  const body: ProblemBody = { ...exposed, type: problemType(code), title, status, detail, code };
  const retryAfter = exposed.retryAfterSeconds;
  return {
    statusCode: status,
    headers: {
      'content-type': 'application/problem+json',
      'cache-control': 'no-store',
      'content-language': language,
      ...(typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {}),
    },
    body: JSON.stringify(body),
  };
}

/** A JSON success response (no body for 204), with any extra headers (ETag, Content-Language). */
export function jsonResponse(
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: {
      'cache-control': 'no-store',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}
