import { createHash } from 'node:crypto';
import type { IntegrationStatus } from '../integrations/integration-record.js';
import type { ProviderName } from '../providers/email-provider.js';
import { withoutAddresses } from '../sending/address-redaction.js';
import type { MessageStatus } from '../sending/message-status.js';

/**
 * The outcome events the service publishes on its own bus for the product's automations: what
 * became of a send request, of a delivery, of a tenant's integration. Pure (no SDK), so every
 * function and the docs' tests can import it. Detail schemas: docs/events.md and
 * docs/events/*.schema.json.
 *
 * No recipient address is ever in an event: the bus is the platform's, read by whatever rules
 * the platform adds, while addresses are the tenant's data. An event names the `messageId`; the
 * tenant reads the recipients with `GET /messages/{messageId}`.
 */

/** The `source` of every outcome event: never the automations' source, so no rule takes them for send requests. */
export const OUTCOME_EVENT_SOURCE = 'email-integrations';

/** The `detail-type` of each outcome event. */
export const OUTCOME_DETAIL_TYPES = {
  sendAccepted: 'Email Send Accepted',
  sendFailed: 'Email Send Failed',
  deliveryUpdated: 'Email Delivery Updated',
  integrationStatusChanged: 'Email Integration Status Changed',
} as const;

/** One of the outcome events' detail types. */
export type OutcomeDetailType = (typeof OUTCOME_DETAIL_TYPES)[keyof typeof OUTCOME_DETAIL_TYPES];

/** What every outcome event's detail carries. */
interface OutcomeDetailBase {
  /**
   * Stable per outcome: derived from the tenant, the subject (message or integration) and the
   * status, so every re-publication of the same outcome carries the same id. Consumers dedupe on it.
   */
  eventId: string;
  tenantId: string;
  /** When the outcome happened (ISO 8601). */
  occurredAt: string;
}

/** `Email Send Accepted`: the provider took the message. */
export interface SendAcceptedDetail extends OutcomeDetailBase {
  messageId: string;
  status: 'accepted';
  providerMessageId: string | null;
}

/** `Email Send Failed`: the send ended without the provider taking it (or with an unknown outcome). */
export interface SendFailedDetail extends OutcomeDetailBase {
  messageId: string;
  status: 'failed' | 'delivery_unknown' | 'suppressed';
  /** A stable code: a send outcome code (shared/sending/send-outcomes.ts) or `recipients_suppressed`. */
  code: string;
  /** Plain words: what happened and what to do; never an address. */
  detail: string;
}

/** The delivery statuses provider feedback moves a message to. */
export type DeliveryStatus = Extract<MessageStatus, 'delivered' | 'deferred' | 'bounced' | 'complained' | 'dropped'>;

/** `Email Delivery Updated`: provider feedback moved the message's status. */
export interface DeliveryUpdatedDetail extends OutcomeDetailBase {
  messageId: string;
  status: DeliveryStatus;
  /** The provider's reason in plain words (bounce or drop reason), without addresses; null when it gave none. */
  reason: string | null;
}

/** Why an integration's status changed. */
export type IntegrationStatusCause =
  | 'saved'
  | 'rotated'
  | 'deleted'
  | 'health_check'
  | 'domain_check'
  | 'send_refused'
  /** Amazon SES paused or enabled the tenant's SES tenant (`Sending Status Disabled/Enabled`). */
  | 'ses_sending_status'
  /** The tenant switched its sending to Amazon SES (`POST /integrations/ses/activate`). */
  | 'ses_activated'
  /** An operator re-verified the integration (`npm run ops -- verify`). */
  | 'operator_check'
  /** An operator moved the tenant to another provider (`npm run ops -- migrate`). */
  | 'operator_migration';

/** `Email Integration Status Changed`: the tenant's card status changed (or the card was created or deleted). */
export interface IntegrationStatusChangedDetail extends OutcomeDetailBase {
  provider: ProviderName;
  status: IntegrationStatus | 'deleted';
  /** null when the integration was just created. */
  previousStatus: IntegrationStatus | null;
  cause: IntegrationStatusCause;
  /** Plain words: why, and whether mail is sent now. */
  reason: string;
}

/** One event to publish. */
export type OutcomeEvent =
  | { detailType: typeof OUTCOME_DETAIL_TYPES.sendAccepted; detail: SendAcceptedDetail }
  | { detailType: typeof OUTCOME_DETAIL_TYPES.sendFailed; detail: SendFailedDetail }
  | { detailType: typeof OUTCOME_DETAIL_TYPES.deliveryUpdated; detail: DeliveryUpdatedDetail }
  | { detailType: typeof OUTCOME_DETAIL_TYPES.integrationStatusChanged; detail: IntegrationStatusChangedDetail };

/** The dedupe id of an outcome: a hash of what identifies it (tenant, subject, status), 32 hex digits. */
export function outcomeEventId(detailType: OutcomeDetailType, tenantId: string, ...subject: string[]): string {
  return createHash('sha256')
    .update([detailType, tenantId, ...subject].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
}

/** `Email Send Accepted` for a message. */
export function sendAccepted(input: {
  tenantId: string;
  messageId: string;
  providerMessageId: string | null;
  occurredAt: string;
}): OutcomeEvent {
  const detailType = OUTCOME_DETAIL_TYPES.sendAccepted;
  return {
    detailType,
    detail: {
      eventId: outcomeEventId(detailType, input.tenantId, input.messageId, 'accepted'),
      tenantId: input.tenantId,
      messageId: input.messageId,
      status: 'accepted',
      providerMessageId: input.providerMessageId,
      occurredAt: input.occurredAt,
    },
  };
}

/** `Email Send Failed` for a message. */
export function sendFailed(input: {
  tenantId: string;
  messageId: string;
  status: SendFailedDetail['status'];
  code: string;
  detail: string;
  occurredAt: string;
}): OutcomeEvent {
  const detailType = OUTCOME_DETAIL_TYPES.sendFailed;
  return {
    detailType,
    detail: {
      eventId: outcomeEventId(detailType, input.tenantId, input.messageId, input.status),
      tenantId: input.tenantId,
      messageId: input.messageId,
      status: input.status,
      code: input.code,
      // Provider texts may quote a recipient; the bus never carries one.
      detail: withoutAddresses(input.detail),
      occurredAt: input.occurredAt,
    },
  };
}

/**
 * `Email Delivery Updated` for a message (the feedback applier publishes it after writing the
 * status): one per status a message reaches, since statuses only move forward.
 */
export function deliveryUpdated(input: {
  tenantId: string;
  messageId: string;
  status: DeliveryStatus;
  reason: string | null;
  occurredAt: string;
}): OutcomeEvent {
  const detailType = OUTCOME_DETAIL_TYPES.deliveryUpdated;
  return {
    detailType,
    detail: {
      eventId: outcomeEventId(detailType, input.tenantId, input.messageId, input.status),
      tenantId: input.tenantId,
      messageId: input.messageId,
      status: input.status,
      reason: input.reason === null ? null : withoutAddresses(input.reason),
      occurredAt: input.occurredAt,
    },
  };
}

/**
 * `Email Integration Status Changed`. The id is derived from the card's identity (its creation
 * time) and the revision that carries the change, so the same change always has the same id.
 */
export function integrationStatusChanged(input: {
  tenantId: string;
  provider: ProviderName;
  status: IntegrationStatusChangedDetail['status'];
  previousStatus: IntegrationStatus | null;
  cause: IntegrationStatusCause;
  reason: string;
  card: { createdAt: string; revision: number };
  occurredAt: string;
}): OutcomeEvent {
  const detailType = OUTCOME_DETAIL_TYPES.integrationStatusChanged;
  return {
    detailType,
    detail: {
      eventId: outcomeEventId(
        detailType,
        input.tenantId,
        input.card.createdAt,
        String(input.card.revision),
        input.status,
      ),
      tenantId: input.tenantId,
      provider: input.provider,
      status: input.status,
      previousStatus: input.previousStatus,
      cause: input.cause,
      reason: input.reason,
      occurredAt: input.occurredAt,
    },
  };
}

const CAUSE_TEXTS: Record<IntegrationStatusCause, string> = {
  saved: 'The integration was saved with a key that passed verification.',
  rotated: 'A new key was rotated in.',
  deleted: 'The integration was deleted.',
  health_check: 'The health check re-verified the integration with the provider.',
  domain_check: 'A check of the tenant’s Amazon SES domains found a sender domain failed, or verified again.',
  send_refused: 'The provider refused a send.',
  ses_sending_status: 'Amazon SES changed the sending status of the tenant’s SES tenant.',
  ses_activated: 'The tenant switched its sending to Amazon SES, from senders at its verified domains.',
  operator_check: 'An operator re-verified the integration with the provider.',
  operator_migration: 'An operator moved the tenant’s sending to another provider.',
};

const STATUS_TEXTS: Record<IntegrationStatusChangedDetail['status'], string> = {
  active: 'Mail is sent.',
  key_rejected: 'The provider refuses the key: nothing is sent until a new key is rotated in.',
  sender_rejected: 'The provider refused a registered sender: mail from it is not sent until that is fixed.',
  scopes_changed:
    'The key’s permissions changed at the provider: mail may stop. Rotate in a key with the required ones.',
  sender_unauthenticated:
    'A registered sender’s domain is no longer authenticated at the provider: its mail may not arrive.',
  domain_failed:
    'An Amazon SES domain with registered senders failed verification: mail from senders there is refused until it verifies again.',
  paused:
    'Amazon SES paused the tenant (usually for bounces or complaints): nothing is sent until SES enables it again.',
  deleted: 'Nothing is sent for this tenant until an integration is saved again.',
};

/** The plain-words `reason` of a status change: its cause, then what it means for mail. */
export function integrationStatusReason(
  cause: IntegrationStatusCause,
  status: IntegrationStatusChangedDetail['status'],
): string {
  return `${CAUSE_TEXTS[cause]} ${STATUS_TEXTS[status]}`;
}

/** A change of a tenant's card status, as the use cases and the health check report it. */
export interface IntegrationStatusChange {
  tenantId: string;
  provider: ProviderName;
  status: IntegrationStatusChangedDetail['status'];
  previousStatus: IntegrationStatus | null;
  cause: IntegrationStatusCause;
  /** The card as written by the change (or, for a deletion, as it was). */
  card: { createdAt: string; revision: number };
}

/**
 * Told every change of a card's status, after the card is written. Never throws: the card is
 * the truth and the request that changed it must not fail because the bus did (see
 * {@link import('./outcome-announcer.js').OutcomeAnnouncer}).
 */
export interface IntegrationStatusEvents {
  changed(change: IntegrationStatusChange): Promise<void>;
}
