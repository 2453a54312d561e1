import type { IntegrationRecord, IntegrationStatus } from '../integrations/integration-record.js';
import { type IntegrationStore, IntegrationStoreError } from '../integrations/integration-repository.js';
import { message } from '../message-catalog.js';
import type { IntegrationStatusEvents } from '../outcome-events/outcome-events.js';
import {
  type MailTransport,
  PROVIDER_LABELS,
  type ProviderName,
  type SendingAccount,
} from '../providers/email-provider.js';
import { SendRuleError } from './sender-rules.js';
import type { SendingCredentials } from './sending-credentials.js';

/**
 * Statuses that stop sending: until the tenant acts (rotates the key), or until Amazon SES
 * enables its paused SES tenant again. A cached record with one is always read again.
 */
export const BLOCKING_STATUSES: ReadonlySet<IntegrationStatus> = new Set(['key_rejected', 'paused']);

/** What {@link MailAccounts} needs. */
export interface MailAccountsDeps {
  credentials: SendingCredentials;
  /** For marking the card when the provider rejects the key or the sender. */
  repository: Pick<IntegrationStore, 'get' | 'update'>;
  /** One transport per provider; a tenant's record says which one sends its mail. */
  transports: Partial<Record<ProviderName, MailTransport>> & { sendgrid: MailTransport };
  /** Told when a refused send changes the card's status (none: not announced). */
  statusEvents?: IntegrationStatusEvents;
  now: () => Date;
}

/**
 * Where and how a tenant's mail goes out, shared by the queued send and the test send: the
 * sending account (region, decrypted key), the provider's transport, whether the card allows
 * sending, and marking the card when the provider refuses the key or the sender.
 */
export class MailAccounts {
  constructor(private readonly deps: MailAccountsDeps) {}

  /** The cached credentials of the send path. */
  get credentials(): SendingCredentials {
    return this.deps.credentials;
  }

  /** Where to send for a record: its region, and its decrypted key where the integration holds one. */
  async accountOf(record: IntegrationRecord): Promise<SendingAccount> {
    if (record.secret) {
      return { region: record.region, apiKey: await this.deps.credentials.apiKey(record), tenantId: record.tenantId };
    }
    return { region: record.region, tenantId: record.tenantId };
  }

  /** The transport of the record's provider. */
  transportOf(record: IntegrationRecord): MailTransport {
    const transport = this.deps.transports[record.provider];
    if (!transport) throw new Error(`No transport configured for provider ${record.provider}.`);
    return transport;
  }

  /** Refuses a tenant whose card blocks sending, before any provider is called. */
  requireSendable(record: IntegrationRecord): void {
    if (record.status === 'paused') throw new SendRuleError('sending_paused', message('sending_paused'));
    if (BLOCKING_STATUSES.has(record.status)) {
      throw new SendRuleError(
        'key_rejected',
        message('sending_blocked', {
          provider: PROVIDER_LABELS[record.provider],
          reason: record.lastSendError ?? null,
        }),
      );
    }
  }

  /** Sets the card's status after the provider refused the key or sender, unless the key changed since. */
  async markIntegration(
    sent: IntegrationRecord,
    status: 'key_rejected' | 'sender_rejected',
    reason: string,
  ): Promise<void> {
    const { tenantId } = sent;
    this.deps.credentials.forget(tenantId);
    const current = await this.deps.repository.get(tenantId);
    if (!current || current.keyVersion !== sent.keyVersion) return;
    let updated: IntegrationRecord;
    try {
      updated = await this.deps.repository.update(tenantId, current.revision, {
        status,
        lastSendError: reason.slice(0, 500),
      });
    } catch (error) {
      // Someone changed the integration meanwhile (a rotation, most likely): theirs is newer.
      if (!(error instanceof IntegrationStoreError)) throw error;
      return;
    }
    if (current.status !== status) {
      await this.deps.statusEvents?.changed({
        tenantId,
        provider: current.provider,
        status,
        previousStatus: current.status,
        cause: 'send_refused',
        card: updated,
      });
    }
  }
}
