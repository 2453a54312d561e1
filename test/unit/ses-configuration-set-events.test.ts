import { describe, expect, it } from 'vitest';
import { neutralFeedbackSchema } from '../../shared/feedback/provider-feedback.js';
import { parseSesEvent, SES_RULE_DETAIL_TYPES } from '../../shared/providers/ses/ses-configuration-set-events.js';
import {
  decodeTagText,
  encodeTagText,
  MESSAGE_ID_TAG,
  MESSAGE_ID_TAG_CONTINUED,
  ourMessageTags,
  readOurTags,
  TENANT_ID_TAG,
} from '../../shared/providers/ses/ses-message-tags.js';

const TAG_TEXT = /^[A-Za-z0-9_-]{1,256}$/;

/** Tags as SES repeats them in `mail.tags`: each name → an array of strings. */
function mailTags(tenantId: string, messageId: string): Record<string, string[]> {
  return {
    'ses:configuration-set': ['email-integrations'],
    ...Object.fromEntries(ourMessageTags(tenantId, messageId).map((tag) => [tag.Name, [tag.Value]])),
  };
}

function mailEvent(detailType: string, detail: Record<string, unknown>, overrides: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: 'b1c7e2a4-0000-4000-8000-000000000001',
    'detail-type': detailType,
    source: 'aws.ses',
    account: '111122223333',
    time: '2026-01-02T03:04:06Z',
    region: 'eu-west-1',
    resources: ['arn:aws:ses:eu-west-1:111122223333:configuration-set/email-integrations'],
    detail: {
      mail: {
        timestamp: '2026-01-02T03:04:05.000Z',
        source: 'info@acme.example',
        sendingAccountId: '111122223333',
        messageId: 'ses-0102abc',
        destination: ['Jane@Customer.example', 'bounce@customer.example'],
        headersTruncated: false,
        tags: mailTags('tenant-a', 'welcome-42'),
      },
      ...detail,
    },
    ...overrides,
  };
}

describe('ourMessageTags', () => {
  it('encodes ids SES tags cannot hold losslessly, within the tag alphabet', () => {
    for (const id of ['welcome-42', 'order.7@acme:2', 'has_underscore', 'x'.repeat(200), '!'.repeat(200)]) {
      const tags = ourMessageTags('tenant.a@acme', id);
      for (const tag of tags) {
        expect(tag.Name).toMatch(TAG_TEXT);
        expect(tag.Value).toMatch(TAG_TEXT);
      }
      const read = readOurTags(Object.fromEntries(tags.map((tag) => [tag.Name, [tag.Value]])));
      expect(read).toEqual({ tenantId: 'tenant.a@acme', messageId: id });
    }
  });

  it('keeps plain ids readable and splits a long encoding over a second tag', () => {
    expect(ourMessageTags('tenant-a', 'welcome-42')).toEqual([
      { Name: MESSAGE_ID_TAG, Value: 'welcome-42' },
      { Name: TENANT_ID_TAG, Value: 'tenant-a' },
    ]);
    const long = ourMessageTags('t', '.'.repeat(200)).map((tag) => tag.Name);
    expect(long).toEqual([MESSAGE_ID_TAG, MESSAGE_ID_TAG_CONTINUED, TENANT_ID_TAG]);
  });

  it('reads nothing from a damaged or non-canonical tag', () => {
    expect(decodeTagText('_!!')).toBeUndefined();
    expect(decodeTagText(`_${Buffer.from('plain').toString('base64url')}`)).toBeUndefined();
    expect(decodeTagText(encodeTagText('a.b'))).toBe('a.b');
    expect(readOurTags({ [TENANT_ID_TAG]: ['a', 'b'], [MESSAGE_ID_TAG]: ['m'] })).toEqual({
      tenantId: undefined,
      messageId: 'm',
    });
  });
});

describe('parseSesEvent', () => {
  it('turns a delivery into one delivered event per recipient, keyed by the event id and recipient', () => {
    const parsed = parseSesEvent(
      mailEvent('Email Delivered', {
        eventType: 'Delivery',
        delivery: {
          timestamp: '2026-01-02T03:04:07.000Z',
          processingTimeMillis: 1200,
          recipients: ['Jane@Customer.example'],
          smtpResponse: '250 2.0.0 OK',
          reportingMTA: 'a1-2.smtp-out.eu-west-1.amazonses.com',
        },
      }),
    );
    expect(parsed).toEqual({
      kind: 'mail',
      tenantId: 'tenant-a',
      messageId: 'welcome-42',
      sesTenantName: undefined,
      sesMessageId: 'ses-0102abc',
      feedback: [
        {
          messageId: 'welcome-42',
          claimedTenantId: 'tenant-a',
          eventId: 'b1c7e2a4-0000-4000-8000-000000000001:jane@customer.example',
          kind: 'delivered',
          providerEventType: 'Delivery',
          at: '2026-01-02T03:04:07.000Z',
          recipient: 'jane@customer.example',
          reason: '250 2.0.0 OK',
          providerMessageId: 'ses-0102abc',
        },
      ],
    });
    if (parsed.kind === 'mail') for (const event of parsed.feedback) neutralFeedbackSchema.parse(event);
  });

  it.each([
    ['Permanent', 'hard'],
    ['Transient', 'soft'],
    ['Undetermined', 'soft'],
  ])('reads a %s bounce as bounced %s, with the diagnostic code as reason', (bounceType, expected) => {
    const parsed = parseSesEvent(
      mailEvent('Email Bounced', {
        eventType: 'Bounce',
        bounce: {
          bounceType,
          bounceSubType: 'General',
          timestamp: '2026-01-02T03:04:06.000Z',
          feedbackId: 'fb-1',
          bouncedRecipients: [
            { emailAddress: 'bounce@customer.example', action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550' },
          ],
        },
      }),
    );
    expect(parsed.kind === 'mail' && parsed.feedback).toEqual([
      expect.objectContaining({
        kind: 'bounced',
        bounceType: expected,
        recipient: 'bounce@customer.example',
        reason: 'smtp; 550',
      }),
    ]);
  });

  it.each([
    [
      'Email Complaint Received',
      {
        eventType: 'Complaint',
        complaint: {
          timestamp: '2026-01-02T03:04:09.000Z',
          complainedRecipients: [{ emailAddress: 'spam@customer.example' }],
          complaintFeedbackType: 'abuse',
        },
      },
      'complained',
      ['spam@customer.example'],
    ],
    [
      'Email Delivery Delayed',
      {
        eventType: 'DeliveryDelay',
        deliveryDelay: {
          timestamp: '2026-01-02T03:04:09.000Z',
          delayType: 'TransientCommunicationFailure',
          delayedRecipients: [{ emailAddress: 'defer@customer.example', status: '4.4.1' }],
        },
      },
      'deferred',
      ['defer@customer.example'],
    ],
    ['Email Sent', { eventType: 'Send', send: {} }, 'processed', ['jane@customer.example', 'bounce@customer.example']],
    [
      'Email Rejected',
      { eventType: 'Reject', reject: { reason: 'Bad content' } },
      'dropped',
      ['jane@customer.example', 'bounce@customer.example'],
    ],
    [
      'Email Rendering Failed',
      { eventType: 'Rendering Failure', failure: { errorMessage: 'Attribute name is missing', templateName: 't' } },
      'dropped',
      ['jane@customer.example', 'bounce@customer.example'],
    ],
  ])('maps %s to %s for each recipient it names', (detailType, detail, kind, recipients) => {
    const parsed = parseSesEvent(mailEvent(detailType, detail));
    expect(parsed.kind).toBe('mail');
    if (parsed.kind !== 'mail') return;
    expect(parsed.feedback.map((event) => [event.kind, event.recipient])).toEqual(
      recipients.map((recipient) => [kind, recipient]),
    );
    for (const event of parsed.feedback) neutralFeedbackSchema.parse(event);
  });

  it('gives a redelivered event the same ids, and another event other ids', () => {
    const detail = { eventType: 'Send', send: {} };
    const first = parseSesEvent(mailEvent('Email Sent', detail));
    const again = parseSesEvent(mailEvent('Email Sent', detail));
    const other = parseSesEvent(mailEvent('Email Sent', detail, { id: 'b1c7e2a4-0000-4000-8000-000000000002' }));
    const ids = (parsed: ReturnType<typeof parseSesEvent>) =>
      parsed.kind === 'mail' ? parsed.feedback.map((event) => event.eventId) : [];
    expect(ids(again)).toEqual(ids(first));
    expect(ids(other).some((id) => ids(first).includes(id))).toBe(false);
  });

  it('reads an event without our tags as not ours (no messageId, no tenant)', () => {
    const event = mailEvent('Email Sent', { eventType: 'Send', send: {} });
    event.detail.mail.tags = { 'ses:configuration-set': ['email-integrations'] };
    expect(parseSesEvent(event)).toMatchObject({ kind: 'mail', tenantId: undefined, messageId: undefined });
  });

  it.each([
    ['another source', mailEvent('Email Sent', { eventType: 'Send' }, { source: 'app.automations' })],
    ['no id', mailEvent('Email Sent', { eventType: 'Send' }, { id: undefined })],
    ['a detail-type that contradicts the record', mailEvent('Email Delivered', { eventType: 'Send' })],
    [
      'a bounce without recipients',
      mailEvent('Email Bounced', {
        eventType: 'Bounce',
        bounce: { bounceType: 'Permanent', timestamp: '2026-01-02T03:04:06.000Z', bouncedRecipients: [] },
      }),
    ],
    [
      'an unknown bounce type',
      mailEvent('Email Bounced', {
        eventType: 'Bounce',
        bounce: {
          bounceType: 'Soft',
          timestamp: '2026-01-02T03:04:06.000Z',
          bouncedRecipients: [{ emailAddress: 'a@b.example' }],
        },
      }),
    ],
    [
      'a delivery without a timestamp',
      mailEvent('Email Delivered', { eventType: 'Delivery', delivery: { recipients: ['a@b.example'] } }),
    ],
    ['not an object', 'Email Sent'],
    ['null', null],
  ])('reports %s as malformed without throwing', (_name, event) => {
    expect(parseSesEvent(event).kind).toBe('malformed');
  });

  it('never puts an address into the reason it gives for a malformed event', () => {
    const event = mailEvent('Email Delivered', {
      eventType: 'Delivery',
      delivery: { recipients: ['jane@customer.example'] },
    });
    const parsed = parseSesEvent(event);
    expect(parsed.kind === 'malformed' && parsed.reason).not.toMatch(/@/);
  });

  it('ignores SES events we do not act on (opens, clicks, reputation findings)', () => {
    expect(parseSesEvent(mailEvent('Email Opened', { eventType: 'Open' }))).toEqual({
      kind: 'ignored',
      detailType: 'Email Opened',
    });
    expect(parseSesEvent(mailEvent('Advisor Recommendation Status Open', {}))).toMatchObject({ kind: 'ignored' });
  });

  it('names the rule’s detail-types: the configuration set’s events and the tenant status events', () => {
    expect(SES_RULE_DETAIL_TYPES).toEqual(
      expect.arrayContaining(['Email Bounced', 'Email Rendering Failed', 'Sending Status Disabled']),
    );
    expect(SES_RULE_DETAIL_TYPES).not.toContain('Email Opened');
  });
});

describe('parseSesEvent on tenant sending status', () => {
  const statusEvent = (
    detailType: string,
    status: string,
    resources = ['arn:aws:ses:eu-west-1:111122223333:tenant/ei-tenant-a/tn-0123abcd'],
  ) => ({
    version: '0',
    id: 'c0ffee00-0000-4000-8000-000000000001',
    'detail-type': detailType,
    source: 'aws.ses',
    account: '111122223333',
    time: '2026-01-02T03:04:05Z',
    region: 'eu-west-1',
    resources,
    detail: {
      version: '1.0.0',
      data: {
        origin: 'AWS_MANAGED',
        record: { status, cause: 'High bounce rate', lastUpdatedTimestamp: [2026, 1, 2, 3, 4, 5, 500000000] },
      },
    },
  });

  it('reads a disabled tenant from its ARN, with cause and time', () => {
    expect(parseSesEvent(statusEvent('Sending Status Disabled', 'DISABLED'))).toEqual({
      kind: 'sending_status',
      sesTenantName: 'ei-tenant-a',
      region: 'eu-west-1',
      enabled: false,
      origin: 'AWS_MANAGED',
      cause: 'High bounce rate',
      at: '2026-01-02T03:04:05.500Z',
    });
  });

  it('reads enabled and reinstated as enabled', () => {
    expect(parseSesEvent(statusEvent('Sending Status Enabled', 'ENABLED'))).toMatchObject({ enabled: true });
    expect(parseSesEvent(statusEvent('Sending Status Enabled', 'REINSTATED'))).toMatchObject({ enabled: true });
  });

  it('reports a status that contradicts its detail-type, or no tenant ARN, as malformed', () => {
    expect(parseSesEvent(statusEvent('Sending Status Enabled', 'DISABLED')).kind).toBe('malformed');
    expect(parseSesEvent(statusEvent('Sending Status Disabled', 'DISABLED', [])).kind).toBe('malformed');
  });
});
