import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  FeedbackConflictError,
  feedbackEventDigest,
  foldFeedback,
  MAX_TIMELINE_ENTRIES,
  MessageFeedback,
} from '../../shared/feedback/message-feedback.js';
import type { NeutralFeedback } from '../../shared/feedback/provider-feedback.js';
import type { SendLedgerEntry } from '../../shared/sending/send-ledger.js';

const documents = mockClient(DynamoDBDocumentClient);
const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

let eventCount = 0;
function event(kind: NeutralFeedback['kind'], recipient: string, at: string, extra: Partial<NeutralFeedback> = {}) {
  eventCount += 1;
  return {
    messageId: 'm-1',
    claimedTenantId: 'tenant-a',
    eventId: `event-${eventCount}`,
    kind,
    providerEventType: kind,
    at,
    recipient,
    ...extra,
  } satisfies NeutralFeedback;
}

function sentEntry(extra: Partial<SendLedgerEntry> = {}): SendLedgerEntry {
  return {
    sendKey: 'tenant-a#m-1',
    tenantId: 'tenant-a',
    messageId: 'm-1',
    state: 'sent',
    status: 'accepted',
    createdAt: '2026-11-26T10:00:00.000Z',
    attemptId: 'attempt-1',
    attempts: 1,
    leaseUntil: 0,
    updatedAt: '2026-11-26T10:00:00.000Z',
    expiresAt: 0,
    recipients: [{ email: 'jane@customer.example' }, { email: 'Bob@customer.example' }],
    ...extra,
  };
}

describe('foldFeedback', () => {
  it('moves each recipient forward only: a late deferred never overwrites delivered', () => {
    const delivered = event('delivered', 'jane@customer.example', '2026-11-26T10:00:05.000Z');
    const deferred = event('deferred', 'jane@customer.example', '2026-11-26T10:00:09.000Z', { reason: '451 later' });
    const folded = foldFeedback(sentEntry(), 'sendgrid', [deferred, delivered]);
    expect(folded.next.recipients[0]).toMatchObject({ email: 'jane@customer.example', status: 'delivered' });
    expect(folded.next.timeline.map((entry) => entry.type)).toEqual(['delivered', 'deferred']);
    expect(folded.recipientChanges).toEqual([
      expect.objectContaining({ recipient: 'jane@customer.example', from: 'accepted', to: 'delivered' }),
    ]);
  });

  it('applies events in the order they happened, not the order they arrived', () => {
    const deferred = event('deferred', 'jane@customer.example', '2026-11-26T10:00:01.000Z');
    const delivered = event('delivered', 'jane@customer.example', '2026-11-26T10:00:30.000Z');
    const folded = foldFeedback(sentEntry(), 'sendgrid', [delivered, deferred]);
    expect(folded.recipientChanges.map((change) => change.to)).toEqual(['deferred', 'delivered']);
  });

  it('derives the message status from the furthest recipient: one hard bounce makes it bounced (hard)', () => {
    const folded = foldFeedback(sentEntry(), 'sendgrid', [
      event('delivered', 'jane@customer.example', '2026-11-26T10:00:05.000Z'),
      event('bounced', 'bob@customer.example', '2026-11-26T10:00:06.000Z', {
        bounceType: 'hard',
        reason: '550 5.1.1 unknown user',
      }),
    ]);
    expect(folded.status).toEqual({ from: 'accepted', to: 'bounced' });
    expect(folded.next.bounceType).toBe('hard');
    expect(folded.next.recipients).toEqual([
      expect.objectContaining({ email: 'jane@customer.example', status: 'delivered' }),
      expect.objectContaining({
        email: 'Bob@customer.example',
        status: 'bounced',
        bounceType: 'hard',
        reason: '550 5.1.1 unknown user',
      }),
    ]);
  });

  it('skips events already applied, by the provider’s event id', () => {
    const delivered = event('delivered', 'jane@customer.example', '2026-11-26T10:00:05.000Z');
    const first = foldFeedback(sentEntry(), 'sendgrid', [delivered]);
    const again = foldFeedback(
      sentEntry({
        status: first.next.status,
        recipients: first.next.recipients,
        timeline: first.next.timeline,
        feedbackEventIds: first.next.feedbackEventIds,
      }),
      'sendgrid',
      [delivered],
    );
    expect(again.counts).toEqual({ applied: 0, duplicate: 1, unknownRecipient: 0 });
    expect(again.next.timeline).toHaveLength(1);
    expect(again.status).toBeNull();
    expect(first.next.feedbackEventIds).toEqual(new Set([feedbackEventDigest('sendgrid', delivered.eventId)]));
  });

  it('counts events about an address the message was not sent to, and changes nothing for them', () => {
    const folded = foldFeedback(sentEntry(), 'sendgrid', [
      event('bounced', 'stranger@elsewhere.example', '2026-11-26T10:00:05.000Z', { bounceType: 'hard' }),
    ]);
    expect(folded.counts).toEqual({ applied: 0, duplicate: 0, unknownRecipient: 1 });
    expect(folded.status).toBeNull();
    expect(folded.next.recipients.map((recipient) => recipient.email)).toEqual([
      'jane@customer.example',
      'Bob@customer.example',
    ]);
  });

  it('keeps the timeline to its first entries while every recipient still moves', () => {
    const recipients = Array.from({ length: MAX_TIMELINE_ENTRIES + 5 }, (_, index) => ({
      email: `r${index}@customer.example`,
    }));
    const events = recipients.map((recipient) => event('delivered', recipient.email, '2026-11-26T10:00:05.000Z'));
    const folded = foldFeedback(sentEntry({ recipients }), 'sendgrid', events);
    expect(folded.next.timeline).toHaveLength(MAX_TIMELINE_ENTRIES);
    expect(folded.next.recipients.every((recipient) => recipient.status === 'delivered')).toBe(true);
  });

  it('lets a complaint follow delivery, and keeps a failed message failed', () => {
    const complained = foldFeedback(sentEntry(), 'sendgrid', [
      event('delivered', 'jane@customer.example', '2026-11-26T10:00:05.000Z'),
      event('complained', 'jane@customer.example', '2026-11-26T10:05:00.000Z'),
    ]);
    expect(complained.status).toEqual({ from: 'accepted', to: 'complained' });
    const failed = foldFeedback(
      sentEntry({ state: 'failed', status: 'failed', failureCode: 'message_rejected' }),
      'sendgrid',
      [event('delivered', 'jane@customer.example', '2026-11-26T10:00:05.000Z')],
    );
    expect(failed.status).toBeNull();
    expect(failed.next.status).toBe('failed');
  });
});

describe('MessageFeedback', () => {
  let feedback: MessageFeedback;
  beforeEach(() => {
    documents.reset();
    feedback = new MessageFeedback({
      tableName: 'ledger',
      client: documents as unknown as DynamoDBDocumentClient,
      now: () => Date.parse('2026-11-26T10:01:00.000Z'),
    });
  });

  it('finds the message under the tenant the events came for and writes it back conditionally', async () => {
    documents.on(GetCommand).resolves({ Item: sentEntry() });
    documents.on(UpdateCommand).resolves({});
    const applied = await feedback.apply('tenant-a', 'sendgrid', 'm-1', [
      event('delivered', 'jane@customer.example', '2026-11-26T10:00:05.000Z'),
    ]);
    expect(documents.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      Key: { sendKey: 'tenant-a#m-1' },
      ConsistentRead: true,
    });
    const update = documents.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.ConditionExpression).toBe('#state IN (:sent, :failed) AND attribute_not_exists(#version)');
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':status': 'delivered', ':next': 1 });
    expect(applied).toMatchObject({
      outcome: 'applied',
      status: { from: 'accepted', to: 'delivered' },
      recipientChanges: [expect.objectContaining({ recipient: 'jane@customer.example', to: 'delivered' })],
    });
  });

  it('answers unknown for a messageId the tenant does not have (another tenant’s included)', async () => {
    documents.on(GetCommand).resolves({});
    const applied = await feedback.apply('tenant-b', 'sendgrid', 'm-1', [
      event('delivered', 'jane@customer.example', '2026-11-26T10:00:05.000Z'),
    ]);
    expect(documents.commandCalls(GetCommand)[0]?.args[0].input.Key).toEqual({ sendKey: 'tenant-b#m-1' });
    expect(applied.outcome).toBe('unknown_message');
    expect(documents.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('answers unknown for an event naming another provider message id than the send recorded', async () => {
    documents.on(GetCommand).resolves({ Item: sentEntry({ providerMessageId: 'ses-own' }) });
    const applied = await feedback.apply('tenant-a', 'ses', 'm-1', [
      event('bounced', 'jane@customer.example', '2026-11-26T10:00:05.000Z', {
        bounceType: 'hard',
        providerMessageId: 'ses-other',
      }),
    ]);
    expect(applied.outcome).toBe('unknown_message');
    expect(documents.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('applies only the events naming the provider message id the send recorded', async () => {
    documents.on(GetCommand).resolves({ Item: sentEntry({ providerMessageId: 'ses-own' }) });
    documents.on(UpdateCommand).resolves({});
    const applied = await feedback.apply('tenant-a', 'ses', 'm-1', [
      event('delivered', 'jane@customer.example', '2026-11-26T10:00:05.000Z', { providerMessageId: 'ses-own' }),
      event('complained', 'bob@customer.example', '2026-11-26T10:00:06.000Z', { providerMessageId: 'ses-other' }),
    ]);
    expect(applied).toMatchObject({ outcome: 'applied', status: { from: 'accepted', to: 'delivered' } });
    expect(applied.recipientChanges.map((change) => change.recipient)).toEqual(['jane@customer.example']);
  });

  it('leaves events for a send still in flight to a later delivery', async () => {
    documents.on(GetCommand).resolves({ Item: sentEntry({ state: 'in_flight', status: 'sending' }) });
    const applied = await feedback.apply('tenant-a', 'sendgrid', 'm-1', [
      event('delivered', 'jane@customer.example', '2026-11-26T10:00:05.000Z'),
    ]);
    expect(applied.outcome).toBe('not_settled');
    expect(documents.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('writes nothing for a batch it applied before', async () => {
    const delivered = event('delivered', 'jane@customer.example', '2026-11-26T10:00:05.000Z');
    documents.on(GetCommand).resolves({
      Item: sentEntry({
        feedbackVersion: 1,
        feedbackEventIds: new Set([feedbackEventDigest('sendgrid', delivered.eventId)]),
      }),
    });
    const applied = await feedback.apply('tenant-a', 'sendgrid', 'm-1', [delivered]);
    expect(applied).toMatchObject({ outcome: 'duplicate', status: null, recipientChanges: [] });
    expect(documents.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('reads again and re-applies when a concurrent batch wrote first, on the version it read', async () => {
    documents
      .on(GetCommand)
      .resolvesOnce({ Item: sentEntry() })
      .resolves({ Item: sentEntry({ feedbackVersion: 1, status: 'deferred' }) });
    documents.on(UpdateCommand).rejectsOnce(conditionFailed()).resolves({});
    const applied = await feedback.apply('tenant-a', 'sendgrid', 'm-1', [
      event('delivered', 'jane@customer.example', '2026-11-26T10:00:05.000Z'),
    ]);
    const second = documents.commandCalls(UpdateCommand)[1]?.args[0].input;
    expect(second?.ConditionExpression).toBe('#state IN (:sent, :failed) AND #version = :version');
    expect(second?.ExpressionAttributeValues).toMatchObject({ ':version': 1, ':next': 2 });
    expect(applied.status).toEqual({ from: 'deferred', to: 'delivered' });
  });

  it('gives the batch back to the queue after losing too many races', async () => {
    documents.on(GetCommand).resolves({ Item: sentEntry() });
    documents.on(UpdateCommand).rejects(conditionFailed());
    await expect(
      feedback.apply('tenant-a', 'sendgrid', 'm-1', [
        event('delivered', 'jane@customer.example', '2026-11-26T10:00:05.000Z'),
      ]),
    ).rejects.toBeInstanceOf(FeedbackConflictError);
    expect(documents.commandCalls(UpdateCommand)).toHaveLength(5);
  });

  it('records what must follow (a suppression, an announcement) in the same write as the bounce', async () => {
    documents.on(GetCommand).resolves({ Item: sentEntry() });
    documents.on(UpdateCommand).resolves({});
    const applied = await feedback.apply('tenant-a', 'sendgrid', 'm-1', [
      event('bounced', 'Bob@customer.example', '2026-11-26T10:00:05.000Z', { bounceType: 'hard', reason: '550' }),
    ]);
    const update = documents.commandCalls(UpdateCommand);
    expect(update).toHaveLength(1);
    expect(update[0]?.args[0].input.UpdateExpression).toContain('#pending = :pending');
    const pending = Object.values(update[0]?.args[0].input.ExpressionAttributeValues?.[':pending'] as object);
    expect(pending).toEqual([
      expect.objectContaining({ kind: 'suppress', recipient: 'Bob@customer.example', reason: 'hard_bounce' }),
      expect.objectContaining({ kind: 'delivery_updated', status: 'bounced', reason: '550' }),
    ]);
    expect(applied.pendingConsequences).toEqual(pending);
  });

  it('answers the consequences still pending on a duplicate, so a redelivered batch finishes them', async () => {
    const bounced = event('bounced', 'jane@customer.example', '2026-11-26T10:00:05.000Z', { bounceType: 'hard' });
    const waiting = {
      id: 'd_bounced',
      kind: 'delivery_updated',
      status: 'bounced',
      reason: null,
      occurredAt: bounced.at,
    } as const;
    documents.on(GetCommand).resolves({
      Item: {
        ...sentEntry({
          feedbackVersion: 1,
          feedbackEventIds: new Set([feedbackEventDigest('sendgrid', bounced.eventId)]),
        }),
        pendingConsequences: { d_bounced: waiting },
      },
    });
    const applied = await feedback.apply('tenant-a', 'sendgrid', 'm-1', [bounced]);
    expect(applied).toMatchObject({ outcome: 'duplicate', pendingConsequences: [waiting] });
    expect(documents.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('takes done consequences off the message in writes small enough for an update expression', async () => {
    documents.on(UpdateCommand).resolves({});
    const ids = Array.from({ length: 250 }, (_, index) => `s_${index}`);
    await feedback.settleConsequences('tenant-a', 'm-1', ids);
    const calls = documents.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    expect(calls).toHaveLength(3);
    for (const input of calls) {
      expect(input.ConditionExpression).toBe('attribute_exists(#pending)');
      expect(input.UpdateExpression?.length).toBeLessThan(4096);
    }
    expect(calls.flatMap((input) => Object.values(input.ExpressionAttributeNames ?? {})).sort()).toEqual(
      ['pendingConsequences', 'pendingConsequences', 'pendingConsequences', ...ids].sort(),
    );
  });
});
