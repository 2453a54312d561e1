import { isTenantId } from '../tenant-id.js';
import { EMAIL_SEND_REQUESTED, eventBridgeEnvelope } from './send-request.js';

/** Who may publish send requests: the event `source` and AWS `account` the send path accepts. */
export interface TrustedPublisher {
  source: string;
  account: string;
}

/** An EventBridge event as the send path reads it. */
export type SendEventEnvelope = ReturnType<typeof eventBridgeEnvelope.parse>;

/** What the trust screen made of one event: accepted with its fair-queue group, or refused for good. */
export type ScreenedSendEvent =
  | { kind: 'accepted'; event: SendEventEnvelope; group: string }
  | { kind: 'not_a_send_request'; detail: string }
  | { kind: 'untrusted'; event: SendEventEnvelope; detail: string };

/** The fair-queue group of a send request whose tenant id cannot be read (its consumer files it as invalid). */
export const UNKNOWN_TENANT_GROUP = 'unknown-tenant';

/**
 * The trust screen of the send path, in one place for the intake (before the send queue) and the
 * send consumer (after it): the message must be an "Email Send Requested" EventBridge event from
 * the trusted publisher's `source` and `account`. Anything else is refused, and nothing is
 * recorded under its tenant id, which means nothing when someone else wrote it.
 */
export function screenSendEvent(body: unknown, publisher: TrustedPublisher): ScreenedSendEvent {
  const envelope = eventBridgeEnvelope.safeParse(body);
  if (!envelope.success || envelope.data['detail-type'] !== EMAIL_SEND_REQUESTED) {
    return { kind: 'not_a_send_request', detail: 'The message is not an "Email Send Requested" event.' };
  }
  if (envelope.data.source !== publisher.source || envelope.data.account !== publisher.account) {
    return {
      kind: 'untrusted',
      event: envelope.data,
      detail: 'The event does not come from the trusted publisher (source and account).',
    };
  }
  return { kind: 'accepted', event: envelope.data, group: sendGroupOf(envelope.data.detail) };
}

/**
 * The fair-queue message group of a send request: its tenant, so one tenant's flood is one group
 * among many. A detail without a valid tenant id goes to one shared group, where the consumer
 * files it as `invalid_event`.
 */
export function sendGroupOf(detail: unknown): string {
  const tenantId =
    typeof detail === 'object' && detail !== null ? (detail as { tenantId?: unknown }).tenantId : undefined;
  return isTenantId(tenantId) ? tenantId : UNKNOWN_TENANT_GROUP;
}
