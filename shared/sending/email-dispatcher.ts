import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { EnvelopeError } from '../crypto/envelope.js';
import type { IntegrationRecord } from '../integrations/integration-record.js';
import { IntegrationStoreError } from '../integrations/integration-repository.js';
import type { Slots } from '../map-bounded.js';
import { describeError } from '../observability/logger.js';
import { type OutcomeEvent, sendAccepted, sendFailed } from '../outcome-events/outcome-events.js';
import type { OutcomePublisher } from '../outcome-events/outcome-publisher.js';
import { UpstreamUnavailableError } from '../problem-catalog.js';
import { SendFailure, type SendFailureClass, type SendingAccount } from '../providers/email-provider.js';
import { recipientsOf, screenRecipients } from '../suppression/recipient-screening.js';
import type { SuppressionQuery, SuppressionScreen, SuppressionSnapshot } from '../suppression/suppression-list.js';
import { isTenantId } from '../tenant-id.js';
import { BatchCompletion, BatchSettles, type SettleMember } from './batch-settles.js';
import { BLOCKING_STATUSES, type MailAccounts } from './mail-accounts.js';
import type { OutboundEmail } from './outbound-email.js';
import { FAILURE_HANDLING } from './redelivery-policy.js';
import { type SendLedgerPort, sendLedgerStatus } from './send-ledger.js';
import type { PermanentSendCode, RetrySendCode } from './send-outcomes.js';
import {
  describeIssues,
  type EmailSendRequestedDetail,
  emailSendRequestedDetail,
  isMessageId,
} from './send-request.js';
import { chooseSender, requireVerifiedSenderDomain, SendRuleError } from './sender-rules.js';
import type { CapSlot, TenantCapsPort } from './tenant-caps.js';
import type { TenantPausePort } from './tenant-pauses.js';

/** How one send request ended for this delivery of it. */
export type DispatchOutcome =
  | { kind: 'sent'; providerMessageId: string | null }
  /** Already sent or failed by an earlier delivery: nothing was done. */
  | { kind: 'duplicate'; state: 'sent' | 'failed' }
  /** Every addressee is on the tenant's suppression list: recorded `suppressed`, the provider not called. */
  | { kind: 'suppressed'; suppressedCount: number }
  /** Permanent: recorded in the ledger with its code and reason; do not retry. */
  | { kind: 'failed'; code: PermanentSendCode; detail: string }
  /**
   * Not taken this time: deliver again, no sooner than `afterSeconds` when given. `requeue`: held
   * back by a tenant cap, not failed, so it is queued afresh instead of spending a delivery.
   */
  | { kind: 'retry'; code: RetrySendCode; detail: string; afterSeconds?: number; requeue?: true };

/** What the dispatches of one batch share: read once for the whole batch (see {@link EmailDispatcher.prepareBatch}). */
export interface BatchContext {
  /**
   * The tenants' suppression lists, as they were for every recipient of the batch: read while the
   * batch's messages are claimed (undefined when the read failed: each message reads its own).
   */
  suppressions?: Promise<SuppressionSnapshot | undefined>;
  /** Bounds the batch's provider calls in flight (none: unbounded, one message at a time). */
  providerSlots?: Slots;
  /**
   * Bounds the batch's claims in flight, as many as provider calls: the first wave's claims are not
   * queued behind the later ones', which are made while the first wave is at the provider.
   */
  claimSlots?: Slots;
  /** Counts the batch's sends that still have work besides announcing (see {@link BatchCompletion}). */
  completion?: BatchCompletion;
  /** Gathers the batch's sent settles into one ledger write (none: each send settles by itself). */
  settles?: BatchSettles;
}

/** What {@link EmailDispatcher} needs. */
export interface DispatcherDeps {
  /** Accounts, transports and card marking, shared with the test send. */
  accounts: MailAccounts;
  ledger: SendLedgerPort;
  /**
   * Where the outcome of each send is announced (`Email Send Accepted` / `Email Send Failed`),
   * after the ledger holds it (none: nothing is announced).
   */
  outcomes?: OutcomePublisher;
  /** The tenants' suppression lists, read once per message before the provider is called (none: no screening). */
  suppressions?: SuppressionScreen;
  /** Per-tenant pauses after a provider rate limit, shared by every send function (none: no pausing). */
  pauses?: TenantPausePort;
  /** Optional per-tenant caps on sends in flight and per day (none: no caps). */
  caps?: TenantCapsPort;
  logger: Logger;
  /** How long a claim is presumed alive: longer than the function's own timeout. */
  leaseMs: number;
  now: () => Date;
  newAttemptId?: () => string;
}

/**
 * The send path: from a send request to the provider, at most once per messageId.
 * Checks everything that can be checked before calling the provider (schema, integration,
 * sender rules, key), then claims the send in the ledger, calls the provider and settles the
 * claim with what the answer means (see SendFailureClass).
 */
export class EmailDispatcher {
  constructor(private readonly deps: DispatcherDeps) {}

  /**
   * Handles the `detail` of one "Email Send Requested" event, then announces its outcome on the
   * bus. Announcing comes after the ledger holds the outcome; when it fails, the request comes
   * back (`outcome_unpublished`) and its next delivery, a duplicate, announces it from the ledger.
   */
  async dispatch(detail: unknown, eventId: string, batch: BatchContext = {}): Promise<DispatchOutcome> {
    const ownPartDone = batch.completion?.member() ?? (() => undefined);
    const settle = batch.settles?.member();
    try {
      const outcome = await this.dispatchOnce(detail, eventId, batch, settle);
      // Before announcing: a send waiting for the batch's announcement call must not hold back the
      // batch's settle write, which the others' announcements wait for (else both wait out their windows).
      settle?.done();
      return await this.announce(detail, eventId, outcome, ownPartDone);
    } finally {
      settle?.done();
      ownPartDone();
    }
  }

  /** A {@link BatchCompletion} for `sends` dispatches of one batch, flushing this dispatcher's announcements. */
  batchCompletion(sends: number): BatchCompletion {
    return new BatchCompletion(sends, () => this.deps.outcomes?.flush?.());
  }

  /** {@link BatchSettles} for `sends` dispatches of one batch: their sent settles in one ledger write. */
  batchSettles(sends: number): BatchSettles {
    return new BatchSettles(sends, (settles) => this.deps.ledger.settleSent(settles));
  }

  /**
   * Starts reading at once what every message of a batch would otherwise read by itself: the
   * tenants' suppression lists for all the batch's recipients, one BatchGetItem for an SQS batch of
   * 10 instead of ten. The messages are claimed meanwhile (a claim does not depend on the lists),
   * so the read costs the batch no time of its own. The answers are as fresh as a message's own
   * read at the batch's start. When the read fails, each message reads for itself (and is retried
   * if that fails too).
   */
  prepareBatch(details: readonly unknown[]): BatchContext {
    const screen = this.deps.suppressions;
    if (!screen) return {};
    const queries = details.flatMap((detail) => suppressionQueryOf(detail) ?? []);
    if (queries.length === 0) return {};
    const suppressions = screen.snapshot(queries).catch((error: unknown) => {
      this.deps.logger.warn('could not read the batch’s suppression lists at once; each message reads its own', {
        error: describeError(error),
      });
      return undefined;
    });
    return { suppressions };
  }

  private async dispatchOnce(
    detail: unknown,
    eventId: string,
    batch: BatchContext,
    settle: SettleMember | undefined,
  ): Promise<DispatchOutcome> {
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
    const paused = await this.pausedFor(tenantId);
    if (paused) return paused;

    const attemptId = this.deps.newAttemptId?.() ?? randomUUID();
    const capped = await this.capFor(tenantId, attemptId);
    if (capped.kind === 'held') return capped.outcome;
    let outcome: DispatchOutcome | undefined;
    try {
      outcome = await this.claimAndSend(record, account, message, messageId, attemptId, batch, settle);
      return outcome;
    } finally {
      if (capped.slot) await this.releaseCap(capped.slot, outcome);
    }
  }

  private async claimAndSend(
    record: IntegrationRecord,
    account: SendingAccount,
    message: OutboundEmail,
    messageId: string,
    attemptId: string,
    batch: BatchContext,
    settle: SettleMember | undefined,
  ): Promise<DispatchOutcome> {
    const { tenantId } = record;
    const claimOne = () =>
      this.deps.ledger.claim(tenantId, messageId, attemptId, this.deps.leaseMs, {
        recipients: recipientsOf(message),
      });
    const claim = await (batch.claimSlots ? batch.claimSlots.run(claimOne) : claimOne());
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
        'An earlier attempt was cut off while sending; the mail may have gone out, so it is not sent again. Look the messageId up in the provider’s activity.';
      await this.deps.ledger.settleAbandoned(claim.entry, detailText);
      this.logFailure(tenantId, messageId, 'delivery_unknown', detailText);
      return { kind: 'failed', code: 'delivery_unknown', detail: detailText };
    }
    // Screened after the claim, so the batch's suppression read overlaps the claims. Whatever stops
    // the screening gives the claim back: the provider was not called, so a later delivery may send.
    let screened: Awaited<ReturnType<EmailDispatcher['screen']>>;
    try {
      screened = await this.screen(tenantId, message, await batch.suppressions);
    } catch (error) {
      await this.deps.ledger.release(
        tenantId,
        messageId,
        attemptId,
        'internal_error',
        'The recipients could not be screened.',
      );
      throw error;
    }
    if ('kind' in screened) {
      await this.deps.ledger.release(tenantId, messageId, attemptId, screened.code, screened.detail);
      return screened;
    }
    if (!screened.message) return this.settleSuppressed(tenantId, messageId, attemptId, screened.suppressed);
    const screening = { recipients: recipientsOf(screened.message), suppressedRecipients: screened.suppressed };
    // Settled as sent with the batch's others (one write) when the batch gathers them, else by itself.
    const markSent = (providerMessageId: string | null) =>
      settle
        ? settle.settle({ claimed: claim.entry, providerMessageId, screening })
        : this.deps.ledger.markSent(tenantId, messageId, attemptId, providerMessageId, screening);
    return this.sendClaimed(record, account, screened.message, messageId, attemptId, batch.providerSlots, markSent);
  }

  /**
   * Takes the tenant's suppressed recipients out of the message: from the batch's snapshot when it
   * asked for all of them, else one batched read of the tenant's list for all recipients. A failed
   * read sends nothing: the message comes back later.
   */
  private async screen(
    tenantId: string,
    message: OutboundEmail,
    snapshot: SuppressionSnapshot | undefined,
  ): Promise<Extract<DispatchOutcome, { kind: 'retry' }> | ReturnType<typeof screenRecipients>> {
    if (!this.deps.suppressions) return { message, suppressed: [] };
    const recipients = recipientsOf(message);
    try {
      const suppressed =
        snapshot?.among(tenantId, recipients) ?? (await this.deps.suppressions.suppressedAmong(tenantId, recipients));
      return screenRecipients(message, suppressed);
    } catch (error) {
      if (error instanceof UpstreamUnavailableError) {
        return { kind: 'retry', code: 'upstream_unavailable', detail: error.detail };
      }
      throw error;
    }
  }

  /** No addressee is left: the claimed message ends `suppressed` without a provider call (unless settled meanwhile). */
  private async settleSuppressed(
    tenantId: string,
    messageId: string,
    attemptId: string,
    suppressed: string[],
  ): Promise<DispatchOutcome> {
    const recorded = await this.deps.ledger.markSuppressed(tenantId, messageId, attemptId, suppressed);
    if (!recorded) {
      const entry = await this.deps.ledger.get(tenantId, messageId);
      if (entry?.state === 'sent' || entry?.state === 'failed') return { kind: 'duplicate', state: entry.state };
    }
    // The count only: addresses stay with the message.
    this.deps.logger.info('send suppressed: every addressee is on the tenant’s suppression list', {
      tenantId,
      messageId,
      suppressedCount: suppressed.length,
    });
    return { kind: 'suppressed', suppressedCount: suppressed.length };
  }

  /**
   * Publishes the outcome the ledger now holds: sent → `Email Send Accepted`; failed, unknown or
   * suppressed → `Email Send Failed`; a duplicate re-announces what the ledger holds (same
   * eventId). Retries are no outcome yet. Events for an event's placeholder tenant are not published.
   */
  private async announce(
    detail: unknown,
    eventId: string,
    outcome: DispatchOutcome,
    queued: () => void,
  ): Promise<DispatchOutcome> {
    if (!this.deps.outcomes || outcome.kind === 'retry') return outcome;
    const { tenantId, messageId } = bestEffortIds(detail, eventId);
    if (tenantId === UNKNOWN_TENANT) return outcome;
    const event = await this.outcomeEvent(tenantId, messageId, outcome);
    if (!event) return outcome;
    try {
      const published = this.deps.outcomes.publish([event]);
      // The event is with the publisher now: from here on this send only waits.
      queued();
      await published;
      return outcome;
    } catch (error) {
      this.deps.logger.error('outcome event not published; the send request comes back to announce it', {
        tenantId,
        messageId,
        detailType: event.detailType,
        eventId: event.detail.eventId,
        error: describeError(error),
      });
      return {
        kind: 'retry',
        code: 'outcome_unpublished',
        detail:
          'The outcome is recorded, but announcing it on the event bus failed; the request comes back to announce it.',
      };
    }
  }

  /** The event announcing an outcome (for a duplicate: what the ledger holds). */
  private async outcomeEvent(
    tenantId: string,
    messageId: string,
    outcome: Exclude<DispatchOutcome, { kind: 'retry' }>,
  ): Promise<OutcomeEvent | undefined> {
    const occurredAt = this.deps.now().toISOString();
    switch (outcome.kind) {
      case 'sent':
        return sendAccepted({ tenantId, messageId, providerMessageId: outcome.providerMessageId, occurredAt });
      case 'failed':
        return sendFailed({
          tenantId,
          messageId,
          status: outcome.code === 'delivery_unknown' ? 'delivery_unknown' : 'failed',
          code: outcome.code,
          detail: outcome.detail,
          occurredAt,
        });
      case 'suppressed':
        return suppressedEvent(tenantId, messageId, occurredAt);
      case 'duplicate': {
        const entry = await this.deps.ledger.get(tenantId, messageId);
        if (!entry || (entry.state !== 'sent' && entry.state !== 'failed')) return undefined;
        const at = entry.updatedAt || occurredAt;
        const status = sendLedgerStatus(entry);
        if (entry.state === 'sent') {
          return sendAccepted({
            tenantId,
            messageId,
            providerMessageId: entry.providerMessageId ?? null,
            occurredAt: at,
          });
        }
        if (status === 'suppressed') return suppressedEvent(tenantId, messageId, at);
        return sendFailed({
          tenantId,
          messageId,
          status: status === 'delivery_unknown' ? 'delivery_unknown' : 'failed',
          code: entry.failureCode ?? 'failed',
          detail: entry.failureDetail ?? 'The send failed.',
          occurredAt: at,
        });
      }
    }
  }

  /** Reads the integration, applies the sender rules and decrypts the key: all before any claim. */
  private async prepare(
    request: EmailSendRequestedDetail,
  ): Promise<DispatchOutcome | { record: IntegrationRecord; account: SendingAccount; message: OutboundEmail }> {
    const { tenantId, messageId } = request;
    try {
      let record = await this.deps.accounts.credentials.record(tenantId);
      if (record && BLOCKING_STATUSES.has(record.status)) {
        // A blocked tenant may have rotated its key a moment ago: never block on a cached record.
        this.deps.accounts.credentials.forget(tenantId);
        record = await this.deps.accounts.credentials.record(tenantId);
      }
      if (!record) {
        return this.reject(
          tenantId,
          messageId,
          'no_integration',
          'The tenant has no email integration; nothing was sent.',
        );
      }
      this.deps.accounts.requireSendable(record);
      const from = chooseSender(record.emails, request.audience, request.from);
      requireVerifiedSenderDomain(record.failedDomains, from);
      const account = await this.deps.accounts.accountOf(record);
      return { record, account, message: toOutboundEmail(request, from) };
    } catch (error) {
      if (error instanceof SendRuleError) return this.reject(tenantId, messageId, error.code, error.detail);
      if (error instanceof EnvelopeError || isUnreadable(error)) {
        return this.reject(tenantId, messageId, 'integration_unreadable', (error as EnvelopeError).detail);
      }
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
    providerSlots: Slots | undefined,
    markSent: (providerMessageId: string | null) => Promise<unknown>,
  ): Promise<DispatchOutcome> {
    const { tenantId } = record;
    let current = { record, account };
    for (let reread = false; ; reread = true) {
      try {
        const { record: sendRecord, account: sendAccount } = current;
        const call = () => this.deps.accounts.transportOf(sendRecord).send(sendAccount, message);
        const receipt = await (providerSlots ? providerSlots.run(call) : call());
        await markSent(receipt.providerMessageId);
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
    const failureClass = failure.failureClass;
    switch (FAILURE_HANDLING[failureClass]) {
      case 'redeliver': {
        const code: RetrySendCode = failureClass === 'throttled' ? 'throttled' : 'transient';
        await ledger.release(tenantId, messageId, attemptId, code, failure.reason);
        if (code === 'throttled' && failure.options.retryAfterSeconds !== undefined) {
          await this.pauseTenant(tenantId, failure.options.retryAfterSeconds);
        }
        return {
          kind: 'retry',
          code,
          detail: failure.reason,
          ...(failure.options.retryAfterSeconds === undefined
            ? {}
            : { afterSeconds: failure.options.retryAfterSeconds }),
        };
      }
      case 'give_up_unknown': {
        // At most once: a resend could deliver the mail twice; an operator can resend with a new messageId.
        const detail = `${failure.reason} The mail may have gone out, so it is not sent again.`;
        await ledger.markFailed(tenantId, messageId, attemptId, 'delivery_unknown', detail);
        this.logFailure(tenantId, messageId, 'delivery_unknown', detail);
        return { kind: 'failed', code: 'delivery_unknown', detail };
      }
      case 'give_up': {
        const code = permanentCodeOf(failureClass);
        if (code === 'key_rejected' || code === 'sender_rejected') {
          await this.deps.accounts.markIntegration(record, code, failure.reason);
        }
        await ledger.markFailed(tenantId, messageId, attemptId, code, failure.reason);
        this.logFailure(tenantId, messageId, code, failure.reason);
        return { kind: 'failed', code, detail: failure.reason };
      }
    }
  }

  /**
   * A tenant the provider rate-limited waits until the limit resets, in every send function:
   * its mail goes back to the queue without calling the provider. Other tenants are unaffected.
   */
  private async pausedFor(tenantId: string): Promise<DispatchOutcome | undefined> {
    if (!this.deps.pauses) return undefined;
    let until: number | undefined;
    try {
      until = await this.deps.pauses.pausedUntil(tenantId);
    } catch (error) {
      if (error instanceof UpstreamUnavailableError) {
        return { kind: 'retry', code: 'upstream_unavailable', detail: error.detail };
      }
      throw error;
    }
    if (until === undefined) return undefined;
    return {
      kind: 'retry',
      code: 'throttled',
      detail: 'The provider rate-limited this tenant; its mail waits until the limit resets.',
      afterSeconds: Math.max(1, Math.ceil((until - this.nowMs()) / 1000)),
    };
  }

  /**
   * An operator's cap on the tenant (sends in flight, sends per day) holds the message back: it is
   * queued again (`requeue`) rather than redelivered, so a cap never spends the redelivery budget.
   */
  private async capFor(
    tenantId: string,
    attemptId: string,
  ): Promise<{ kind: 'go'; slot: CapSlot | undefined } | { kind: 'held'; outcome: DispatchOutcome }> {
    if (!this.deps.caps) return { kind: 'go', slot: undefined };
    try {
      const decision = await this.deps.caps.acquire(tenantId, attemptId, this.deps.leaseMs);
      if (decision.kind === 'go') return decision;
      return {
        kind: 'held',
        outcome: {
          kind: 'retry',
          code: 'tenant_capped',
          detail:
            decision.cap === 'per_day'
              ? 'The tenant’s cap on sends per day is reached; the message waits for the next day (UTC).'
              : 'The tenant’s cap on sends in flight is reached; the message waits for a free slot.',
          afterSeconds: decision.afterSeconds,
          requeue: true,
        },
      };
    } catch (error) {
      if (error instanceof UpstreamUnavailableError) {
        return { kind: 'held', outcome: { kind: 'retry', code: 'upstream_unavailable', detail: error.detail } };
      }
      throw error;
    }
  }

  /** Gives a cap slot back; a send the provider did not take (or a duplicate) no longer counts for the day. */
  private async releaseCap(slot: CapSlot, outcome: DispatchOutcome | undefined): Promise<void> {
    try {
      await this.deps.caps?.release(slot, {
        uncount:
          outcome === undefined ||
          outcome.kind === 'retry' ||
          outcome.kind === 'duplicate' ||
          outcome.kind === 'suppressed',
      });
    } catch (error) {
      // A lease left behind runs out by itself; a day count left behind holds one send back.
      this.deps.logger.warn('could not release the tenant’s cap slot', {
        tenantId: slot.tenantId,
        error: describeError(error),
      });
    }
  }

  /** Tells every send function to hold the tenant's mail until the provider's reset; a failure only costs more 429s. */
  private async pauseTenant(tenantId: string, seconds: number): Promise<void> {
    try {
      await this.deps.pauses?.pause(tenantId, this.nowMs() + seconds * 1000);
    } catch (error) {
      this.deps.logger.warn('could not pause the rate-limited tenant', { tenantId, error: describeError(error) });
    }
  }

  private async reread(tenantId: string): Promise<{ record: IntegrationRecord; account: SendingAccount } | undefined> {
    this.deps.accounts.credentials.forget(tenantId);
    const record = await this.deps.accounts.credentials.record(tenantId);
    return record ? { record, account: await this.deps.accounts.accountOf(record) } : undefined;
  }

  private async reject(
    tenantId: string,
    messageId: string,
    code: PermanentSendCode,
    detail: string,
  ): Promise<DispatchOutcome> {
    const recorded = await this.deps.ledger.recordRejected(tenantId, messageId, code, detail);
    if (!recorded) {
      const entry = await this.deps.ledger.get(tenantId, messageId);
      if (entry?.state === 'sent' || entry?.state === 'failed') return { kind: 'duplicate', state: entry.state };
    }
    this.logFailure(tenantId, messageId, code, detail);
    return { kind: 'failed', code, detail };
  }

  private logFailure(tenantId: string, messageId: string, code: PermanentSendCode, detail: string): void {
    this.deps.logger.error('send failed permanently', { tenantId, messageId, failureCode: code, detail });
  }

  private nowMs(): number {
    return this.deps.now().getTime();
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

/**
 * What a send request will ask the suppression list, read from its detail without validating it
 * (the dispatch does that): a detail whose shape differs gets no answer from the snapshot and
 * reads for itself.
 */
function suppressionQueryOf(detail: unknown): SuppressionQuery | undefined {
  if (typeof detail !== 'object' || detail === null) return undefined;
  const { tenantId, to, cc, bcc } = detail as Record<string, unknown>;
  if (!isTenantId(tenantId)) return undefined;
  const emails = [to, cc, bcc].flatMap((list) =>
    Array.isArray(list)
      ? list.flatMap((recipient) => {
          const email = (recipient as { email?: unknown } | null)?.email;
          return typeof email === 'string' ? [email] : [];
        })
      : [],
  );
  return emails.length > 0 ? { tenantId, emails } : undefined;
}

/** The placeholder tenant an invalid event without a usable tenant id is filed under. */
const UNKNOWN_TENANT = 'unknown-tenant';

/** `Email Send Failed` for a message none of whose addressees may be mailed. */
function suppressedEvent(tenantId: string, messageId: string, occurredAt: string): OutcomeEvent {
  return sendFailed({
    tenantId,
    messageId,
    status: 'suppressed',
    code: 'recipients_suppressed',
    detail:
      'Every addressee is on the tenant’s suppression list, so nothing was sent. GET /suppressions lists them; DELETE /suppressions/{email} takes one off.',
    occurredAt,
  });
}

/** The ledger code of a provider refusal that is given up for good. */
function permanentCodeOf(failureClass: SendFailureClass): PermanentSendCode {
  switch (failureClass) {
    case 'key_rejected':
    case 'sender_rejected':
    case 'message_rejected':
    case 'sending_paused':
      return failureClass;
    default:
      return 'delivery_unknown';
  }
}

/**
 * Ids to file an invalid event under: its own when they pass the same rules as a valid event's
 * (an id DynamoDB or the API would refuse, e.g. one with a lone surrogate, must not become a
 * key), else a placeholder tenant and the event's id.
 */
function bestEffortIds(detail: unknown, eventId: string): { tenantId: string; messageId: string } {
  const raw = (typeof detail === 'object' && detail !== null ? detail : {}) as Record<string, unknown>;
  return {
    tenantId: isTenantId(raw.tenantId) ? raw.tenantId : UNKNOWN_TENANT,
    messageId: isMessageId(raw.messageId) ? raw.messageId : `event:${eventId}`,
  };
}

/** The tenant's stored item is damaged: permanent until the tenant deletes and saves again. */
function isUnreadable(error: unknown): error is IntegrationStoreError {
  return error instanceof IntegrationStoreError && error.code === 'integration_unreadable';
}
