/**
 * A message in provider-neutral form: what the send path hands to SendGrid today and to SES
 * later. Built from the automation's event (or the console's test send) after the sender
 * rules have picked and checked `from`.
 */
export interface EmailAddress {
  email: string;
  name?: string;
}

export interface OutboundEmail {
  from: EmailAddress;
  to: EmailAddress[];
  cc?: EmailAddress[];
  bcc?: EmailAddress[];
  replyTo?: EmailAddress;
  subject?: string;
  text?: string;
  html?: string;
  /** A provider-side template (SendGrid dynamic template id `d-…`) and its data. */
  templateId?: string;
  templateData?: Record<string, unknown>;
  categories?: string[];
  /** Echoed in the provider's activity and webhooks; the send path adds our `messageId`. */
  customArgs?: Record<string, string>;
  /** Validate at the provider without delivering (SendGrid `sandbox_mode`). */
  sandbox?: boolean;
}

/** SendGrid's documented limits, which the send path enforces before calling any provider. */
export const MESSAGE_LIMITS = {
  maxRecipients: 1_000,
  maxCategories: 10,
  maxCategoryLength: 255,
  maxCustomArgsBytes: 10_000,
  /** Ours, not SendGrid's: template data is for a template's fields, not for documents. */
  maxTemplateDataBytes: 100_000,
  maxTemplateDataDepth: 8,
  maxSubjectLength: 998,
} as const;
