import { withoutAddresses } from '../../sending/address-redaction.js';
import type { EmailAddress, OutboundEmail } from '../../sending/outbound-email.js';
import { type MailTransport, SendFailure, type SendingAccount, type SendReceipt } from '../email-provider.js';
import { SendGridApiError, type SendGridResponse } from './sendgrid-api.js';
import {
  isSendGridRegion,
  MAIL_SEND_FULL_ACCESS,
  SCOPE_RULES,
  SENDGRID_PATHS,
  type SendGridRegion,
} from './sendgrid-facts.js';
import type { SendGridTransport } from './sendgrid-provider.js';

/** The body of `POST /v3/mail/send` (SendGrid's OpenAPI, local/sendgrid-sandbox/openapi/tsg_mail_v3.json), for what we send. */
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

/** The scopes a key must still have to send mail (Mail Send → Full Access's required scope). */
const MAIL_SEND_SCOPES = SCOPE_RULES.filter(
  (rule) => rule.role === 'required' && rule.grantedBy === MAIL_SEND_FULL_ACCESS,
).map((rule) => rule.scope);

/**
 * Sends through SendGrid's v3 mail send on the account's region, one tenant key per call. Only
 * SendGrid's acceptance counts as sent: 202, or 200 for a sandbox-mode send (which SendGrid
 * validates without delivering). A 401 is confirmed with the same key before it blocks the tenant.
 */
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
    let response: SendGridResponse<unknown>;
    try {
      response = await this.api.post<unknown>(
        region,
        apiKey,
        SENDGRID_PATHS.mailSend,
        toSendGridMailBody(message, tenantId),
      );
    } catch (error) {
      const failure = classifySendError(error, this.now());
      if (failure.failureClass === 'key_rejected' && failure.options.status === 401) {
        throw await this.confirmKeyRejection(region, apiKey, failure);
      }
      throw failure;
    }
    if (!isAcceptance(response.status, message.sandbox === true)) {
      throw new SendFailure('outcome_unknown', `SendGrid answered ${response.status}, not its acceptance (202).`, {
        status: response.status,
      });
    }
    return { providerMessageId: response.headers['x-message-id'] ?? null };
  }

  /**
   * A 401 on a send blocks the tenant only when SendGrid confirms it: the same key asks for its
   * own scopes (`GET /v3/scopes`). Refused again, or no longer holding Mail Send, it is rejected;
   * accepted with Mail Send, or unanswered, the first 401 was a glitch and the message is retried.
   */
  private async confirmKeyRejection(
    region: SendGridRegion,
    apiKey: string,
    failure: SendFailure,
  ): Promise<SendFailure> {
    try {
      const response = await this.api.get<{ scopes?: unknown }>(region, apiKey, SENDGRID_PATHS.scopes);
      const granted = Array.isArray(response.body?.scopes) ? response.body.scopes.map(String) : [];
      if (MAIL_SEND_SCOPES.every((scope) => granted.includes(scope))) {
        return new SendFailure(
          'transient',
          'SendGrid refused the key on the send but accepts it now; the message is sent again later.',
          { status: 401, cause: failure },
        );
      }
      return new SendFailure('key_rejected', `${failure.reason} (the key no longer holds Mail Send)`, failure.options);
    } catch (error) {
      if (error instanceof SendGridApiError && error.kind === 'http' && error.status === 401) return failure;
      return new SendFailure(
        'transient',
        'SendGrid refused the key on the send and could not confirm it; the message is sent again later.',
        { status: 401, cause: failure },
      );
    }
  }
}

/** Whether SendGrid's answer means it took the message: 202, or 200 for a sandbox-mode send. */
export function isAcceptance(status: number, sandbox: boolean): boolean {
  return status === 202 || (sandbox && status === 200);
}

/**
 * What SendGrid's refusal means for the send path (see SendFailureClass). At most once decides:
 * only answers that certainly mean "not taken" are retried — 429, 503 (the service refused to
 * process the request), any other 4xx (refused before processing) and a connection never made.
 * A timeout, a connection broken after the request left, 502 and 504 (a gateway lost SendGrid's
 * answer) and 500 are unknown outcomes, never resent. 500 deliberately: SendGrid's OpenAPI
 * document lists it as the mail send's own "internal server error" answer, so the request reached
 * the application that queues mail, and nothing documents that a 500 comes before queuing;
 * without an idempotency key a resend could deliver twice (docs/ and README: at most once).
 * Provider texts are stored and logged, so every address in them is replaced.
 */
export function classifySendError(error: unknown, nowMs: number): SendFailure {
  if (!(error instanceof SendGridApiError)) {
    return new SendFailure('outcome_unknown', 'The SendGrid call failed unexpectedly.', { cause: error });
  }
  const reason = withoutAddresses(describeErrorItems(error.errors) || error.message);
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
  if (status === 503 || (status >= 400 && status < 500)) return new SendFailure('transient', reason, details);
  return new SendFailure('outcome_unknown', `SendGrid answered ${status}${reason ? `: ${reason}` : ''}.`, details);
}

/** SendGrid's error items as one line, each with the field it names (which says where, not what). */
function describeErrorItems(errors: SendGridApiError['errors']): string {
  return errors.map((item) => (item.field ? `${item.field}: ${item.message}` : item.message)).join('; ');
}
