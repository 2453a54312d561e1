import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../dynamo-document-client.js';
import {
  type FeedbackConsequence,
  feedbackConsequences,
  mergeConsequences,
} from '../outcome-events/feedback-consequences.js';
import { UpstreamUnavailableError } from '../problem-catalog.js';
import type { ProviderName } from '../providers/email-provider.js';
import { sendOutcomeStatus } from '../sending/message-history.js';
import { type BounceType, type MessageStatus, mayReplace } from '../sending/message-status.js';
import {
  type MessageTimelineEntry,
  type RecipientState,
  type SendLedgerEntry,
  sendKey,
  sendLedgerStatus,
} from '../sending/send-ledger.js';
import type { FeedbackKind, NeutralFeedback } from './provider-feedback.js';

/** The timeline keeps a message's first events; every recipient's latest state is kept regardless. */
export const MAX_TIMELINE_ENTRIES = 200;
/** Consequences taken off a message per write (each path costs about 15 characters of a 4 KB expression). */
const SETTLED_PER_WRITE = 100;
/** A message without recorded recipients (written before they were kept) learns at most this many from feedback. */
const MAX_LEARNED_RECIPIENTS = 1_000;

/** The status each kind of event moves a recipient to; `processed` only joins the timeline. */
const STATUS_OF_KIND: Record<Exclude<FeedbackKind, 'other'>, MessageStatus | undefined> = {
  processed: undefined,
  delivered: 'delivered',
  deferred: 'deferred',
  bounced: 'bounced',
  complained: 'complained',
  dropped: 'dropped',
};

/** One recipient a batch moved forward. */
export interface RecipientChange {
  recipient: string;
  from: MessageStatus;
  to: MessageStatus;
  bounceType: BounceType | null;
  reason: string | null;
  /** When the event happened, and the provider's own name for it. */
  at: string;
  providerEventType: string;
}

/**
 * What applying one message's events did: the one answer of the one place a status changes.
 * Hooks that act on a change (suppressing a hard-bounced or complaining address, publishing
 * `Email Delivery Updated`) read `status` and `recipientChanges`; both are empty for duplicates.
 */
export interface FeedbackApplied {
  tenantId: string;
  messageId: string;
  provider: ProviderName;
  /**
   * `applied`: new events were recorded (a status may or may not have moved);
   * `duplicate`: every event was applied before; `unknown_message`: the tenant has no such
   * message; `not_settled`: the send is still in flight, so the events wait (redelivered later).
   */
  outcome: 'applied' | 'duplicate' | 'unknown_message' | 'not_settled';
  /** The message's status change; null when it stayed. */
  status: { from: MessageStatus; to: MessageStatus } | null;
  bounceType: BounceType | null;
  recipientChanges: RecipientChange[];
  /** Events recorded now, seen before, and about an address the message was not sent to. */
  counts: { applied: number; duplicate: number; unknownRecipient: number };
  /**
   * What the ledger holds as still to do for the message (suppressions, announcements): this
   * change's, recorded in the same write, and any a failed earlier run left — also on a duplicate,
   * so a redelivered batch finishes them. Empty when nothing waits.
   */
  pendingConsequences?: FeedbackConsequence[];
}

/** A ledger entry as the applier reads it: with the consequences still to do, by id. */
type FeedbackEntry = SendLedgerEntry & { pendingConsequences?: Record<string, FeedbackConsequence> };

/** The fields of a ledger entry that feedback writes. */
export interface FeedbackFields {
  status: MessageStatus;
  bounceType: BounceType | undefined;
  recipients: RecipientState[];
  timeline: MessageTimelineEntry[];
  feedbackEventIds: Set<string>;
}

/** The result of folding events into an entry, without I/O. */
export interface FoldedFeedback {
  next: FeedbackFields;
  status: FeedbackApplied['status'];
  recipientChanges: RecipientChange[];
  counts: FeedbackApplied['counts'];
}

/** A short, fixed-length digest of a provider's event id: what the entry keeps to apply duplicates once. */
export function feedbackEventDigest(provider: ProviderName, eventId: string): string {
  return createHash('sha256').update(`${provider}:${eventId}`).digest('base64url').slice(0, 22);
}

/**
 * Folds events into a message, by the forward-only order (message-status.ts): each recipient
 * moves only forward, events already applied are skipped, and the message's status becomes
 * the furthest any of its recipients reached (one bounce makes the message `bounced` although
 * others were delivered; each recipient's own state is kept). Events are taken in the order
 * they happened, not the order they arrived.
 */
export function foldFeedback(
  entry: Pick<
    SendLedgerEntry,
    'state' | 'status' | 'failureCode' | 'bounceType' | 'recipients' | 'timeline' | 'feedbackEventIds'
  >,
  provider: ProviderName,
  events: readonly NeutralFeedback[],
): FoldedFeedback {
  const seen = new Set(entry.feedbackEventIds ?? []);
  const recipients = (entry.recipients ?? []).map((recipient) => ({ ...recipient }));
  const knownRecipients = recipients.length > 0;
  const timeline = [...(entry.timeline ?? [])];
  const silentStatus = sendOutcomeStatus(entry);
  const recipientChanges: RecipientChange[] = [];
  const counts = { applied: 0, duplicate: 0, unknownRecipient: 0 };

  const ordered = [...events].sort((a, b) => a.at.localeCompare(b.at));
  for (const event of ordered) {
    if (event.kind === 'other') continue;
    const digest = feedbackEventDigest(provider, event.eventId);
    if (seen.has(digest)) {
      counts.duplicate += 1;
      continue;
    }
    seen.add(digest);
    const address = event.recipient.toLowerCase();
    let recipient = recipients.find((candidate) => candidate.email.toLowerCase() === address);
    if (!recipient) {
      if (knownRecipients || recipients.length >= MAX_LEARNED_RECIPIENTS) {
        counts.unknownRecipient += 1;
        continue;
      }
      recipient = { email: event.recipient };
      recipients.push(recipient);
    }
    counts.applied += 1;
    if (timeline.length < MAX_TIMELINE_ENTRIES) {
      timeline.push({
        type: event.kind,
        at: event.at,
        recipient: recipient.email,
        ...(event.reason === undefined ? {} : { reason: event.reason }),
        ...(event.bounceType === undefined ? {} : { bounceType: event.bounceType }),
      });
    }
    const status = STATUS_OF_KIND[event.kind];
    if (status === undefined) continue;
    const current = { status: recipient.status ?? silentStatus, bounceType: recipient.bounceType ?? null };
    const next = { status, bounceType: status === 'bounced' ? (event.bounceType ?? 'hard') : null };
    if (!mayReplace(current, next)) continue;
    recipient.status = next.status;
    if (next.bounceType) recipient.bounceType = next.bounceType;
    else delete recipient.bounceType;
    if (event.reason === undefined) delete recipient.reason;
    else recipient.reason = event.reason;
    recipient.at = event.at;
    recipientChanges.push({
      recipient: recipient.email,
      from: current.status,
      to: next.status,
      bounceType: next.bounceType,
      reason: event.reason ?? null,
      at: event.at,
      providerEventType: event.providerEventType,
    });
  }

  const before = { status: sendLedgerStatus(entry), bounceType: entry.bounceType ?? null };
  let after = before;
  for (const recipient of recipients) {
    if (recipient.status === undefined) continue;
    const candidate = { status: recipient.status, bounceType: recipient.bounceType ?? null };
    if (mayReplace(after, candidate)) after = candidate;
  }
  const moved = after.status !== before.status || after.bounceType !== before.bounceType;
  return {
    next: {
      status: after.status,
      bounceType: after.status === 'bounced' ? (after.bounceType ?? undefined) : undefined,
      recipients,
      timeline,
      feedbackEventIds: seen,
    },
    status: moved ? { from: before.status, to: after.status } : null,
    recipientChanges,
    counts,
  };
}

/**
 * Whether an event is about this send: it names no provider message id, the send recorded none
 * (its outcome was unknown), or the two agree. (SES events arrive one per queue message, so a
 * message's events name one id; a mix means some were forged, and only the matching ones apply.)
 */
function sentAs(entry: Pick<SendLedgerEntry, 'providerMessageId'>, event: NeutralFeedback): boolean {
  return (
    event.providerMessageId === undefined ||
    !entry.providerMessageId ||
    event.providerMessageId === entry.providerMessageId
  );
}

/** Applying feedback lost the race for a message too often: the queue delivers the batch again. */
export class FeedbackConflictError extends Error {
  override readonly name = 'FeedbackConflictError';
}

/** Options for {@link MessageFeedback}. */
export interface MessageFeedbackOptions {
  tableName: string;
  client?: DynamoDBDocumentClient;
  clientConfig?: DynamoDBClientConfig;
  now?: () => number;
  /** Optimistic-lock attempts per message before giving the batch back to the queue (default 5). */
  maxAttempts?: number;
}

/**
 * Applies provider feedback to messages in the send ledger: the one place a message's status
 * moves after the send. Each message is found by (tenant, messageId) — the tenant being the one
 * the events arrived for, so another tenant's messageId is simply unknown — read, folded and
 * written back in one conditional write (the entry's feedback version must be the one read,
 * and the send settled), so duplicates apply once and concurrent batches never lose an event.
 */
export class MessageFeedback {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => number;
  private readonly maxAttempts: number;

  constructor(options: MessageFeedbackOptions) {
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.client = options.client ?? documentClient(options.clientConfig);
  }

  /** Applies one message's events for the tenant; says what changed. */
  async apply(
    tenantId: string,
    provider: ProviderName,
    messageId: string,
    events: readonly NeutralFeedback[],
  ): Promise<FeedbackApplied> {
    const answer = (
      outcome: FeedbackApplied['outcome'],
      folded?: FoldedFeedback,
      bounceType: BounceType | null = null,
      pending: Record<string, FeedbackConsequence> = {},
    ): FeedbackApplied => ({
      tenantId,
      messageId,
      provider,
      outcome,
      status: folded?.status ?? null,
      bounceType,
      recipientChanges: folded?.recipientChanges ?? [],
      counts: folded?.counts ?? { applied: 0, duplicate: 0, unknownRecipient: 0 },
      pendingConsequences: Object.values(pending),
    });
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      const entry = await this.read(tenantId, messageId);
      if (!entry || entry.tenantId !== tenantId) return answer('unknown_message');
      if (entry.state !== 'sent' && entry.state !== 'failed') return answer('not_settled');
      // An event naming another provider message id is about another send, whatever its tags say.
      const ours = events.filter((event) => sentAs(entry, event));
      if (ours.length === 0) return answer('unknown_message');
      const folded = foldFeedback(entry, provider, ours);
      if (folded.counts.applied === 0 && folded.counts.unknownRecipient === 0) {
        return answer('duplicate', folded, entry.bounceType ?? null, entry.pendingConsequences);
      }
      const pending = mergeConsequences(
        entry.pendingConsequences,
        feedbackConsequences(folded, () => new Date(this.now())),
      );
      if (await this.write(tenantId, messageId, entry.feedbackVersion, folded.next, pending)) {
        return answer('applied', folded, folded.next.bounceType ?? null, pending);
      }
    }
    throw new FeedbackConflictError(`Message feedback kept conflicting after ${this.maxAttempts} attempts.`);
  }

  /**
   * Takes consequences that are done off the message. Not versioned: an applier that read them
   * before may write them back, and they run once more (each is idempotent). A message that is
   * gone (TTL) is left gone.
   */
  async settleConsequences(tenantId: string, messageId: string, consequenceIds: readonly string[]): Promise<void> {
    // An update expression is at most 4 KB: a message with many bounced recipients is settled in parts.
    for (let start = 0; start < consequenceIds.length; start += SETTLED_PER_WRITE) {
      const ids = consequenceIds.slice(start, start + SETTLED_PER_WRITE);
      const names: Record<string, string> = { '#pending': 'pendingConsequences' };
      ids.forEach((id, index) => {
        names[`#c${index}`] = id;
      });
      const settled = await this.updateIf(tenantId, messageId, {
        ConditionExpression: 'attribute_exists(#pending)',
        UpdateExpression: `REMOVE ${ids.map((_id, index) => `#pending.#c${index}`).join(', ')}`,
        ExpressionAttributeNames: names,
      });
      if (!settled) return;
    }
  }

  /** One conditional update of the message's ledger item; false when its condition does not hold. */
  private async updateIf(
    tenantId: string,
    messageId: string,
    update: Pick<
      UpdateCommandInput,
      'ConditionExpression' | 'UpdateExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<boolean> {
    try {
      await this.call(() =>
        this.client.send(
          new UpdateCommand({ TableName: this.tableName, Key: { sendKey: sendKey(tenantId, messageId) }, ...update }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async read(tenantId: string, messageId: string): Promise<FeedbackEntry | undefined> {
    const result = await this.call(() =>
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { sendKey: sendKey(tenantId, messageId) },
          ConsistentRead: true,
        }),
      ),
    );
    return result.Item as FeedbackEntry | undefined;
  }

  /** One conditional write; false when another writer got there first. */
  private async write(
    tenantId: string,
    messageId: string,
    version: number | undefined,
    next: FeedbackFields,
    pending: Record<string, FeedbackConsequence>,
  ): Promise<boolean> {
    const names: Record<string, string> = {
      '#state': 'state',
      '#version': 'feedbackVersion',
      '#status': 'status',
      '#recipients': 'recipients',
      '#timeline': 'timeline',
      '#eventIds': 'feedbackEventIds',
      '#updatedAt': 'updatedAt',
      '#bounceType': 'bounceType',
    };
    // The consequences to do go in the same single-item write as the change (dynalite has no
    // transactions), so a change is never recorded without what must follow from it.
    const hasPending = Object.keys(pending).length > 0;
    if (hasPending) names['#pending'] = 'pendingConsequences';
    const values: Record<string, unknown> = {
      ':sent': 'sent',
      ':failed': 'failed',
      ':next': (version ?? 0) + 1,
      ':status': next.status,
      ':recipients': next.recipients,
      ':timeline': next.timeline,
      ':eventIds': next.feedbackEventIds,
      ':updatedAt': new Date(this.now()).toISOString(),
    };
    if (version !== undefined) values[':version'] = version;
    if (next.bounceType !== undefined) values[':bounceType'] = next.bounceType;
    if (hasPending) values[':pending'] = pending;
    return this.updateIf(tenantId, messageId, {
      ConditionExpression: `#state IN (:sent, :failed) AND ${
        version === undefined ? 'attribute_not_exists(#version)' : '#version = :version'
      }`,
      UpdateExpression: `SET #status = :status, #recipients = :recipients, #timeline = :timeline, #eventIds = :eventIds, #version = :next, #updatedAt = :updatedAt${
        hasPending ? ', #pending = :pending' : ''
      }${next.bounceType === undefined ? ' REMOVE #bounceType' : ', #bounceType = :bounceType'}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      throw new UpstreamUnavailableError('DynamoDB', { cause: error });
    }
  }
}
