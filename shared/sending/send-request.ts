import * as z from 'zod';
import { TENANT_ID_PATTERN } from '../tenant-id.js';
import { withoutAddresses } from './address-redaction.js';
import { MESSAGE_LIMITS } from './outbound-email.js';

/** The EventBridge `detail-type` of a send request (the rule's `source` comes from CDK context). */
export const EMAIL_SEND_REQUESTED = 'Email Send Requested';

/**
 * Line breaks as any mail or JSON layer may read them (CR, LF, NEL, the Unicode line and
 * paragraph separators) and NUL: a header value holding one could inject headers.
 */
const HEADER_BREAKING = /[\r\n\u0085\u2028\u2029\0]/;

/** A value that ends up in a mail header (or a custom arg): one line, bounded. */
const singleLine = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !HEADER_BREAKING.test(value), {
      message: 'must be a single line (no CR, LF, NUL, U+0085, U+2028 or U+2029)',
    });

/** A messageId: printable ASCII without spaces, 1–200 characters (it becomes part of a ledger key). */
const MESSAGE_ID_PATTERN = /^[\x21-\x7e]{1,200}$/;

/** Whether a value is a well-formed messageId. */
export function isMessageId(value: unknown): value is string {
  return typeof value === 'string' && MESSAGE_ID_PATTERN.test(value);
}

/** How deeply a JSON value nests (a scalar: 0). */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child));
  return deepest + 1;
}

/** Template data: any JSON object, bounded in depth and size so one event cannot make a huge body. */
const templateData = z
  .record(z.string(), z.unknown())
  .refine((value) => depthOf(value) <= MESSAGE_LIMITS.maxTemplateDataDepth, {
    message: `must not nest deeper than ${MESSAGE_LIMITS.maxTemplateDataDepth} levels`,
  })
  .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= MESSAGE_LIMITS.maxTemplateDataBytes, {
    message: `must stay under ${MESSAGE_LIMITS.maxTemplateDataBytes.toLocaleString('en')} bytes as JSON`,
  });

const emailAddress = z.strictObject({
  email: z.email({ message: 'must be a plain email address like someone@example.com' }).max(254),
  name: singleLine(200).optional(),
});

/**
 * The `detail` of an "Email Send Requested" event, as the product's automations publish it.
 * Strict: a misspelt field is refused rather than silently dropped from the mail.
 */
export const emailSendRequestedDetail = z
  .strictObject({
    tenantId: z.string().regex(TENANT_ID_PATTERN, {
      message: 'must be a tenant id: letters, digits and . _ : @ -, starting with a letter or digit, at most 128',
    }),
    /** Unique per logical email: the idempotency key. */
    messageId: z
      .string()
      .regex(MESSAGE_ID_PATTERN, { message: 'must be 1–200 printable ASCII characters without spaces' }),
    audience: z.enum(['customer', 'internal']),
    from: emailAddress.shape.email.optional(),
    fromName: singleLine(200).optional(),
    to: z.array(emailAddress).min(1, { message: 'must list at least one recipient' }),
    cc: z.array(emailAddress).optional(),
    bcc: z.array(emailAddress).optional(),
    replyTo: emailAddress.optional(),
    subject: singleLine(MESSAGE_LIMITS.maxSubjectLength).min(1).optional(),
    text: z.string().min(1).optional(),
    html: z.string().min(1).optional(),
    templateId: z.string().min(1).max(100).optional(),
    templateData: templateData.optional(),
    categories: z
      .array(singleLine(MESSAGE_LIMITS.maxCategoryLength).min(1))
      .max(MESSAGE_LIMITS.maxCategories)
      .optional(),
    /** Flat by SendGrid's design (string to string); keys and values are one line each. */
    customArgs: z.record(singleLine(100).min(1), singleLine(1000)).optional(),
  })
  .superRefine((detail, context) => {
    if (detail.templateId === undefined) {
      if (detail.subject === undefined) {
        context.addIssue({ code: 'custom', path: ['subject'], message: 'is required unless templateId is given' });
      }
      if (detail.text === undefined && detail.html === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['text'],
          message: 'text or html is required unless templateId is given',
        });
      }
    } else if (detail.text !== undefined || detail.html !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['templateId'],
        message: 'use either templateId or text/html, not both',
      });
    }
    const recipients = detail.to.length + (detail.cc?.length ?? 0) + (detail.bcc?.length ?? 0);
    if (recipients > MESSAGE_LIMITS.maxRecipients) {
      context.addIssue({
        code: 'custom',
        path: ['to'],
        message: `has ${recipients} recipients (to + cc + bcc); SendGrid allows at most ${MESSAGE_LIMITS.maxRecipients}`,
      });
    }
    // Named by list and index, never by address: the reason is stored and logged.
    const seen = new Set<string>();
    const lists = [
      ['to', detail.to],
      ['cc', detail.cc ?? []],
      ['bcc', detail.bcc ?? []],
    ] as const;
    search: for (const [list, addresses] of lists) {
      for (const [index, address] of addresses.entries()) {
        const email = address.email.toLowerCase();
        if (seen.has(email)) {
          context.addIssue({
            code: 'custom',
            path: [list, index, 'email'],
            message: 'repeats an earlier recipient (to, cc and bcc together)',
          });
          break search;
        }
        seen.add(email);
      }
    }
    if (
      detail.customArgs &&
      Buffer.byteLength(JSON.stringify(detail.customArgs)) >= MESSAGE_LIMITS.maxCustomArgsBytes
    ) {
      context.addIssue({ code: 'custom', path: ['customArgs'], message: 'must stay under 10,000 bytes' });
    }
  });

export type EmailSendRequestedDetail = z.infer<typeof emailSendRequestedDetail>;

/** The envelope EventBridge wraps the detail in (what the SQS target receives as its body). */
export const eventBridgeEnvelope = z.object({
  id: z.string(),
  source: z.string(),
  account: z.string(),
  'detail-type': z.string(),
  detail: z.unknown(),
});

/** One line naming what is wrong with a detail (field and index, never an address), for the failure record. */
export function describeIssues(error: z.ZodError): string {
  return withoutAddresses(
    error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : 'detail'} ${issue.message}`)
      .join('; '),
  );
}
