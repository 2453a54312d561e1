import * as z from 'zod';
import { MESSAGE_STATUSES } from '../sending/message-status.js';

/**
 * Request bodies of the HTTP API: the schemas the handlers validate with (and the OpenAPI
 * document is generated from). Objects are strict: unknown fields are refused, not ignored.
 */

/** The pasted key. Its SendGrid format is checked by the provider (422 `invalid_key_format`). */
const apiKey = z.string().max(1024).describe('The SendGrid API key, as pasted (surrounding whitespace is trimmed).');

const region = z
  .enum(['global', 'eu'])
  .describe('The SendGrid region the key belongs to; leave it out to detect it (global first, then EU).');

/** A sender address: plain addr-spec, no display name, no CR/LF. */
export const senderEmail = z.email({ message: 'must be a plain email address like info@example.com' }).max(254);

/** 1–50 sender addresses, distinct when compared case-insensitively. */
export const senderEmails = z
  .array(senderEmail)
  .min(1, { message: 'must list at least one sender address' })
  .max(50, { message: 'must list at most 50 sender addresses' })
  .refine((emails) => new Set(emails.map((email) => email.toLowerCase())).size === emails.length, {
    message: 'must not list an address twice (addresses are compared case-insensitively)',
  });

/** `POST /integrations/sendgrid/verify` */
export const verifyKeyBody = z.strictObject({ apiKey, region: region.optional() });

/** `PUT /integrations/sendgrid` */
export const saveIntegrationBody = z.strictObject({ apiKey, emails: senderEmails, region: region.optional() });

/** `POST /integrations/sendgrid/rotate` */
export const rotateKeyBody = z.strictObject({ apiKey });

/** `PUT /integrations/sendgrid/emails` */
export const updateSendersBody = z.strictObject({ emails: senderEmails });

/** `POST /integrations/sendgrid/test`: one short message to `to`, from a registered sender. */
export const testSendBody = z.strictObject({
  to: z.email({ message: 'must be a plain email address like you@example.com' }).max(254),
  from: senderEmail.optional().describe('A registered sender; default info@ (else the first non-noreply sender).'),
  sandbox: z.boolean().optional().describe("Use SendGrid's sandbox mode: the message is validated but not delivered."),
});

/** `GET /messages` query: all optional; strings, as query parameters are. */
export const listMessagesQuery = z.strictObject({
  status: z
    .enum(MESSAGE_STATUSES)
    .optional()
    .describe(
      'Only messages with this status: a page holds up to `limit` of them (at most 1,000 messages are looked at per request; a shorter page with a nextCursor continues where it stopped)',
    ),
  since: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 time like 2026-01-31T12:00:00Z' })
    .optional()
    .describe('Only messages first recorded at or after this time'),
  limit: z
    .string()
    .regex(/^[0-9]{1,3}$/, { message: 'must be a whole number from 1 to 100' })
    .transform(Number)
    .refine((limit) => limit >= 1 && limit <= 100, { message: 'must be a whole number from 1 to 100' })
    .optional()
    .describe('Page size, 1–100 (default 25)'),
  cursor: z.string().max(2048).optional().describe('nextCursor of the previous page'),
});

/** `GET /suppressions` query: all optional strings, as query parameters are. */
export const listSuppressionsQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^[0-9]{1,3}$/, { message: 'must be a whole number from 1 to 100' })
    .transform(Number)
    .refine((limit) => limit >= 1 && limit <= 100, { message: 'must be a whole number from 1 to 100' })
    .optional()
    .describe('Page size, 1–100 (default 50)'),
  cursor: z.string().max(2048).optional().describe('nextCursor of the previous page'),
});

/** `POST /integrations/ses/domains`: the domain to send from, and optionally the Amazon SES region. */
export const addSesDomainBody = z.strictObject({
  domain: z
    .string()
    .min(1)
    .max(253)
    .describe('The bare domain, like acme.example (IDNs are accepted and stored in A-label form).'),
  region: z.string().max(40).optional().describe('An Amazon SES region the platform offers; default its first.'),
});

/** `POST /integrations/ses/activate`: the senders, each at one of the tenant's verified domains. */
export const activateSesBody = z.strictObject({ emails: senderEmails });

/** `PUT /integrations/sendgrid/event-webhook`: SendGrid's verification key (checked by the use case: 422 `invalid_webhook_key`). */
export const registerEventWebhookBody = z.strictObject({
  publicKey: z
    .string()
    .max(2048)
    .describe(
      'The "Verification Key" SendGrid shows under Settings → Mail Settings → Event Webhook with Signature Verification on: base64 DER of an ECDSA P-256 public key.',
    ),
});
