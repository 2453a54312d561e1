import { type Language, type MessageRef, message, renderMessage } from './message-catalog.js';

/**
 * Every problem code the API can answer with and its HTTP status: the single table the edge
 * middleware maps domain errors through (and the OpenAPI document lists). Titles and details,
 * in each language, live in the message catalog (message-catalog.ts).
 */
export const PROBLEM_CATALOG = {
  invalid_request: { status: 400 },
  unauthorized: { status: 401 },
  not_found: { status: 404 },
  route_not_found: { status: 404 },
  conflict: { status: 409 },
  wrong_provider: { status: 409 },
  same_key: { status: 409 },
  idempotency_key_in_use: { status: 409 },
  precondition_failed: { status: 412 },
  invalid_key_format: { status: 422 },
  key_rejected: { status: 422 },
  billing_key: { status: 422 },
  missing_scopes: { status: 422 },
  excess_scopes: { status: 422 },
  no_authenticated_domain: { status: 422 },
  different_account: { status: 422 },
  sender_not_authenticated: { status: 422 },
  integration_unreadable: { status: 422 },
  sender_not_registered: { status: 422 },
  sender_rejected: { status: 422 },
  sender_domain_failed: { status: 422 },
  sending_paused: { status: 422 },
  message_rejected: { status: 422 },
  idempotency_key_reused: { status: 422 },
  too_many_attempts: { status: 429 },
  invalid_domain: { status: 422 },
  public_mailbox_domain: { status: 422 },
  region_not_allowed: { status: 422 },
  domain_limit_reached: { status: 422 },
  domain_not_found: { status: 404 },
  domain_unavailable: { status: 409 },
  domain_in_use: { status: 409 },
  invalid_email: { status: 422 },
  suppression_not_found: { status: 404 },
  invalid_webhook_key: { status: 422 },
  webhook_not_found: { status: 404 },
  webhook_forbidden: { status: 403 },
  payload_too_large: { status: 413 },
  upstream_unavailable: { status: 503 },
  internal_error: { status: 500 },
} as const satisfies Record<string, { status: number }>;

/** A stable, documented problem code. */
export type ProblemCode = keyof typeof PROBLEM_CATALOG;

/** Extension members that ride along in a problem body (never secrets; only client errors show them all). */
export type ProblemExtensions = Record<string, unknown>;

/** The only extensions a server error (status ≥ 500) shows: whether and when to retry. */
export const SERVER_ERROR_EXTENSIONS = ['retryable', 'retryAfterSeconds'] as const;

/**
 * Base of every domain error family: a stable `code`, a detail that says how to fix it (a
 * message of the catalog, rendered in the caller's language at the edge; `detail` is its
 * English text, for logs and operators), and structured extensions. Use cases throw these;
 * only the HTTP edge turns them into responses. Each module subclasses it once.
 */
export abstract class DomainProblem extends Error {
  readonly code: ProblemCode;
  readonly detail: string;
  readonly extensions: ProblemExtensions;
  private readonly detailMessage: MessageRef | undefined;

  constructor(
    code: ProblemCode,
    detail: MessageRef | string,
    options: { extensions?: ProblemExtensions; cause?: unknown } = {},
  ) {
    const english = typeof detail === 'string' ? detail : renderMessage(detail, 'en');
    super(english, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = english;
    this.detailMessage = typeof detail === 'string' ? undefined : detail;
    this.extensions = options.extensions ?? {};
  }

  /** The detail in `language` (operator-only texts given as plain strings stay English). */
  detailIn(language: Language): string {
    return this.detailMessage ? renderMessage(this.detailMessage, language) : this.detail;
  }
}

/** Our own infrastructure: callers are told something of ours failed, never which part. */
const INTERNAL_SERVICES: ReadonlySet<string> = new Set(['DynamoDB', 'AWS KMS']);

/**
 * A dependency (the tenant's provider, or our own DynamoDB and KMS) failed or timed out: worth
 * retrying. `service` stays on the error for the log; the answer names only the provider.
 */
export class UpstreamUnavailableError extends DomainProblem {
  override readonly name = 'UpstreamUnavailableError';

  constructor(service: string, options: { cause?: unknown; retryAfterSeconds?: number } = {}) {
    const detail = INTERNAL_SERVICES.has(service)
      ? message('upstream_unavailable_internal')
      : message('upstream_unavailable', { service });
    super('upstream_unavailable', detail, {
      cause: options.cause,
      extensions: {
        retryable: true,
        service,
        ...(options.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: options.retryAfterSeconds }),
      },
    });
  }
}
