import * as z from 'zod';
import type { ProviderName } from '../providers/email-provider.js';

/**
 * Provider feedback in neutral form: each provider parses its own events (SendGrid's Event
 * Webhook, SES's configuration-set events) into {@link NeutralFeedback}, and the feedback queue
 * carries them as {@link FeedbackBatch}es to the one applier (message-feedback.ts).
 */

/** What an event says happened to one recipient. */
export const FEEDBACK_KINDS = [
  'processed',
  'delivered',
  'deferred',
  'bounced',
  'complained',
  'dropped',
  'other',
] as const;

/** One of {@link FEEDBACK_KINDS}. */
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];

/** Provider-neutral feedback about one recipient of one of our messages. */
export interface NeutralFeedback {
  /** Our messageId (the custom arg or message tag the send carried); absent when the event is not ours. */
  messageId: string | undefined;
  /** The tenant the event claims (only ever compared, never trusted). */
  claimedTenantId: string | undefined;
  /** The provider's id of this event: duplicates are applied once. */
  eventId: string;
  kind: FeedbackKind;
  /** For bounces: hard (permanent) or soft (a block). */
  bounceType?: 'hard' | 'soft';
  providerEventType: string;
  at: string;
  recipient: string;
  reason?: string;
  /**
   * The provider's id of the message the event is about (SES's `mail.messageId`): when given,
   * the event applies only to the message the provider took under that id (ours, in the ledger).
   */
  providerMessageId?: string;
}

/** Largest event id, recipient and reason we carry (SendGrid's ids are ≤ 100 characters). */
const MAX_ID = 200;

/** One event as the feedback queue carries it (checked again by the consumer: the queue is a trust boundary too). */
export const neutralFeedbackSchema = z.object({
  messageId: z.string().min(1).max(MAX_ID).optional(),
  claimedTenantId: z.string().max(MAX_ID).optional(),
  eventId: z.string().min(1).max(MAX_ID),
  kind: z.enum(FEEDBACK_KINDS),
  bounceType: z.enum(['hard', 'soft']).optional(),
  providerEventType: z.string().max(64),
  at: z.iso.datetime({ offset: true }),
  recipient: z.string().min(1).max(320),
  reason: z.string().max(500).optional(),
  providerMessageId: z.string().min(1).max(256).optional(),
});

/**
 * One message on the feedback queue: whose events these are (the tenant comes from where the
 * events arrived — the webhook's lookup item, SES's tenant tag — never from an event's body) and
 * which provider's.
 */
export const feedbackBatchSchema = z.object({
  provider: z.enum(['sendgrid', 'ses']),
  tenantId: z.string().min(1).max(256),
  events: z.array(neutralFeedbackSchema).max(5_000),
});

/** What one feedback queue message carries. */
export interface FeedbackBatch {
  provider: ProviderName;
  tenantId: string;
  events: NeutralFeedback[];
}
