import * as z from 'zod';
import { MESSAGE_LIMITS } from './outbound-email.js';

/** The EventBridge `detail-type` of a send request (the rule's `source` comes from CDK context). */
export const EMAIL_SEND_REQUESTED = 'Email Send Requested';

/** No CR or LF: a header value with a line break could inject headers. */
const singleLine = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !/[\r\n]/.test(value), { message: 'must be a single line (no CR or LF)' });

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
    tenantId: z.string().min(1).max(128),
    /** Unique per logical email: the idempotency key. */
    messageId: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces' }),
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
    templateData: z.record(z.string(), z.unknown()).optional(),
    categories: z
      .array(singleLine(MESSAGE_LIMITS.maxCategoryLength).min(1))
      .max(MESSAGE_LIMITS.maxCategories)
      .optional(),
    customArgs: z.record(z.string().min(1).max(100), z.string().max(1000)).optional(),
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
    const seen = new Set<string>();
    for (const address of [...detail.to, ...(detail.cc ?? []), ...(detail.bcc ?? [])]) {
      const email = address.email.toLowerCase();
      if (seen.has(email)) {
        context.addIssue({
          code: 'custom',
          path: ['to'],
          message: `lists ${email} more than once across to, cc and bcc`,
        });
        break;
      }
      seen.add(email);
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
  'detail-type': z.string(),
  detail: z.unknown(),
});

/** One line naming what is wrong with a detail, for the failure record. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'detail'} ${issue.message}`)
    .join('; ');
}
