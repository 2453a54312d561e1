import { randomUUID } from 'node:crypto';
import type { IntegrationRecord } from '../integrations/integration-record.js';
import type { IntegrationRepository } from '../integrations/integration-repository.js';
import { message as catalogMessage } from '../message-catalog.js';
import { DomainProblem, UpstreamUnavailableError } from '../problem-catalog.js';
import { PROVIDER_LABELS, SendFailure } from '../providers/email-provider.js';
import type { MailAccounts } from './mail-accounts.js';
import type { OutboundEmail } from './outbound-email.js';
import { chooseSender, requireVerifiedSenderDomain } from './sender-rules.js';

/** The test send's answer (`POST /integrations/sendgrid/test`). */
export interface TestSendResult {
  outcome: 'accepted';
  from: string;
  to: string;
  sandbox: boolean;
  providerMessageId: string | null;
}

/** The test send could not be made or the provider refused it; the code says which. */
export class TestSendError extends DomainProblem {
  override readonly name = 'TestSendError';
}

/** What {@link TestSender} needs. */
export interface TestSenderDeps {
  accounts: MailAccounts;
  repository: Pick<IntegrationRepository, 'get'>;
  newMessageId?: () => string;
}

/**
 * The console's test send: one short message now, through the same sender rules, account and
 * provider as queued mail, but without the queue or the ledger (the answer is the outcome).
 */
export class TestSender {
  constructor(private readonly deps: TestSenderDeps) {}

  /** Sends the test message for a tenant; throws a problem the edge answers when it cannot. */
  async send(tenantId: string, input: { to: string; from?: string; sandbox?: boolean }): Promise<TestSendResult> {
    const { accounts } = this.deps;
    const record = await this.deps.repository.get(tenantId);
    if (!record) {
      throw new TestSendError('not_found', catalogMessage('nothing_to_test'));
    }
    accounts.requireSendable(record);
    const from = chooseSender(record.emails, 'customer', input.from);
    requireVerifiedSenderDomain(record.failedDomains, from);
    const account = await accounts.accountOf(record);
    const provider = PROVIDER_LABELS[record.provider];
    const message: OutboundEmail = {
      from: { email: from },
      to: [{ email: input.to }],
      subject: `Test email from your ${provider} integration`,
      text: `This is a test message sent from ${from} through your ${provider} integration. If you can read it, sending works.`,
      customArgs: { messageId: `test-${this.deps.newMessageId?.() ?? randomUUID()}` },
      ...(input.sandbox ? { sandbox: true } : {}),
    };
    try {
      const receipt = await accounts.transportOf(record).send(account, message);
      return {
        outcome: 'accepted',
        from,
        to: input.to,
        sandbox: input.sandbox === true,
        providerMessageId: receipt.providerMessageId,
      };
    } catch (error) {
      if (!(error instanceof SendFailure)) throw error;
      throw await this.problemFor(record, error);
    }
  }

  private async problemFor(record: IntegrationRecord, failure: SendFailure): Promise<Error> {
    const { accounts } = this.deps;
    const provider = PROVIDER_LABELS[record.provider];
    switch (failure.failureClass) {
      case 'key_rejected':
        await accounts.markIntegration(record, 'key_rejected', failure.reason);
        return new TestSendError(
          'key_rejected',
          catalogMessage('test_key_rejected', { provider, reason: failure.reason }),
        );
      case 'sender_rejected':
        await accounts.markIntegration(record, 'sender_rejected', failure.reason);
        return new TestSendError(
          'sender_rejected',
          catalogMessage('test_sender_rejected', { provider, reason: failure.reason }),
        );
      case 'sending_paused':
        return new TestSendError('sending_paused', catalogMessage('sending_paused'));
      case 'message_rejected':
        return new TestSendError(
          'message_rejected',
          catalogMessage('test_message_rejected', { provider, reason: failure.reason }),
        );
      default:
        return new UpstreamUnavailableError(provider, {
          cause: failure,
          ...(failure.options.retryAfterSeconds === undefined
            ? {}
            : { retryAfterSeconds: failure.options.retryAfterSeconds }),
        });
    }
  }
}
