import { randomUUID } from 'node:crypto';
import type { OperationContext } from './operation-context.js';
import type { SesEventBridgeEvent, SesRecordedMessage } from './sandbox-types.js';
import { resourceArn, type StoredConfigurationSet, type StoredTenant, tenantArn } from './ses-state.js';

/** Configuration-set event types and their EventBridge detail-types (docs/ses-facts.md 3.2). */
const DETAIL_TYPES = {
  SEND: 'Email Sent',
  DELIVERY: 'Email Delivered',
  BOUNCE: 'Email Bounced',
  COMPLAINT: 'Email Complaint Received',
  DELIVERY_DELAY: 'Email Delivery Delayed',
} as const;

type MailEventType = keyof typeof DETAIL_TYPES;

/** What becomes of a recipient in the sandbox: decided by the local part, as in the SendGrid sandbox. */
export function recipientOutcome(address: string): 'bounce' | 'complaint' | 'delay' | 'delivery' {
  const local = address.slice(0, address.lastIndexOf('@')).toLowerCase();
  if (local === 'bounce') return 'bounce';
  if (local === 'spam') return 'complaint';
  if (local === 'defer') return 'delay';
  return 'delivery';
}

function envelope(
  context: Pick<OperationContext, 'regionName' | 'state'>,
  detailType: string,
  time: Date,
  resources: string[],
  detail: Record<string, unknown>,
): SesEventBridgeEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'aws.ses',
    account: context.state.accountId,
    time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: context.regionName,
    resources,
    detail,
  };
}

/** `Sending Status Enabled/Disabled` for a tenant (FACTS.md 1.9): the timestamp is an array of integers. */
export function statusChangeEvent(
  context: Pick<OperationContext, 'regionName' | 'state' | 'now'>,
  tenant: StoredTenant,
  origin: 'CUSTOMER_MANAGED' | 'AWS_MANAGED',
  cause: string,
): SesEventBridgeEvent {
  const now = context.now;
  const stamp = [
    now.getUTCFullYear(),
    now.getUTCMonth() + 1,
    now.getUTCDate(),
    now.getUTCHours(),
    now.getUTCMinutes(),
    now.getUTCSeconds(),
    now.getUTCMilliseconds() * 1_000_000,
  ];
  const enabled = tenant.sendingStatus !== 'DISABLED';
  return envelope(
    context,
    enabled ? 'Sending Status Enabled' : 'Sending Status Disabled',
    now,
    [tenantArn(context.regionName, context.state.accountId, tenant)],
    {
      version: '1.0.0',
      data: { origin, record: { status: tenant.sendingStatus, cause, lastUpdatedTimestamp: stamp } },
    },
  );
}

/**
 * The events SES publishes for an accepted message through a configuration set's enabled
 * EventBridge destinations: Send, then per recipient Delivery, Bounce (Permanent), Complaint
 * (after delivery) or DeliveryDelay then Delivery; only the types the destination matches.
 */
export function mailEvents(
  context: Pick<OperationContext, 'regionName' | 'state'>,
  message: SesRecordedMessage,
  configurationSet: StoredConfigurationSet | undefined,
  sentAt: Date,
): SesEventBridgeEvent[] {
  const matching = new Set(
    (configurationSet?.eventDestinations ?? [])
      .filter((destination) => destination.Enabled && destination.EventBridgeDestination)
      .flatMap((destination) => destination.MatchingEventTypes),
  );
  if (!configurationSet || matching.size === 0) return [];
  const recipients = [...message.destination.to, ...message.destination.cc, ...message.destination.bcc];
  const mail = {
    timestamp: sentAt.toISOString(),
    source: message.from,
    sourceArn: resourceArn(context.regionName, context.state.accountId, 'identity', message.identity),
    sendingAccountId: context.state.accountId,
    messageId: message.messageId,
    destination: recipients,
    headersTruncated: false,
    tags: {
      'ses:configuration-set': [configurationSet.name],
      'ses:operation': ['SendEmail'],
      'ses:from-domain': [message.from.slice(message.from.lastIndexOf('@') + 1)],
      'ses:caller-identity': ['local'],
      'ses:source-ip': ['127.0.0.1'],
      ...Object.fromEntries(Object.entries(message.tags).map(([name, value]) => [name, [value]])),
    },
  };
  const resources = [
    resourceArn(context.regionName, context.state.accountId, 'configuration-set', configurationSet.name),
  ];
  const at = (offsetMs: number) => new Date(sentAt.getTime() + offsetMs);
  const events: SesEventBridgeEvent[] = [];
  const add = (type: MailEventType, time: Date, extra: Record<string, unknown>) => {
    if (!matching.has(type)) return;
    const eventType = {
      SEND: 'Send',
      DELIVERY: 'Delivery',
      BOUNCE: 'Bounce',
      COMPLAINT: 'Complaint',
      DELIVERY_DELAY: 'DeliveryDelay',
    }[type];
    events.push(envelope(context, DETAIL_TYPES[type], time, resources, { eventType, mail, ...extra }));
  };
  add('SEND', sentAt, { send: {} });
  for (const recipient of recipients) {
    const outcome = recipientOutcome(recipient);
    if (outcome === 'bounce') {
      add('BOUNCE', at(1_000), {
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: 'General',
          bouncedRecipients: [
            {
              emailAddress: recipient,
              action: 'failed',
              status: '5.1.1',
              diagnosticCode: 'smtp; 550 5.1.1 user unknown',
            },
          ],
          timestamp: at(1_000).toISOString(),
          feedbackId: `${message.messageId}-bounce`,
          reportingMTA: 'dsn; sandbox.amazonses.local',
        },
      });
      continue;
    }
    if (outcome === 'delay') {
      add('DELIVERY_DELAY', at(1_000), {
        deliveryDelay: {
          timestamp: at(1_000).toISOString(),
          delayType: 'TransientCommunicationFailure',
          expirationTime: at(86_400_000).toISOString(),
          delayedRecipients: [
            { emailAddress: recipient, status: '4.4.1', diagnosticCode: 'smtp; 421 4.4.1 try again later' },
          ],
        },
      });
    }
    const deliveredAt = at(outcome === 'delay' ? 60_000 : 1_200);
    add('DELIVERY', deliveredAt, {
      delivery: {
        timestamp: deliveredAt.toISOString(),
        processingTimeMillis: deliveredAt.getTime() - sentAt.getTime(),
        recipients: [recipient],
        smtpResponse: '250 2.0.0 OK',
        reportingMTA: `a1-1.smtp-out.${context.regionName}.amazonses.com`,
      },
    });
    if (outcome === 'complaint') {
      add('COMPLAINT', at(5_000), {
        complaint: {
          complainedRecipients: [{ emailAddress: recipient }],
          timestamp: at(5_000).toISOString(),
          feedbackId: `${message.messageId}-complaint`,
          complaintSubType: null,
          complaintFeedbackType: 'abuse',
          userAgent: 'SES sandbox',
          arrivalDate: at(5_000).toISOString(),
        },
      });
    }
  }
  return events;
}
