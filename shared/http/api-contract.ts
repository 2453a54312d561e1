import * as z from 'zod';
import type { EventWebhookView } from '../feedback/event-webhook-registration.js';
import { PROBLEM_CATALOG, type ProblemCode } from '../problem-catalog.js';
import type { ProviderVerification } from '../providers/email-provider.js';
import type { MessagePage, MessageView } from '../sending/message-history.js';
import { MESSAGE_STATUSES } from '../sending/message-status.js';
import type { TestSendResult } from '../sending/test-send.js';
import type { SesDomain } from '../ses-domains/domain-store.js';
import { SUPPRESSION_REASONS } from '../suppression/suppression-address.js';
import type { Suppression, SuppressionPage } from '../suppression/suppression-list.js';
import type { HandlerName } from './api-routes.js';
import {
  activateSesBody,
  addSesDomainBody,
  listMessagesQuery,
  listSuppressionsQuery,
  registerEventWebhookBody,
  rotateKeyBody,
  saveIntegrationBody,
  testSendBody,
  updateSendersBody,
  verifyKeyBody,
} from './api-schemas.js';
import type { CardAnswerBody } from './card-answer.js';

/**
 * The response side of the API contract, next to the request schemas the handlers validate
 * with (api-schemas.ts). The OpenAPI document is generated from both; the type assertions below
 * fail compilation if a handler's result type and its schema drift apart.
 */

const isoDateTime = z.iso.datetime({ offset: true });

const platformWarningsSchema = z
  .array(
    z.strictObject({
      code: z.enum(['ses_account_sandbox', 'ses_account_sending_paused']),
      region: z.string(),
      detail: z.string(),
    }),
  )
  .optional()
  .describe(
    'Warnings about the platform’s own Amazon SES account (still in the SES sandbox, or paused); only when there are any',
  );

export const integrationCardSchema = z.strictObject({
  provider: z.enum(['sendgrid', 'ses']),
  region: z.string().describe('"global" or "eu" for SendGrid'),
  keyId: z.string().describe('SendGrid’s public id of the key (not secret), to find it under Settings → API Keys'),
  emails: z.array(z.string()).describe('Registered senders ("Konfigurierte E-Mail-Adressen"), lower case'),
  status: z.enum([
    'active',
    'key_rejected',
    'sender_rejected',
    'scopes_changed',
    'sender_unauthenticated',
    'domain_failed',
    'paused',
  ]),
  keyVersion: z.number().int().min(1),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  rotatedAt: isoDateTime.nullable(),
  lastVerifiedAt: isoDateTime,
  lastSendError: z.string().nullable().describe('What SendGrid said when it last refused a send'),
  revision: z.number().int().min(1).describe('Bumped on every change; the ETag header is derived from it'),
  failedDomains: z
    .array(z.string())
    .optional()
    .describe(
      'Amazon SES domains that failed verification: sends from senders there are refused until they verify again',
    ),
  statusLabel: z.string().describe('The status for a person, in the language of Accept-Language (English, German)'),
  statusNextStep: z
    .string()
    .nullable()
    .describe('What to do about a broken status, in the same language; null while it works'),
  platformWarnings: platformWarningsSchema,
});

export const verificationSchema = z.strictObject({
  provider: z.enum(['sendgrid', 'ses']),
  region: z.string(),
  keyId: z.string(),
  scopes: z.strictObject({ granted: z.array(z.string()), required: z.array(z.string()), ignored: z.array(z.string()) }),
  domains: z.array(z.strictObject({ domain: z.string(), valid: z.boolean() })),
  senders: z.array(
    z.strictObject({ email: z.string(), domain: z.string(), source: z.enum(['verified_sender', 'suggested']) }),
  ),
});

export const testSendResultSchema = z.strictObject({
  outcome: z.literal('accepted'),
  from: z.string(),
  to: z.string(),
  sandbox: z.boolean(),
  providerMessageId: z.string().nullable(),
});

export const messageViewSchema = z.strictObject({
  messageId: z.string(),
  status: z.enum(MESSAGE_STATUSES),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
  attempts: z.number().int().min(0),
  providerMessageId: z.string().nullable(),
  failureCode: z.string().nullable().describe('Why it failed (a stable send outcome code)'),
  failureDetail: z.string().nullable(),
  timeline: z
    .array(
      z.strictObject({
        type: z.string(),
        at: isoDateTime,
        recipient: z.string().optional(),
        reason: z.string().optional(),
        bounceType: z.enum(['hard', 'soft']).optional(),
      }),
    )
    .describe('The provider events that moved the status, oldest first (the first 200)'),
  suppressedRecipients: z
    .array(z.string())
    .describe('Recipients taken out before sending because they are on the tenant’s suppression list'),
  bounceType: z.enum(['hard', 'soft']).nullable().describe('When `status` is `bounced`: hard (permanent) or soft'),
  recipients: z
    .array(
      z.strictObject({
        email: z.string(),
        status: z.enum(MESSAGE_STATUSES),
        bounceType: z.enum(['hard', 'soft']).nullable(),
        reason: z.string().nullable().describe('What the receiving server or the provider said'),
        at: isoDateTime.nullable().describe('When the event that set `status` happened'),
      }),
    )
    .describe(
      'Every recipient (to, cc, bcc) and where it stands; the message’s status is the furthest any recipient reached',
    ),
});

export const messagePageSchema = z.strictObject({
  messages: z.array(messageViewSchema).describe('Newest first'),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last one'),
});

export const sesDomainSchema = z.strictObject({
  domain: z.string(),
  region: z.string(),
  status: z.enum(['pending', 'verified', 'failed', 'temporary_failure']).describe('Amazon SES’s verdict'),
  records: z.array(
    z.strictObject({
      purpose: z.enum(['dkim', 'mail_from_mx', 'mail_from_spf', 'dmarc']),
      type: z.enum(['CNAME', 'MX', 'TXT']),
      name: z.string(),
      value: z.string(),
      status: z.enum(['found', 'missing', 'wrong_value', 'not_checked']).describe('Our own DNS look-up, now'),
    }),
  ),
  createdAt: isoDateTime,
  verifiedAt: isoDateTime.optional(),
  lastCheckedAt: isoDateTime.optional().describe('When it was last checked (by "Check now" or the scheduled checker)'),
  statusChangedAt: isoDateTime.optional(),
  nextCheckAt: isoDateTime
    .optional()
    .describe('When the scheduled checker looks again; absent once it no longer watches the domain'),
});

export const eventWebhookSchema = z.strictObject({
  url: z
    .string()
    .describe(
      'Paste into SendGrid’s Event Webhook “Post URL”. Its last segment is an unguessable id: keep it private; re-issue it with rotate-url',
    ),
  publicKeyFingerprint: z.string().describe('SHA256: and the base64 SHA-256 of the registered verification key'),
  lastEventAt: isoDateTime.nullable().describe('When the last signed batch was accepted; null before any'),
});

export const sesDomainListSchema = z.strictObject({
  domains: z.array(sesDomainSchema),
  platformWarnings: platformWarningsSchema,
});

export const suppressionSchema = z.strictObject({
  email: z.string().describe('The address, normalised: trimmed and lower-cased'),
  reason: z
    .enum(SUPPRESSION_REASONS)
    .describe('hard_bounce and complaint come from provider feedback; manual from PUT'),
  createdAt: isoDateTime,
  messageId: z
    .string()
    .nullable()
    .describe('The message whose bounce or complaint put it here; null when added by hand'),
});

export const suppressionPageSchema = z.strictObject({
  suppressions: z.array(suppressionSchema).describe('In address order'),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last one'),
});

const problemCodes = Object.keys(PROBLEM_CATALOG) as [ProblemCode, ...ProblemCode[]];

/** RFC 9457 problem details; extension members (e.g. `field`, `missingScopes`) ride along. */
export const problemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().min(1),
  code: z.enum(problemCodes),
});

/** What one route promises. */
export interface RouteContract {
  summary: string;
  request?: z.ZodType;
  /** Query parameters (all optional strings). */
  query?: z.ZodObject;
  success: { status: number; description: string; schema?: z.ZodType }[];
  problems: ProblemCode[];
  /**
   * RFC 9110 conditional requests: `read` answers an ETag (304 for a matching If-None-Match),
   * `write` honours If-Match, `save` If-Match and If-None-Match: * (create only).
   */
  conditional?: 'read' | 'write' | 'save';
  /** Honours an Idempotency-Key: a repeat within 24 h answers the first result. */
  idempotent?: boolean;
}

/** Problems any authenticated route can answer. */
const COMMON: ProblemCode[] = ['unauthorized', 'internal_error'];
const KEY_PROBLEMS: ProblemCode[] = [
  'invalid_key_format',
  'key_rejected',
  'billing_key',
  'missing_scopes',
  'excess_scopes',
  'no_authenticated_domain',
  'upstream_unavailable',
];

const IDEMPOTENCY_PROBLEMS: ProblemCode[] = ['idempotency_key_reused', 'idempotency_key_in_use'];

/** Every route's contract, by handler: a route without one fails the contract test. */
export const ROUTE_CONTRACTS: Record<HandlerName, RouteContract> = {
  'verify-sendgrid-key': {
    summary: 'Verify a SendGrid API key and list the senders it may use (stores nothing)',
    request: verifyKeyBody,
    success: [{ status: 200, description: 'The key is usable', schema: verificationSchema }],
    problems: [...COMMON, 'invalid_request', ...KEY_PROBLEMS, 'too_many_attempts'],
  },
  'save-sendgrid-integration': {
    summary: 'Verify the key again and save it with the chosen senders',
    request: saveIntegrationBody,
    success: [
      { status: 201, description: 'Created', schema: integrationCardSchema },
      { status: 200, description: 'Replaced the existing integration', schema: integrationCardSchema },
    ],
    problems: [
      ...COMMON,
      'invalid_request',
      ...KEY_PROBLEMS,
      'too_many_attempts',
      'sender_not_authenticated',
      'integration_unreadable',
      'conflict',
      'wrong_provider',
      'precondition_failed',
      ...IDEMPOTENCY_PROBLEMS,
    ],
    conditional: 'save',
    idempotent: true,
  },
  'get-sendgrid-integration': {
    summary: 'The integration card',
    success: [
      { status: 200, description: 'The card (never the key)', schema: integrationCardSchema },
      { status: 304, description: 'Not modified: If-None-Match named the current ETag' },
    ],
    problems: [...COMMON, 'not_found', 'integration_unreadable'],
    conditional: 'read',
  },
  'rotate-sendgrid-key': {
    summary: 'Replace the key; the registered senders carry over',
    request: rotateKeyBody,
    success: [{ status: 200, description: 'Rotated', schema: integrationCardSchema }],
    problems: [
      ...COMMON,
      'invalid_request',
      'not_found',
      ...KEY_PROBLEMS,
      'too_many_attempts',
      'sender_not_authenticated',
      'integration_unreadable',
      'different_account',
      'same_key',
      'conflict',
      'wrong_provider',
      'precondition_failed',
    ],
    conditional: 'write',
  },
  'update-sendgrid-senders': {
    summary: 'Replace the registered senders (checked with the stored key)',
    request: updateSendersBody,
    success: [{ status: 200, description: 'Updated', schema: integrationCardSchema }],
    problems: [
      ...COMMON,
      'invalid_request',
      'not_found',
      'sender_not_authenticated',
      'key_rejected',
      'integration_unreadable',
      'conflict',
      'upstream_unavailable',
      'precondition_failed',
    ],
    conditional: 'write',
  },
  'delete-sendgrid-integration': {
    summary: 'Delete the integration and the only copy of the encrypted key',
    success: [{ status: 204, description: 'Deleted' }],
    problems: [...COMMON, 'not_found', 'conflict', 'precondition_failed'],
    conditional: 'write',
  },
  'send-test-email': {
    summary: 'Send a short test email now through the tenant’s SendGrid account',
    request: testSendBody,
    success: [{ status: 200, description: 'SendGrid accepted it', schema: testSendResultSchema }],
    problems: [
      ...COMMON,
      'invalid_request',
      'not_found',
      'sender_not_registered',
      'key_rejected',
      'sender_rejected',
      'message_rejected',
      'integration_unreadable',
      'upstream_unavailable',
      ...IDEMPOTENCY_PROBLEMS,
    ],
    idempotent: true,
  },
  'list-messages': {
    summary: 'The tenant’s messages, newest first, with status and the provider events that moved it',
    query: listMessagesQuery,
    success: [{ status: 200, description: 'One page', schema: messagePageSchema }],
    problems: [...COMMON, 'invalid_request', 'upstream_unavailable'],
  },
  'get-message': {
    summary: 'One message by the messageId the send request carried',
    success: [{ status: 200, description: 'The message', schema: messageViewSchema }],
    problems: [...COMMON, 'not_found', 'upstream_unavailable'],
  },
  'add-ses-domain': {
    summary: 'Start onboarding a sending domain in Amazon SES: the DNS records to publish',
    request: addSesDomainBody,
    success: [
      { status: 201, description: 'Added', schema: sesDomainSchema },
      { status: 200, description: 'This tenant already has it', schema: sesDomainSchema },
    ],
    problems: [
      ...COMMON,
      'invalid_request',
      'invalid_domain',
      'public_mailbox_domain',
      'region_not_allowed',
      'domain_limit_reached',
      'domain_unavailable',
      'upstream_unavailable',
    ],
  },
  'list-ses-domains': {
    summary: 'This tenant’s Amazon SES domains',
    success: [{ status: 200, description: 'The domains', schema: sesDomainListSchema }],
    problems: [...COMMON, 'upstream_unavailable'],
  },
  'get-ses-domain': {
    summary: 'One domain with its records and statuses',
    success: [{ status: 200, description: 'The domain', schema: sesDomainSchema }],
    problems: [...COMMON, 'domain_not_found', 'upstream_unavailable'],
  },
  'check-ses-domain': {
    summary: 'Check now: Amazon SES’s status and our own DNS look-up of each record',
    success: [{ status: 200, description: 'The domain as checked now', schema: sesDomainSchema }],
    problems: [...COMMON, 'domain_not_found', 'upstream_unavailable'],
  },
  'delete-ses-domain': {
    summary: 'Remove a domain no registered sender is at',
    success: [{ status: 204, description: 'Removed' }],
    problems: [...COMMON, 'domain_not_found', 'domain_in_use', 'upstream_unavailable'],
  },
  'activate-ses': {
    summary: 'Switch this tenant’s sending to Amazon SES with senders at its verified domains',
    request: activateSesBody,
    success: [{ status: 200, description: 'Switched', schema: integrationCardSchema }],
    problems: [...COMMON, 'invalid_request', 'sender_not_authenticated', 'conflict', 'upstream_unavailable'],
  },
  'list-suppressions': {
    summary: 'The addresses this tenant’s mail no longer goes to (hard bounces, complaints, added by hand)',
    query: listSuppressionsQuery,
    success: [{ status: 200, description: 'One page', schema: suppressionPageSchema }],
    problems: [...COMMON, 'invalid_request', 'upstream_unavailable'],
  },
  'add-suppression': {
    summary: 'Put an address on the suppression list by hand (reason manual); sends to it are held back',
    success: [
      { status: 201, description: 'Added', schema: suppressionSchema },
      {
        status: 200,
        description: 'Already listed: the entry as it is (its first reason stays)',
        schema: suppressionSchema,
      },
    ],
    problems: [...COMMON, 'invalid_email', 'upstream_unavailable'],
  },
  'remove-suppression': {
    summary: 'Take an address off the suppression list: mail to it is sent again',
    success: [{ status: 204, description: 'Removed' }],
    problems: [...COMMON, 'invalid_email', 'suppression_not_found', 'upstream_unavailable'],
  },
  'put-sendgrid-event-webhook': {
    summary:
      'Register SendGrid’s Event Webhook verification key; answers the URL to paste into SendGrid (kept when replacing the key)',
    request: registerEventWebhookBody,
    success: [
      { status: 201, description: 'Registered', schema: eventWebhookSchema },
      { status: 200, description: 'The key was replaced; the URL stays', schema: eventWebhookSchema },
    ],
    problems: [...COMMON, 'invalid_request', 'invalid_webhook_key', 'conflict', 'upstream_unavailable'],
  },
  'get-sendgrid-event-webhook': {
    summary: 'The Event Webhook: URL, key fingerprint and when the last batch arrived',
    success: [{ status: 200, description: 'The registration', schema: eventWebhookSchema }],
    problems: [...COMMON, 'webhook_not_found', 'upstream_unavailable'],
  },
  'delete-sendgrid-event-webhook': {
    summary: 'Stop accepting SendGrid events: the URL answers 403 from now on',
    success: [{ status: 204, description: 'Removed' }],
    problems: [...COMMON, 'webhook_not_found', 'conflict', 'upstream_unavailable'],
  },
  'receive-sendgrid-events': {
    summary:
      'SendGrid’s signed Event Webhook posts here (public: no JWT). Verifies the signature with the tenant’s registered key, queues the events, acknowledges',
    success: [{ status: 204, description: 'Accepted: the events are queued and applied within seconds' }],
    problems: ['webhook_forbidden', 'payload_too_large', 'invalid_request', 'upstream_unavailable', 'internal_error'],
  },
  'rotate-sendgrid-event-webhook-url': {
    summary:
      'Re-issue the webhook URL (a new unguessable id; the old URL answers 403 from now on). Paste the new URL into SendGrid',
    success: [{ status: 200, description: 'The registration with its new URL', schema: eventWebhookSchema }],
    problems: [...COMMON, 'webhook_not_found', 'conflict', 'upstream_unavailable'],
  },
};

/** Compile-time checks: a schema and the type the handler returns must be the same shape. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
export type ContractChecks = [
  Assert<Equal<z.infer<typeof integrationCardSchema>, CardAnswerBody>>,
  Assert<Equal<z.infer<typeof verificationSchema>, ProviderVerification>>,
  Assert<Equal<z.infer<typeof testSendResultSchema>, TestSendResult>>,
  Assert<Equal<z.infer<typeof messageViewSchema>, MessageView>>,
  Assert<Equal<z.infer<typeof messagePageSchema>, MessagePage>>,
  Assert<Equal<z.infer<typeof sesDomainSchema>, SesDomain>>,
  Assert<Equal<z.infer<typeof suppressionSchema>, Suppression>>,
  Assert<Equal<z.infer<typeof suppressionPageSchema>, SuppressionPage>>,
  Assert<Equal<z.infer<typeof eventWebhookSchema>, EventWebhookView>>,
];
