import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { EnvelopeError } from '../crypto/envelope.js';
import type { IntegrationRecord, IntegrationStatus } from '../integrations/integration-record.js';
import { type IntegrationRepository, IntegrationStoreError } from '../integrations/integration-repository.js';
import { UpstreamUnavailableError } from '../problem-catalog.js';
import {
  type MailTransport,
  type ProviderName,
  SendFailure,
  type SendingAccount,
} from '../providers/email-provider.js';
import type { OutboundEmail } from './outbound-email.js';
import type { SendLedgerPort } from './send-ledger.js';
import { describeIssues, type EmailSendRequestedDetail, emailSendRequestedDetail } from './send-request.js';
import { chooseSender, SendRuleError } from './sender-rules.js';
import type { SendingCredentials } from './sending-credentials.js';

/** How one send request ended for this delivery of it. */
export type DispatchOutcome =
  | { kind: 'sent'; providerMessageId: string | null }
  /** Already sent or failed by an earlier delivery: nothing was done. */
  | { kind: 'duplicate'; state: 'sent' | 'failed' }
  /** Permanent: recorded in the ledger with its code and reason; do not retry. */
  | { kind: 'failed'; code: string; detail: string }
  /** Not taken this time: deliver again, no sooner than `afterSeconds` when given. */
  | { kind: 'retry'; code: string; detail: string; afterSeconds?: number };

/** The test send's answer (`POST /integrations/sendgrid/test`). */
export interface TestSendResult {
  outcome: 'accepted';
  from: string;
  to: string;
  sandbox: boolean;
  providerMessageId: string | null;
}

export interface DispatcherDeps {
  credentials: SendingCredentials;
  /** For marking the card when the provider rejects the key or the sender. */
  repository: Pick<IntegrationRepository, 'get' | 'put'>;
  /** One transport per provider; a tenant's record says which one sends its mail. */
  transports: Partial<Record<ProviderName, MailTransport>> & { sendgrid: MailTransport };
  ledger: SendLedgerPort;
  logger: Logger;
  /** How long a claim is presumed alive: longer than the function's own timeout. */
  leaseMs: number;
  now?: () => Date;
  newAttemptId?: () => string;
}

/** Statuses that stop sending until the tenant acts (rotates the key). */
const BLOCKING_STATUSES: ReadonlySet<IntegrationStatus> = new Set(['key_rejected']);

/**
 * The send path: from a send request to the provider, at most once per messageId.
 * Checks everything that can be checked before calling the provider (schema, integration,
 * sender rules, key), then claims the send in the ledger, calls the provider and settles the
 * claim with what the answer means (see SendFailureClass).
 */
export class EmailDispatcher {
  constructor(private readonly deps: DispatcherDeps) {}

  /** Handles the `detail` of one "Email Send Requested" event. */
  async dispatch(detail: unknown, eventId: string): Promise<DispatchOutcome> {
    const parsed = emailSendRequestedDetail.safeParse(detail);
    if (!parsed.success) {
      const { tenantId, messageId } = bestEffortIds(detail, eventId);
      return this.reject(
        tenantId,
        messageId,
        'invalid_event',
        `The event is invalid: ${describeIssues(parsed.error)}.`,
      );
    }
    const request = parsed.data;
    const { tenantId, messageId } = request;
    // Duplicates are caught by the claim (or by recordRejected); preparing first is cheap (cached).
    const prepared = await this.prepare(request);
    if ('kind' in prepared) return prepared;
    const { record, account, message } = prepared;

    const attemptId = this.deps.newAttemptId?.() ?? randomUUID();
    const claim = await this.deps.ledger.claim(tenantId, messageId, attemptId, this.deps.leaseMs);
    if (claim.kind === 'settled') return { kind: 'duplicate', state: claim.entry.state === 'sent' ? 'sent' : 'failed' };
    if (claim.kind === 'busy') {
      const waitMs = claim.entry.leaseUntil - this.nowMs();
      return {
        kind: 'retry',
        code: 'in_flight',
        detail: 'Another delivery of this message is being sent.',
        afterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
      };
    }
    if (claim.kind === 'abandoned') {
      const detailText =
        'An earlier attempt was cut off while sending; the mail may have gone out, so it is not sent again. Check SendGrid’s activity for custom arg messageId.';
      await this.deps.ledger.settleAbandoned(claim.entry, detailText);
      this.logFailure(tenantId, messageId, 'delivery_unknown', detailText);
      return { kind: 'failed', code: 'delivery_unknown', detail: detailText };
    }
    return this.sendClaimed(record, account, message, messageId, attemptId);
  }

  /** Sends one short message now, through the same rules and provider, without the queue. */
  async sendTest(tenantId: string, input: { to: string; from?: string; sandbox?: boolean }): Promise<TestSendResult> {
    const record = await this.deps.repository.get(tenantId);
    if (!record) {
      throw new SendRuleError(
        'not_found',
        'This tenant has no SendGrid integration to test. Verify and save a key first (PUT /integrations/sendgrid).',
      );
    }
    this.requireSendable(record);
    const from = chooseSender(record.emails, 'customer', input.from);
    const account = await this.accountOf(record);
    const message: OutboundEmail = {
      from: { email: from },
      to: [{ email: input.to }],
      subject: 'Test email from your SendGrid integration',
      text: `This is a test message sent from ${from} through your own SendGrid account. If you can read it, sending works.`,
      customArgs: { messageId: `test-${randomUUID()}` },
      ...(input.sandbox ? { sandbox: true } : {}),
    };
    try {
      const receipt = await this.transportOf(record).send(account, message);
      return {
        outcome: 'accepted',
        from,
        to: input.to,
        sandbox: input.sandbox === true,
        providerMessageId: receipt.providerMessageId,
      };
    } catch (error) {
      if (!(error instanceof SendFailure)) throw error;
      throw await this.testSendProblem(record, error);
    }
  }

  /** Reads the integration, applies the sender rules and decrypts the key: all before any claim. */
  private async prepare(
    request: EmailSendRequestedDetail,
  ): Promise<DispatchOutcome | { record: IntegrationRecord; account: SendingAccount; message: OutboundEmail }> {
    const { tenantId, messageId } = request;
    try {
      let record = await this.deps.credentials.record(tenantId);
      if (record && BLOCKING_STATUSES.has(record.status)) {
        // A blocked tenant may have rotated its key a moment ago: never block on a cached record.
        this.deps.credentials.forget(tenantId);
        record = await this.deps.credentials.record(tenantId);
      }
      if (!record) {
        return this.reject(
          tenantId,
          messageId,
          'no_integration',
          'The tenant has no SendGrid integration; nothing was sent.',
        );
      }
      this.requireSendable(record);
      const from = chooseSender(record.emails, request.audience, request.from);
      const account = await this.accountOf(record);
      return { record, account, message: toOutboundEmail(request, from) };
    } catch (error) {
      if (error instanceof SendRuleError) return this.reject(tenantId, messageId, error.code, error.detail);
      if (error instanceof EnvelopeError) return this.reject(tenantId, messageId, error.code, error.detail);
      if (error instanceof UpstreamUnavailableError) {
        return { kind: 'retry', code: 'upstream_unavailable', detail: error.detail };
      }
      throw error;
    }
  }

  private async sendClaimed(
    record: IntegrationRecord,
    account: SendingAccount,
    message: OutboundEmail,
    messageId: string,
    attemptId: string,
  ): Promise<DispatchOutcome> {
    const { tenantId } = record;
    let current = { record, account };
    for (let reread = false; ; reread = true) {
      try {
        const receipt = await this.transportOf(current.record).send(current.account, message);
        await this.deps.ledger.markSent(tenantId, messageId, attemptId, receipt.providerMessageId);
        return { kind: 'sent', providerMessageId: receipt.providerMessageId };
      } catch (error) {
        if (!(error instanceof SendFailure)) throw error;
        // A 401 may mean the key was rotated a moment ago: read the integration once more, retry once.
        if (error.failureClass === 'key_rejected' && error.options.status === 401 && !reread) {
          const fresh = await this.reread(tenantId);
          if (
            fresh &&
            !BLOCKING_STATUSES.has(fresh.record.status) &&
            fresh.record.emails.includes(message.from.email)
          ) {
            current = fresh;
            continue;
          }
        }
        return this.settleFailure(current.record, messageId, attemptId, error);
      }
    }
  }

  private async settleFailure(
    record: IntegrationRecord,
    messageId: string,
    attemptId: string,
    failure: SendFailure,
  ): Promise<DispatchOutcome> {
    const { tenantId } = record;
    const { ledger } = this.deps;
    switch (failure.failureClass) {
      case 'throttled':
      case 'transient': {
        await ledger.release(tenantId, messageId, attemptId, failure.failureClass, failure.reason);
        return {
          kind: 'retry',
          code: failure.failureClass,
          detail: failure.reason,
          ...(failure.options.retryAfterSeconds === undefined
            ? {}
            : { afterSeconds: failure.options.retryAfterSeconds }),
        };
      }
      case 'outcome_unknown': {
        // At most once: a resend could deliver the mail twice; an operator can resend with a new messageId.
        const detail = `${failure.reason} The mail may have gone out, so it is not sent again.`;
        await ledger.markFailed(tenantId, messageId, attemptId, 'delivery_unknown', detail);
        this.logFailure(tenantId, messageId, 'delivery_unknown', detail);
        return { kind: 'failed', code: 'delivery_unknown', detail };
      }
      case 'key_rejected':
      case 'sender_rejected': {
        await this.markIntegration(record, failure.failureClass, failure.reason);
        await ledger.markFailed(tenantId, messageId, attemptId, failure.failureClass, failure.reason);
        this.logFailure(tenantId, messageId, failure.failureClass, failure.reason);
        return { kind: 'failed', code: failure.failureClass, detail: failure.reason };
      }
      case 'message_rejected': {
        await ledger.markFailed(tenantId, messageId, attemptId, 'message_rejected', failure.reason);
        this.logFailure(tenantId, messageId, 'message_rejected', failure.reason);
        return { kind: 'failed', code: 'message_rejected', detail: failure.reason };
      }
    }
  }

  private async testSendProblem(record: IntegrationRecord, failure: SendFailure): Promise<Error> {
    switch (failure.failureClass) {
      case 'key_rejected':
        await this.markIntegration(record, 'key_rejected', failure.reason);
        return new SendRuleError(
          'key_rejected',
          `SendGrid refused the stored key (${failure.reason}). Create a new key in SendGrid and rotate it here.`,
        );
      case 'sender_rejected':
        await this.markIntegration(record, 'sender_rejected', failure.reason);
        return new SendRuleError(
          'sender_rejected',
          `SendGrid refused the sender (${failure.reason}). Check the domain under Settings → Sender Authentication in SendGrid.`,
        );
      case 'message_rejected':
        return new SendRuleError('message_rejected', `SendGrid refused the message: ${failure.reason}`);
      default:
        return new UpstreamUnavailableError('SendGrid', {
          cause: failure,
          ...(failure.options.retryAfterSeconds === undefined
            ? {}
            : { retryAfterSeconds: failure.options.retryAfterSeconds }),
        });
    }
  }

  /** Sets the card's status after the provider refused the key or sender, unless the key changed since. */
  private async markIntegration(sent: IntegrationRecord, status: 'key_rejected' | 'sender_rejected', reason: string) {
    const { tenantId } = sent;
    this.deps.credentials.forget(tenantId);
    const current = await this.deps.repository.get(tenantId);
    if (!current || current.keyVersion !== sent.keyVersion) return;
    const now = (this.deps.now?.() ?? new Date()).toISOString();
    try {
      await this.deps.repository.put(
        tenantId,
        { ...current, status, lastSendError: reason.slice(0, 500), revision: current.revision + 1, updatedAt: now },
        current.revision,
      );
    } catch (error) {
      // Someone changed the integration meanwhile (a rotation, most likely): theirs is newer.
      if (!(error instanceof IntegrationStoreError)) throw error;
    }
  }

  /** Where to send for a record: its region, and its decrypted key where the provider needs one. */
  private async accountOf(record: IntegrationRecord): Promise<SendingAccount> {
    if (record.provider === 'sendgrid') {
      return { region: record.region, apiKey: await this.deps.credentials.apiKey(record), tenantId: record.tenantId };
    }
    return { region: record.region, tenantId: record.tenantId };
  }

  private transportOf(record: IntegrationRecord): MailTransport {
    const transport = this.deps.transports[record.provider];
    if (!transport) throw new Error(`No transport configured for provider ${record.provider}.`);
    return transport;
  }

  private async reread(tenantId: string): Promise<{ record: IntegrationRecord; account: SendingAccount } | undefined> {
    this.deps.credentials.forget(tenantId);
    const record = await this.deps.credentials.record(tenantId);
    return record ? { record, account: await this.accountOf(record) } : undefined;
  }

  private requireSendable(record: IntegrationRecord): void {
    if (BLOCKING_STATUSES.has(record.status)) {
      throw new SendRuleError(
        'key_rejected',
        `SendGrid rejected this tenant's key${record.lastSendError ? ` (${record.lastSendError})` : ''}; nothing is sent until a new key is rotated in.`,
      );
    }
  }

  private async reject(tenantId: string, messageId: string, code: string, detail: string): Promise<DispatchOutcome> {
    const recorded = await this.deps.ledger.recordRejected(tenantId, messageId, code, detail);
    if (!recorded) {
      const entry = await this.deps.ledger.get(tenantId, messageId);
      if (entry?.state === 'sent' || entry?.state === 'failed') return { kind: 'duplicate', state: entry.state };
    }
    this.logFailure(tenantId, messageId, code, detail);
    return { kind: 'failed', code, detail };
  }

  private logFailure(tenantId: string, messageId: string, code: string, detail: string): void {
    this.deps.logger.error('send failed permanently', { tenantId, messageId, failureCode: code, detail });
  }

  private nowMs(): number {
    return this.deps.now?.().getTime() ?? Date.now();
  }
}

/** The neutral message for a valid send request, from the chosen sender; our messageId rides in customArgs. */
export function toOutboundEmail(request: EmailSendRequestedDetail, from: string): OutboundEmail {
  return {
    from: { email: from, ...(request.fromName ? { name: request.fromName } : {}) },
    to: request.to,
    ...(request.cc?.length ? { cc: request.cc } : {}),
    ...(request.bcc?.length ? { bcc: request.bcc } : {}),
    ...(request.replyTo ? { replyTo: request.replyTo } : {}),
    ...(request.subject === undefined ? {} : { subject: request.subject }),
    ...(request.text === undefined ? {} : { text: request.text }),
    ...(request.html === undefined ? {} : { html: request.html }),
    ...(request.templateId === undefined ? {} : { templateId: request.templateId }),
    ...(request.templateData ? { templateData: request.templateData } : {}),
    ...(request.categories?.length ? { categories: request.categories } : {}),
    customArgs: { ...request.customArgs, messageId: request.messageId },
  };
}

/** Ids to file an invalid event under: its own when they look usable, else the event's id. */
function bestEffortIds(detail: unknown, eventId: string): { tenantId: string; messageId: string } {
  const raw = (typeof detail === 'object' && detail !== null ? detail : {}) as Record<string, unknown>;
  const usable = (value: unknown, max: number) =>
    typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
  return {
    tenantId: usable(raw.tenantId, 128) ?? 'unknown-tenant',
    messageId: usable(raw.messageId, 200) ?? `event:${eventId}`,
  };
}
