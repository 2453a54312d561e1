/**
 * Every problem code the API can answer with, its HTTP status and title: the single table
 * the edge middleware maps domain errors through (and the OpenAPI document lists).
 */
export const PROBLEM_CATALOG = {
  invalid_request: { status: 400, title: 'The request is not valid' },
  unauthorized: { status: 401, title: 'No tenant in the caller’s token' },
  not_found: { status: 404, title: 'No integration' },
  route_not_found: { status: 404, title: 'No such route' },
  conflict: { status: 409, title: 'The integration changed meanwhile' },
  wrong_provider: { status: 409, title: 'The tenant sends through another provider' },
  invalid_key_format: { status: 422, title: 'That is not a SendGrid API key' },
  key_rejected: { status: 422, title: 'SendGrid rejected the key' },
  billing_key: { status: 422, title: 'A billing key cannot send mail' },
  missing_scopes: { status: 422, title: 'The key lacks permissions' },
  excess_scopes: { status: 422, title: 'The key has more permissions than needed' },
  no_authenticated_domain: { status: 422, title: 'No authenticated domain' },
  sender_not_authenticated: { status: 422, title: 'Sender not at an authenticated domain' },
  integration_unreadable: { status: 422, title: 'The stored key cannot be read' },
  sender_not_registered: { status: 422, title: 'Not a registered sender' },
  sender_rejected: { status: 422, title: 'SendGrid refused the sender' },
  message_rejected: { status: 422, title: 'The message cannot be sent' },
  too_many_attempts: { status: 429, title: 'Too many key checks; wait before trying again' },
  invalid_domain: { status: 422, title: 'That is not a domain name' },
  public_mailbox_domain: { status: 422, title: 'A public mailbox provider’s domain' },
  region_not_allowed: { status: 422, title: 'That Amazon SES region is not offered' },
  domain_limit_reached: { status: 422, title: 'Too many domains' },
  domain_not_found: { status: 404, title: 'No such domain' },
  domain_unavailable: { status: 409, title: 'The domain is not available' },
  domain_in_use: { status: 409, title: 'The domain still has senders' },
  upstream_unavailable: { status: 503, title: 'A service we depend on is unavailable' },
  internal_error: { status: 500, title: 'Something went wrong on our side' },
} as const satisfies Record<string, { status: number; title: string }>;

/** A stable, documented problem code. */
export type ProblemCode = keyof typeof PROBLEM_CATALOG;

/** Extension members that ride along in a problem body (never secrets; only client errors show them all). */
export type ProblemExtensions = Record<string, unknown>;

/** The only extensions a server error (status ≥ 500) shows: whether and when to retry. */
export const SERVER_ERROR_EXTENSIONS = ['retryable', 'retryAfterSeconds'] as const;

/**
 * Base of every domain error family: a stable `code`, a plain-English `detail` that says how
 * to fix it, and structured extensions. Use cases throw these; only the HTTP edge turns them
 * into responses. Each module subclasses it once.
 */
export abstract class DomainProblem extends Error {
  readonly code: ProblemCode;
  readonly detail: string;
  readonly extensions: ProblemExtensions;

  constructor(code: ProblemCode, detail: string, options: { extensions?: ProblemExtensions; cause?: unknown } = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = detail;
    this.extensions = options.extensions ?? {};
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
    const who = INTERNAL_SERVICES.has(service) ? 'A service we depend on' : service;
    super('upstream_unavailable', `${who} did not answer in time or failed. Try again in a moment.`, {
      cause: options.cause,
      extensions: {
        retryable: true,
        service,
        ...(options.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: options.retryAfterSeconds }),
      },
    });
  }
}
