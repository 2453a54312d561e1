import type { Logger } from '@aws-lambda-powertools/logger';
import { message } from '../message-catalog.js';
import { describeError } from '../observability/logger.js';
import { DomainProblem } from '../problem-catalog.js';
import {
  checkEventWebhookSignature,
  parseEventWebhookPublicKey,
  parseSendGridEvents,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
} from '../providers/sendgrid/sendgrid-event-webhook.js';
import { WEBHOOK_ID_PATTERN } from './event-webhook-registration.js';
import type { EventWebhookStore } from './event-webhook-store.js';
import type { FeedbackQueuePort } from './feedback-queue.js';
import type { NeutralFeedback } from './provider-feedback.js';

/** The largest body the webhook route reads: above SendGrid's 768 KB batches, far below API Gateway's cap. */
export const MAX_WEBHOOK_BODY_BYTES = 1_000_000;

/** Why a post to the public webhook route was refused. */
export class WebhookRefusal extends DomainProblem {
  override readonly name = 'WebhookRefusal';
}

/** What the receiver needs. */
export interface SendGridWebhookReceiverDeps {
  store: Pick<EventWebhookStore, 'lookup' | 'registration' | 'touchLastEvent'>;
  queue: FeedbackQueuePort;
  logger: Pick<Logger, 'info' | 'warn'>;
  now?: () => number;
}

/**
 * The public end of a tenant's SendGrid Event Webhook: finds the tenant by the URL's id, checks
 * SendGrid's signature over timestamp + raw body with that tenant's key (timestamp within five
 * minutes), and hands the parsed events to the feedback queue under that tenant — the body never
 * names the tenant. An unknown id and a bad signature are refused alike (403, same body), so the
 * route tells a prober nothing about which ids exist.
 */
export class SendGridWebhookReceiver {
  private readonly now: () => number;

  constructor(private readonly deps: SendGridWebhookReceiverDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Verifies and enqueues one post; resolves with how many events were queued. */
  async receive(webhookId: string, headers: Record<string, string | undefined>, rawBody: Buffer): Promise<number> {
    if (rawBody.byteLength > MAX_WEBHOOK_BODY_BYTES) {
      throw new WebhookRefusal('payload_too_large', message('payload_too_large', { maxBytes: MAX_WEBHOOK_BODY_BYTES }));
    }
    const lookup = WEBHOOK_ID_PATTERN.test(webhookId) ? await this.deps.store.lookup(webhookId) : undefined;
    if (!lookup) return this.refuse('unknown_webhook');
    const registration = await this.deps.store.registration(lookup.tenantId, lookup.provider);
    // A re-issued or deleted URL's lookup may outlive it for a moment: only the registered id counts.
    if (!registration || registration.webhookId !== webhookId) return this.refuse('unknown_webhook');
    const check = checkEventWebhookSignature({
      key: parseEventWebhookPublicKey(registration.publicKey),
      signature: headers[SIGNATURE_HEADER],
      timestamp: headers[TIMESTAMP_HEADER],
      rawBody,
      nowMs: this.now(),
    });
    if (check !== 'valid') return this.refuse(check, lookup.tenantId);

    let events: NeutralFeedback[];
    try {
      events = parseSendGridEvents(rawBody).filter((event) => event.kind !== 'other');
    } catch {
      throw new WebhookRefusal('invalid_request', message('webhook_body_not_json'), { extensions: { field: 'body' } });
    }
    if (events.length > 0) await this.deps.queue.enqueue({ provider: 'sendgrid', tenantId: lookup.tenantId, events });
    try {
      await this.deps.store.touchLastEvent(lookup.tenantId, 'sendgrid', webhookId, new Date(this.now()).toISOString());
    } catch (error) {
      // The events are queued; only the console's "last event received" lags.
      this.deps.logger.warn('could not note the webhook’s last event', { error: describeError(error) });
    }
    this.deps.logger.info('webhook batch queued', { tenantId: lookup.tenantId, events: events.length });
    return events.length;
  }

  private refuse(reason: string, tenantId?: string): never {
    // The id is a credential of sorts: never logged. The tenant only when the id was genuine.
    this.deps.logger.warn('webhook post refused', { reason, ...(tenantId ? { tenantId } : {}) });
    throw new WebhookRefusal('webhook_forbidden', message('webhook_forbidden'));
  }
}
