import {
  type ClaimResult,
  type RecipientScreening,
  type SendLedgerEntry,
  type SendLedgerPort,
  type SentSettle,
  screenedFields,
} from '../../shared/sending/send-ledger.js';
import type { PermanentSendCode, RetrySendCode } from '../../shared/sending/send-outcomes.js';

/** The send ledger's rules, in memory: claims, leases, settling only by the claim's holder. */
export class MemoryLedger implements SendLedgerPort {
  entries = new Map<string, SendLedgerEntry>();
  now = 1_000_000;

  async get(tenantId: string, messageId: string) {
    return this.entries.get(`${tenantId}#${messageId}`);
  }
  async claim(
    tenantId: string,
    messageId: string,
    attemptId: string,
    leaseMs: number,
    attempt: { recipients?: readonly string[] } = {},
  ): Promise<ClaimResult> {
    const previous = await this.get(tenantId, messageId);
    if (previous?.state === 'sent' || previous?.state === 'failed') return { kind: 'settled', entry: previous };
    if (previous?.state === 'in_flight') {
      return previous.leaseUntil > this.now
        ? { kind: 'busy', entry: previous }
        : { kind: 'abandoned', entry: previous };
    }
    const attempts = (previous?.attempts ?? 0) + 1;
    const entry: SendLedgerEntry = {
      sendKey: `${tenantId}#${messageId}`,
      tenantId,
      messageId,
      state: 'in_flight',
      attemptId,
      attempts,
      leaseUntil: this.now + leaseMs,
      recipients: previous?.recipients ?? (attempt.recipients ?? []).map((email) => ({ email })),
      updatedAt: '',
      expiresAt: 0,
    };
    this.entries.set(`${tenantId}#${messageId}`, entry);
    return { kind: 'claimed', entry: { ...entry } };
  }
  private async settle(tenantId: string, messageId: string, attemptId: string, change: Partial<SendLedgerEntry>) {
    const entry = await this.get(tenantId, messageId);
    if (!entry || entry.attemptId !== attemptId || entry.state !== 'in_flight') return false;
    Object.assign(entry, change);
    return true;
  }
  markSent(
    tenantId: string,
    messageId: string,
    attemptId: string,
    providerMessageId: string | null,
    screening?: RecipientScreening,
  ) {
    return this.settle(tenantId, messageId, attemptId, {
      state: 'sent',
      providerMessageId,
      ...screenedFields(screening),
    });
  }
  /** Batch settles written, each the list of messages it settled. */
  settleBatches: string[][] = [];
  async settleSent(settles: readonly SentSettle[]) {
    this.settleBatches.push(settles.map((settle) => settle.claimed.messageId));
    for (const { claimed, providerMessageId, screening } of settles) {
      const { failureCode: _code, failureDetail: _detail, ...kept } = claimed;
      this.entries.set(`${claimed.tenantId}#${claimed.messageId}`, {
        ...kept,
        state: 'sent',
        providerMessageId,
        ...screenedFields(screening),
      });
    }
  }
  markSuppressed(tenantId: string, messageId: string, attemptId: string, suppressedRecipients: readonly string[]) {
    return this.settle(tenantId, messageId, attemptId, {
      state: 'failed',
      status: 'suppressed',
      recipients: [],
      suppressedRecipients: [...suppressedRecipients],
    });
  }
  markFailed(
    tenantId: string,
    messageId: string,
    attemptId: string,
    failureCode: PermanentSendCode,
    failureDetail: string,
  ) {
    return this.settle(tenantId, messageId, attemptId, { state: 'failed', failureCode, failureDetail });
  }
  release(tenantId: string, messageId: string, attemptId: string, failureCode: RetrySendCode, failureDetail: string) {
    return this.settle(tenantId, messageId, attemptId, { state: 'retryable', failureCode, failureDetail });
  }
  async recordRejected(tenantId: string, messageId: string, failureCode: PermanentSendCode, failureDetail: string) {
    const entry = await this.get(tenantId, messageId);
    if (entry && entry.state !== 'retryable') return false;
    this.entries.set(`${tenantId}#${messageId}`, {
      sendKey: '',
      tenantId,
      messageId,
      state: 'failed',
      attemptId: 'rejected-before-send',
      attempts: 0,
      leaseUntil: 0,
      updatedAt: '',
      failureCode,
      failureDetail,
      expiresAt: 0,
    });
    return true;
  }
  settleAbandoned(entry: SendLedgerEntry, failureDetail: string) {
    return this.settle(entry.tenantId, entry.messageId, entry.attemptId, {
      state: 'failed',
      failureCode: 'delivery_unknown',
      failureDetail,
    });
  }
}
