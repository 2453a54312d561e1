import { randomUUID } from 'node:crypto';

/** One Event Webhook event as SendGrid posts it: reserved fields plus the personalization's custom args. */
export type WebhookEvent = Record<string, unknown> & {
  email: string;
  timestamp: number;
  event: string;
  sg_event_id: string;
  sg_message_id: string;
};

/** What happens to a recipient, chosen by the local part of its address (before any `+tag`). */
export type RecipientFate = 'delivered' | 'bounced' | 'complained' | 'deferred';

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `bounce@…` hard-bounces, `spam@…` is delivered and reported as spam, `defer@…` is deferred and then delivered. */
export function recipientFate(email: string): RecipientFate {
  const local = (email.split('@')[0] ?? '').split('+')[0]?.toLowerCase();
  if (local === 'bounce') return 'bounced';
  if (local === 'spam') return 'complained';
  if (local === 'defer') return 'deferred';
  return 'delivered';
}

const SEQUENCES: Record<RecipientFate, Array<JsonObject & { event: string }>> = {
  delivered: [{ event: 'processed' }, { event: 'delivered', response: '250 2.0.0 OK' }],
  bounced: [
    { event: 'processed' },
    {
      event: 'bounce',
      type: 'bounce',
      status: '5.1.1',
      reason: '550 5.1.1 The email account that you tried to reach does not exist.',
      bounce_classification: 'Invalid Address',
    },
  ],
  complained: [{ event: 'processed' }, { event: 'delivered', response: '250 2.0.0 OK' }, { event: 'spamreport' }],
  deferred: [
    { event: 'processed' },
    { event: 'deferred', response: '451 4.3.0 Mailbox temporarily unavailable, try again later', attempt: '1' },
    { event: 'delivered', response: '250 2.0.0 OK' },
  ],
};

/**
 * The events SendGrid would report for a message it accepted, in order, for every to, cc and bcc
 * recipient of every personalization. The personalization's custom args become top-level fields
 * (docs/sendgrid-event-webhook.md, section 4); SendGrid's own fields win over a custom arg of the
 * same name. Message-level `custom_args` is a string in SendGrid's document, so it adds no fields.
 */
export function eventsForAcceptedMail(xMessageId: string, body: unknown, nowMs: number): WebhookEvent[] {
  if (!isObject(body) || !Array.isArray(body.personalizations)) return [];
  const timestamp = Math.floor(nowMs / 1000);
  const categories = Array.isArray(body.categories) ? { category: body.categories } : {};
  return body.personalizations.flatMap((personalization, index) => {
    if (!isObject(personalization)) return [];
    const customArgs = isObject(personalization.custom_args) ? personalization.custom_args : {};
    const recipients = (['to', 'cc', 'bcc'] as const).flatMap((list) =>
      (Array.isArray(personalization[list]) ? (personalization[list] as unknown[]) : []).flatMap((entry) =>
        isObject(entry) && typeof entry.email === 'string' ? [entry.email] : [],
      ),
    );
    return recipients.flatMap((email, position) => {
      const sgMessageId = `${xMessageId}.sandbox${index}.${position}.0`;
      return SEQUENCES[recipientFate(email)].map(
        (specific) =>
          ({
            ...customArgs,
            ...categories,
            email,
            timestamp,
            'smtp-id': `<${xMessageId}@sendgrid-sandbox.local>`,
            sg_event_id: Buffer.from(randomUUID()).toString('base64url'),
            sg_message_id: sgMessageId,
            ...specific,
          }) as WebhookEvent,
      );
    });
  });
}
