import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { FeedbackKind, NeutralFeedback } from '../../feedback/provider-feedback.js';
import { readOurTags } from './ses-message-tags.js';

/**
 * Amazon SES's events on EventBridge (FACTS.md 1.9, 3): the configuration set's email events
 * (source `aws.ses`, the SES event record as `detail`) and a tenant's `Sending Status
 * Enabled/Disabled`. Parsed strictly (zod) into neutral terms; pure, no I/O. What SES names:
 * - Send → processed; Delivery → delivered; Complaint → complained; DeliveryDelay → deferred
 *   (SES is still trying); Reject and Rendering Failure → dropped (SES never tried);
 * - Bounce `Permanent` → bounced hard; `Transient` and `Undetermined` → bounced **soft**: SES
 *   publishes a bounce only once it stopped retrying (FACTS.md 3.1), so the mail will not arrive
 *   (not `deferred`), but the address is not known to be dead, so it is not suppressed.
 * One neutral event per recipient; its id is the EventBridge event's `id` + the recipient, so a
 * redelivered event applies once.
 */

/** Where SES publishes (the default bus only, FACTS.md 3.1). */
export const SES_EVENT_SOURCE = 'aws.ses';

/** The configuration-set event types we publish and their EventBridge detail-types (FACTS.md 3.2). */
export const SES_FEEDBACK_EVENT_TYPES = {
  SEND: 'Email Sent',
  DELIVERY: 'Email Delivered',
  BOUNCE: 'Email Bounced',
  COMPLAINT: 'Email Complaint Received',
  REJECT: 'Email Rejected',
  DELIVERY_DELAY: 'Email Delivery Delayed',
  RENDERING_FAILURE: 'Email Rendering Failed',
} as const;

/** A tenant's sending status events (FACTS.md 1.9). */
export const SES_SENDING_STATUS_DETAIL_TYPES = ['Sending Status Enabled', 'Sending Status Disabled'] as const;

/** Every detail-type the stack's rule forwards. */
export const SES_RULE_DETAIL_TYPES: readonly string[] = [
  ...Object.values(SES_FEEDBACK_EVENT_TYPES),
  ...SES_SENDING_STATUS_DETAIL_TYPES,
];

/** The `eventType` of the SES event record each detail-type carries. */
const EVENT_TYPE_OF_DETAIL_TYPE: Readonly<Record<string, string>> = {
  'Email Sent': 'Send',
  'Email Delivered': 'Delivery',
  'Email Bounced': 'Bounce',
  'Email Complaint Received': 'Complaint',
  'Email Rejected': 'Reject',
  'Email Delivery Delayed': 'DeliveryDelay',
  'Email Rendering Failed': 'Rendering Failure',
};

const text = (max: number) => z.string().max(max);
const timestamp = z.iso.datetime({ offset: true });
const address = z.string().min(3).max(320);

const envelopeSchema = z.object({
  id: z.string().min(1).max(128),
  'detail-type': z.string().min(1).max(128),
  source: z.literal(SES_EVENT_SOURCE),
  account: z.string().max(32),
  time: timestamp,
  region: z.string().max(32),
  resources: z.array(z.string().max(2048)).max(20),
  detail: z.unknown(),
});

const mailSchema = z.object({
  timestamp,
  messageId: z.string().min(1).max(256),
  destination: z.array(address).min(1).max(1_000),
  tags: z.record(z.string().max(256), z.array(z.string().max(256)).max(10)),
});

const recipientsOf = <T extends z.ZodType>(entry: T) => z.array(entry).min(1).max(1_000);

const mailDetailSchema = z.discriminatedUnion('eventType', [
  z.object({ eventType: z.literal('Send'), mail: mailSchema }),
  z.object({
    eventType: z.literal('Delivery'),
    mail: mailSchema,
    delivery: z.object({ timestamp, recipients: recipientsOf(address), smtpResponse: text(2_000).optional() }),
  }),
  z.object({
    eventType: z.literal('Bounce'),
    mail: mailSchema,
    bounce: z.object({
      bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
      bounceSubType: text(64).optional(),
      timestamp,
      bouncedRecipients: recipientsOf(
        z.object({ emailAddress: address, status: text(32).optional(), diagnosticCode: text(2_000).optional() }),
      ),
    }),
  }),
  z.object({
    eventType: z.literal('Complaint'),
    mail: mailSchema,
    complaint: z.object({
      timestamp,
      complainedRecipients: recipientsOf(z.object({ emailAddress: address })),
      complaintFeedbackType: text(64).nullish(),
    }),
  }),
  z.object({
    eventType: z.literal('DeliveryDelay'),
    mail: mailSchema,
    deliveryDelay: z.object({
      timestamp,
      delayType: text(64),
      delayedRecipients: recipientsOf(
        z.object({ emailAddress: address, status: text(32).optional(), diagnosticCode: text(2_000).optional() }),
      ),
    }),
  }),
  z.object({ eventType: z.literal('Reject'), mail: mailSchema, reject: z.object({ reason: text(2_000) }) }),
  z.object({
    eventType: z.literal('Rendering Failure'),
    mail: mailSchema,
    failure: z.object({ errorMessage: text(2_000), templateName: text(256).optional() }),
  }),
]);

const statusDetailSchema = z.object({
  data: z.object({
    origin: z.enum(['CUSTOMER_MANAGED', 'AWS_MANAGED']),
    record: z.object({
      status: z.enum(['ENABLED', 'DISABLED', 'REINSTATED']),
      cause: text(2_000).nullish(),
      lastUpdatedTimestamp: z.array(z.number().int().nonnegative()).min(6).max(7).optional(),
    }),
  }),
});

/** A tenant's ARN (FACTS.md 1.3): `arn:<partition>:ses:<region>:<account>:tenant/<name>/<id>`. */
const TENANT_ARN = /^arn:[a-z0-9-]+:ses:[a-z0-9-]+:\d{12}:tenant\/([A-Za-z0-9_-]{1,64})\/[^/]+$/;

/** An email event, in neutral terms, with what names its message. */
export interface SesMailEvent {
  kind: 'mail';
  /** Our tenant and messageId from the message tags (absent: not a message of ours, or damaged tags). */
  tenantId: string | undefined;
  messageId: string | undefined;
  /** The SES tenant SES itself names, when the event carries one (a tenant ARN among `resources`). */
  sesTenantName: string | undefined;
  /** SES's id of the message (what SendEmail answered). */
  sesMessageId: string;
  feedback: NeutralFeedback[];
}

/** A tenant's sending was paused or resumed. */
export interface SesSendingStatusEvent {
  kind: 'sending_status';
  sesTenantName: string;
  /** The region of the SES tenant (tenants are per region). */
  region: string;
  /** false: `Sending Status Disabled`; true: enabled or reinstated. */
  enabled: boolean;
  origin: 'CUSTOMER_MANAGED' | 'AWS_MANAGED';
  cause: string | undefined;
  at: string;
}

/** What one event from the default bus is to us. */
export type SesEvent =
  | SesMailEvent
  | SesSendingStatusEvent
  /** From SES, but nothing we act on (opens, clicks, reputation findings). */
  | { kind: 'ignored'; detailType: string }
  /** Not an SES event as documented: counted and dropped. */
  | { kind: 'malformed'; reason: string };

/** Parses one EventBridge event; never throws. */
export function parseSesEvent(input: unknown): SesEvent {
  const envelope = envelopeSchema.safeParse(input);
  if (!envelope.success) return malformed('envelope', envelope.error);
  const event = envelope.data;
  const detailType = event['detail-type'];
  if ((SES_SENDING_STATUS_DETAIL_TYPES as readonly string[]).includes(detailType)) return statusEvent(event);
  const eventType = EVENT_TYPE_OF_DETAIL_TYPE[detailType];
  if (!eventType) return { kind: 'ignored', detailType };
  const detail = mailDetailSchema.safeParse(event.detail);
  if (!detail.success) return malformed('detail', detail.error);
  if (detail.data.eventType !== eventType) {
    return { kind: 'malformed', reason: `detail-type ${detailType} carries eventType ${detail.data.eventType}` };
  }
  const { mail } = detail.data;
  const ids = readOurTags(mail.tags);
  const feedbackOf = (
    recipients: readonly string[],
    kind: FeedbackKind,
    at: string,
    reasonOf: (recipient: string) => string | undefined,
    bounceType?: 'hard' | 'soft',
  ): NeutralFeedback[] =>
    [...new Set(recipients.map(plainAddress))].map((recipient) => {
      const reason = reasonOf(recipient);
      return {
        messageId: ids.messageId,
        claimedTenantId: ids.tenantId,
        eventId: eventIdOf(event.id, recipient),
        kind,
        ...(bounceType ? { bounceType } : {}),
        providerEventType: detail.data.eventType,
        at: new Date(at).toISOString(),
        recipient,
        ...(reason ? { reason: reason.slice(0, 500) } : {}),
        providerMessageId: mail.messageId,
      };
    });
  const byRecipient = <T extends { emailAddress: string }>(
    entries: readonly T[],
    read: (entry: T) => string | undefined,
  ) => {
    const reasons = new Map(entries.map((entry) => [plainAddress(entry.emailAddress), read(entry)]));
    return (recipient: string) => reasons.get(recipient);
  };

  let feedback: NeutralFeedback[];
  const record = detail.data;
  switch (record.eventType) {
    case 'Send':
      feedback = feedbackOf(mail.destination, 'processed', mail.timestamp, () => undefined);
      break;
    case 'Delivery':
      feedback = feedbackOf(
        record.delivery.recipients,
        'delivered',
        record.delivery.timestamp,
        () => record.delivery.smtpResponse,
      );
      break;
    case 'Bounce': {
      const { bounce } = record;
      const summary = `${bounce.bounceType} bounce${bounce.bounceSubType ? ` (${bounce.bounceSubType})` : ''}`;
      feedback = feedbackOf(
        bounce.bouncedRecipients.map((entry) => entry.emailAddress),
        'bounced',
        bounce.timestamp,
        byRecipient(bounce.bouncedRecipients, (entry) => entry.diagnosticCode ?? summary),
        bounce.bounceType === 'Permanent' ? 'hard' : 'soft',
      );
      break;
    }
    case 'Complaint': {
      const { complaint } = record;
      const type = complaint.complaintFeedbackType;
      feedback = feedbackOf(
        complaint.complainedRecipients.map((entry) => entry.emailAddress),
        'complained',
        complaint.timestamp,
        () => (type ? `Complaint (${type})` : 'Complaint'),
      );
      break;
    }
    case 'DeliveryDelay': {
      const delay = record.deliveryDelay;
      feedback = feedbackOf(
        delay.delayedRecipients.map((entry) => entry.emailAddress),
        'deferred',
        delay.timestamp,
        byRecipient(delay.delayedRecipients, (entry) => entry.diagnosticCode ?? delay.delayType),
      );
      break;
    }
    case 'Reject':
      feedback = feedbackOf(mail.destination, 'dropped', event.time, () => `Rejected: ${record.reject.reason}`);
      break;
    case 'Rendering Failure':
      feedback = feedbackOf(
        mail.destination,
        'dropped',
        event.time,
        () => `Rendering failed: ${record.failure.errorMessage}`,
      );
      break;
  }
  return {
    kind: 'mail',
    tenantId: ids.tenantId,
    messageId: ids.messageId,
    sesTenantName: tenantNameIn(event.resources),
    sesMessageId: mail.messageId,
    feedback,
  };
}

function statusEvent(event: z.infer<typeof envelopeSchema>): SesEvent {
  const detail = statusDetailSchema.safeParse(event.detail);
  if (!detail.success) return malformed('detail', detail.error);
  const sesTenantName = tenantNameIn(event.resources);
  if (!sesTenantName) return { kind: 'malformed', reason: 'resources name no tenant ARN' };
  const { origin, record } = detail.data.data;
  const enabled = event['detail-type'] === 'Sending Status Enabled';
  if (enabled !== (record.status !== 'DISABLED')) {
    return { kind: 'malformed', reason: `${event['detail-type']} carries status ${record.status}` };
  }
  return {
    kind: 'sending_status',
    sesTenantName,
    region: event.region,
    enabled,
    origin,
    cause: record.cause ?? undefined,
    at: stampOf(record.lastUpdatedTimestamp) ?? new Date(event.time).toISOString(),
  };
}

/** The SES tenant named by the first tenant ARN among `resources`. */
function tenantNameIn(resources: readonly string[]): string | undefined {
  for (const resource of resources) {
    const name = TENANT_ARN.exec(resource)?.[1];
    if (name) return name;
  }
  return undefined;
}

/** `[year, month, day, hour, minute, second, nanoseconds]` (FACTS.md 1.9) as ISO 8601; undefined when not a date. */
function stampOf(parts: readonly number[] | undefined): string | undefined {
  if (!parts) return undefined;
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0, nanos = 0] = parts;
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, Math.floor(nanos / 1_000_000)));
  return Number.isNaN(date.getTime()) || date.getUTCFullYear() !== year ? undefined : date.toISOString();
}

/** An address as SES may list it (`"Name" <a@b>`), plain and lower-cased. */
function plainAddress(value: string): string {
  const angle = /<([^<>]+)>\s*$/.exec(value);
  return (angle?.[1] ?? value).trim().toLowerCase();
}

/** The event's id and the recipient; a digest of the recipient when both would exceed the queue's 200 characters. */
function eventIdOf(id: string, recipient: string): string {
  const plain = `${id}:${recipient}`;
  if (plain.length <= 200) return plain;
  return `${id}:${createHash('sha256').update(recipient).digest('base64url')}`;
}

function malformed(part: string, error: z.ZodError): SesEvent {
  // Only paths and kinds of the issues: never the values (they may hold addresses).
  const issues = error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || part}: ${issue.code}`)
    .join('; ');
  return { kind: 'malformed', reason: `${part}: ${issues}` };
}
