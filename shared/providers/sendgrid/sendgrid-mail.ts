import type { EmailAddress, OutboundEmail } from '../../sending/outbound-email.js';
import { type MailTransport, SendFailure, type SendingAccount, type SendReceipt } from '../email-provider.js';
import { SendGridApiError } from './sendgrid-api.js';
import { SENDGRID_PATHS } from './sendgrid-facts.js';
import { isSendGridRegion, type SendGridTransport } from './sendgrid-provider.js';

/** The body of `POST /v3/mail/send` (../shared/sendgrid/openapi/tsg_mail_v3.json), for what we send. */
export interface SendGridMailBody {
  personalizations: Array<{
    to: EmailAddress[];
    cc?: EmailAddress[];
    bcc?: EmailAddress[];
    dynamic_template_data?: Record<string, unknown>;
    /** Ours and the event's; here, not at message level, where the document types custom_args as a string. */
    custom_args?: Record<string, string>;
  }>;
  from: EmailAddress;
  reply_to?: EmailAddress;
  subject?: string;
  content?: Array<{ type: 'text/plain' | 'text/html'; value: string }>;
  template_id?: string;
  categories?: string[];
  mail_settings?: { sandbox_mode: { enable: boolean } };
}

/**
 * Maps a neutral message onto SendGrid's mail send body; leaves out what is not set. Custom args (the
 * event's, our `messageId` and the tenant) go in each personalization: SendGrid's document types them
 * as an object only there, and only those reach Event Webhook posts, as top-level event fields.
 */
export function toSendGridMailBody(message: OutboundEmail, tenantId?: string): SendGridMailBody {
  const customArgs = { ...message.customArgs, ...(tenantId === undefined ? {} : { tenantId }) };
  const content = [
    ...(message.text === undefined ? [] : [{ type: 'text/plain' as const, value: message.text }]),
    // SendGrid requires text/plain before text/html.
    ...(message.html === undefined ? [] : [{ type: 'text/html' as const, value: message.html }]),
  ];
  return {
    personalizations: [
      {
        to: message.to,
        ...(message.cc?.length ? { cc: message.cc } : {}),
        ...(message.bcc?.length ? { bcc: message.bcc } : {}),
        ...(message.templateData ? { dynamic_template_data: message.templateData } : {}),
        ...(Object.keys(customArgs).length > 0 ? { custom_args: customArgs } : {}),
      },
    ],
    from: message.from,
    ...(message.replyTo ? { reply_to: message.replyTo } : {}),
    ...(message.subject === undefined ? {} : { subject: message.subject }),
    ...(content.length > 0 ? { content } : {}),
    ...(message.templateId === undefined ? {} : { template_id: message.templateId }),
    ...(message.categories?.length ? { categories: message.categories } : {}),
    ...(message.sandbox ? { mail_settings: { sandbox_mode: { enable: true } } } : {}),
  };
}

/** Sends through SendGrid's v3 mail send on the account's region, one tenant key per call. */
export class SendGridMailTransport implements MailTransport {
  constructor(
    private readonly api: SendGridTransport,
    private readonly now: () => number = Date.now,
  ) {}

  async send(account: SendingAccount, message: OutboundEmail): Promise<SendReceipt> {
    const { region, apiKey, tenantId } = account;
    if (!isSendGridRegion(region) || apiKey === undefined) {
      throw new SendFailure('key_rejected', 'The integration has no usable SendGrid key or region.');
    }
    try {
      const response = await this.api.post<unknown>(
        region,
        apiKey,
        SENDGRID_PATHS.mailSend,
        toSendGridMailBody(message, tenantId),
      );
      return { providerMessageId: response.headers['x-message-id'] ?? null };
    } catch (error) {
      throw classifySendError(error, this.now());
    }
  }
}

/** What SendGrid's answer means for the send path (see SendFailureClass). */
export function classifySendError(error: unknown, nowMs: number): SendFailure {
  if (!(error instanceof SendGridApiError)) {
    return new SendFailure('outcome_unknown', 'The SendGrid call failed unexpectedly.', { cause: error });
  }
  const reason = error.errors.map((item) => item.message).join('; ') || error.message;
  const details = { status: error.status, field: error.errors[0]?.field ?? null, cause: error };
  if (error.kind === 'timeout') return new SendFailure('outcome_unknown', 'SendGrid did not answer in time.', details);
  if (error.kind === 'network') {
    return error.certainlyNotReceived
      ? new SendFailure('transient', 'SendGrid could not be reached.', details)
      : new SendFailure('outcome_unknown', 'The connection to SendGrid broke after the request was sent.', details);
  }
  const status = error.status ?? 0;
  if (status === 400 || status === 413) return new SendFailure('message_rejected', reason, details);
  if (status === 401) return new SendFailure('key_rejected', reason, details);
  if (status === 403) {
    const onFrom = error.errors.some((item) => item.field === 'from');
    return new SendFailure(onFrom ? 'sender_rejected' : 'key_rejected', reason, details);
  }
  if (status === 429) {
    const waitSeconds = error.rateLimitReset === undefined ? 1 : Math.ceil(error.rateLimitReset - nowMs / 1000);
    return new SendFailure('throttled', reason, { ...details, retryAfterSeconds: Math.max(1, waitSeconds) });
  }
  // 5xx and anything unexpected: SendGrid answered without accepting, so a retry is safe.
  return new SendFailure('transient', reason, details);
}
