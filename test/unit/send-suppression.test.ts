import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { sqsRecord } from '../../local/endpoints/eventbridge-events.js';
import { EnvelopeCipher } from '../../shared/crypto/envelope.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import { secretContext } from '../../shared/integrations/integration-record.js';
import { UpstreamUnavailableError } from '../../shared/problem-catalog.js';
import type { MailTransport, SendingAccount } from '../../shared/providers/email-provider.js';
import { EmailDispatcher } from '../../shared/sending/email-dispatcher.js';
import { MailAccounts } from '../../shared/sending/mail-accounts.js';
import type { OutboundEmail } from '../../shared/sending/outbound-email.js';
import { SendQueueConsumer } from '../../shared/sending/send-queue-consumer.js';
import { EMAIL_SEND_REQUESTED } from '../../shared/sending/send-request.js';
import { SendingCredentials } from '../../shared/sending/sending-credentials.js';
import { screenRecipients } from '../../shared/suppression/recipient-screening.js';
import {
  type SuppressionQuery,
  type SuppressionScreen,
  SuppressionSnapshot,
} from '../../shared/suppression/suppression-list.js';
import { InMemoryIntegrationStore } from '../support/in-memory-integration-store.js';
import { MemoryLedger } from '../support/memory-send-ledger.js';

const apiKey = `SG.${'a'.repeat(22)}.${'1'.repeat(43)}`;
const cipher = new EnvelopeCipher(new LocalKeyring(randomBytes(32)));

/** A suppression list per tenant, counting its batched reads. */
class MemoryScreen implements SuppressionScreen {
  reads: Array<{ tenantId: string; emails: readonly string[] }> = [];
  failing = false;
  constructor(readonly lists: Record<string, string[]>) {}
  async suppressedAmong(tenantId: string, emails: readonly string[]) {
    this.reads.push({ tenantId, emails });
    if (this.failing) throw new UpstreamUnavailableError('DynamoDB');
    const listed = new Set(this.lists[tenantId] ?? []);
    return new Set(emails.map((email) => email.toLowerCase()).filter((email) => listed.has(email)));
  }
  snapshots: Array<readonly SuppressionQuery[]> = [];
  async snapshot(queries: readonly SuppressionQuery[]) {
    this.snapshots.push(queries);
    if (this.failing) throw new UpstreamUnavailableError('DynamoDB');
    const asked = queries.flatMap((query) =>
      query.emails.map((email) => ({ tenantId: query.tenantId, email: email.toLowerCase() })),
    );
    const listed = asked.filter((key) => (this.lists[key.tenantId] ?? []).includes(key.email));
    return new SuppressionSnapshot(asked, listed);
  }
}

/** A tenant's active SendGrid integration sending from info@acme.example. */
async function integrationOf(tenantId: string) {
  return {
    tenantId,
    channel: 'email' as const,
    provider: 'sendgrid' as const,
    region: 'global',
    keyId: apiKey.slice(3, 25),
    emails: ['info@acme.example'],
    status: 'active' as const,
    keyVersion: 1,
    revision: 1,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    lastVerifiedAt: '2026-11-01T00:00:00.000Z',
    secret: await cipher.encrypt(apiKey, secretContext(tenantId, 'sendgrid')),
  };
}

class RecordingTransport implements MailTransport {
  calls: OutboundEmail[] = [];
  async send(_account: SendingAccount, message: OutboundEmail) {
    this.calls.push(message);
    return { providerMessageId: `sg-${this.calls.length}` };
  }
}

const event = (messageId: string, extra: Record<string, unknown> = {}) => ({
  tenantId: 'tenant-a',
  messageId,
  audience: 'customer',
  to: [{ email: 'jane@customer.example' }],
  subject: 'Hello',
  text: 'Hi',
  ...extra,
});

describe('EmailDispatcher with suppression lists', () => {
  let ledger: MemoryLedger;
  let transport: RecordingTransport;
  let screen: MemoryScreen;
  let dispatcher: EmailDispatcher;

  beforeEach(async () => {
    ledger = new MemoryLedger();
    transport = new RecordingTransport();
    screen = new MemoryScreen({ 'tenant-a': ['bounce@customer.example'], 'tenant-b': ['jane@customer.example'] });
    const repository = new InMemoryIntegrationStore({ records: [await integrationOf('tenant-a')] });
    dispatcher = new EmailDispatcher({
      accounts: new MailAccounts({
        credentials: new SendingCredentials({ repository, cipher }),
        repository,
        transports: { sendgrid: transport },
        now: () => new Date(ledger.now),
      }),
      ledger,
      suppressions: screen,
      logger: new Logger({ logLevel: 'SILENT' }),
      leaseMs: 60_000,
      now: () => new Date(ledger.now),
    });
  });

  it('ends a message whose every addressee is suppressed as suppressed, without calling the provider', async () => {
    const outcome = await dispatcher.dispatch(event('m-1', { to: [{ email: 'Bounce@Customer.Example' }] }), 'e-1');
    expect(outcome).toEqual({ kind: 'suppressed', suppressedCount: 1 });
    expect(transport.calls).toHaveLength(0);
    expect(await ledger.get('tenant-a', 'm-1')).toMatchObject({
      state: 'failed',
      status: 'suppressed',
      suppressedRecipients: ['bounce@customer.example'],
    });
    // A redelivery finds it settled: still nothing sent.
    expect(await dispatcher.dispatch(event('m-1', { to: [{ email: 'bounce@customer.example' }] }), 'e-1')).toEqual({
      kind: 'duplicate',
      state: 'failed',
    });
    expect(transport.calls).toHaveLength(0);
  });

  it('sends to the rest and records the removed recipients on the message, with one read for all recipients', async () => {
    const outcome = await dispatcher.dispatch(
      event('m-2', {
        to: [{ email: 'jane@customer.example' }, { email: 'bounce@customer.example' }],
        cc: [{ email: 'joe@customer.example' }],
      }),
      'e-2',
    );
    expect(outcome).toMatchObject({ kind: 'sent' });
    expect(transport.calls[0]?.to).toEqual([{ email: 'jane@customer.example' }]);
    expect(transport.calls[0]?.cc).toEqual([{ email: 'joe@customer.example' }]);
    expect(screen.reads).toEqual([
      { tenantId: 'tenant-a', emails: ['jane@customer.example', 'bounce@customer.example', 'joe@customer.example'] },
    ]);
    expect(await ledger.get('tenant-a', 'm-2')).toMatchObject({
      state: 'sent',
      recipients: [{ email: 'jane@customer.example' }, { email: 'joe@customer.example' }],
      suppressedRecipients: ['bounce@customer.example'],
    });
  });

  it('reads only the sending tenant’s list: another tenant’s suppression holds nothing back', async () => {
    expect(await dispatcher.dispatch(event('m-3'), 'e-3')).toMatchObject({ kind: 'sent' });
    expect(transport.calls[0]?.to).toEqual([{ email: 'jane@customer.example' }]);
    expect(screen.reads.map((read) => read.tenantId)).toEqual(['tenant-a']);
  });

  it('sends nothing and retries later when the list cannot be read', async () => {
    screen.failing = true;
    expect(await dispatcher.dispatch(event('m-4'), 'e-4')).toMatchObject({
      kind: 'retry',
      code: 'upstream_unavailable',
    });
    expect(transport.calls).toHaveLength(0);
    // The claim is given back, so the message is not left looking in flight: its next delivery sends it.
    expect(await ledger.get('tenant-a', 'm-4')).toMatchObject({
      state: 'retryable',
      failureCode: 'upstream_unavailable',
    });
    screen.failing = false;
    expect(await dispatcher.dispatch(event('m-4'), 'e-4')).toMatchObject({ kind: 'sent' });
    expect(transport.calls).toHaveLength(1);
  });
});

describe('EmailDispatcher screening a whole batch', () => {
  let ledger: MemoryLedger;
  let transport: RecordingTransport;
  let screen: MemoryScreen;
  let consumer: SendQueueConsumer;

  beforeEach(async () => {
    ledger = new MemoryLedger();
    transport = new RecordingTransport();
    screen = new MemoryScreen({ 'tenant-a': ['bounce@customer.example'], 'tenant-b': ['jane@customer.example'] });
    const records = await Promise.all(['tenant-a', 'tenant-b'].map(integrationOf));
    const repository = new InMemoryIntegrationStore({ records });
    const dispatcher = new EmailDispatcher({
      accounts: new MailAccounts({
        credentials: new SendingCredentials({ repository, cipher }),
        repository,
        transports: { sendgrid: transport },
        now: () => new Date(ledger.now),
      }),
      ledger,
      suppressions: screen,
      logger: new Logger({ logLevel: 'SILENT' }),
      leaseMs: 60_000,
      now: () => new Date(ledger.now),
    });
    consumer = new SendQueueConsumer({
      dispatcher,
      publisher: { source: 'app.automations', account: '123456789012' },
      redelivery: { delay: async () => undefined },
      logger: new Logger({ logLevel: 'SILENT' }),
    });
  });

  const record = (detail: Record<string, unknown>) => {
    const sqs = sqsRecord(`e-${String(detail.messageId)}`, 'app.automations', EMAIL_SEND_REQUESTED, detail);
    const body = JSON.parse(sqs.body) as Record<string, unknown>;
    return { ...sqs, body: JSON.stringify({ ...body, account: '123456789012' }) };
  };

  it('reads the lists once for the batch and holds back each tenant’s own suppressed addresses', async () => {
    const { outcomes } = await consumer.consume([
      record(event('b-1', { to: [{ email: 'bounce@customer.example' }] })),
      record(event('b-2')),
      record(event('b-3', { tenantId: 'tenant-b' })),
      record(event('b-4', { tenantId: 'tenant-b', to: [{ email: 'bounce@customer.example' }] })),
    ]);
    expect(outcomes.map((entry) => entry.outcome.kind)).toEqual(['suppressed', 'sent', 'suppressed', 'sent']);
    expect(screen.snapshots).toHaveLength(1);
    expect(screen.reads).toEqual([]);
    expect(transport.calls.map((call) => call.to)).toEqual([
      [{ email: 'jane@customer.example' }],
      [{ email: 'bounce@customer.example' }],
    ]);
  });

  it('claims the batch’s messages while its suppression read is under way, and screens them before any provider call', async () => {
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const read = screen.snapshot.bind(screen);
    screen.snapshot = async (queries) => {
      await answered;
      return read(queries);
    };
    const consumed = consumer.consume([
      record(event('d-1')),
      record(event('d-2', { to: [{ email: 'bounce@customer.example' }] })),
    ]);
    await vi.waitFor(async () => {
      expect((await ledger.get('tenant-a', 'd-1'))?.state).toBe('in_flight');
      expect((await ledger.get('tenant-a', 'd-2'))?.state).toBe('in_flight');
    });
    expect(transport.calls).toHaveLength(0);
    answer();
    const { outcomes } = await consumed;
    expect(outcomes.map((entry) => entry.outcome.kind)).toEqual(['sent', 'suppressed']);
    expect(transport.calls.map((call) => call.to)).toEqual([[{ email: 'jane@customer.example' }]]);
    expect(await ledger.get('tenant-a', 'd-2')).toMatchObject({
      state: 'failed',
      status: 'suppressed',
      recipients: [],
      suppressedRecipients: ['bounce@customer.example'],
    });
  });

  it('settles the batch’s sent messages in one ledger write; when that write fails, they come back', async () => {
    const { outcomes } = await consumer.consume([
      record(event('s-1')),
      record(event('s-2', { to: [{ email: 'bounce@customer.example' }] })),
      record(event('s-3')),
    ]);
    expect(outcomes.map((entry) => entry.outcome.kind)).toEqual(['sent', 'suppressed', 'sent']);
    expect(ledger.settleBatches).toEqual([['s-1', 's-3']]);
    expect(await ledger.get('tenant-a', 's-3')).toMatchObject({ state: 'sent', providerMessageId: 'sg-2' });

    ledger.settleSent = async () => {
      throw new UpstreamUnavailableError('DynamoDB');
    };
    const failed = await consumer.consume([record(event('s-4')), record(event('s-5'))]);
    expect(failed.outcomes.map((entry) => entry.outcome)).toEqual([
      expect.objectContaining({ kind: 'retry', code: 'internal_error' }),
      expect.objectContaining({ kind: 'retry', code: 'internal_error' }),
    ]);
    expect(failed.batchItemFailures).toHaveLength(2);
  });

  it('lets each message read its own list when the batch’s read fails, and retries what cannot be read', async () => {
    screen.failing = true;
    const { outcomes, batchItemFailures } = await consumer.consume([record(event('c-1')), record(event('c-2'))]);
    expect(screen.snapshots).toHaveLength(1);
    expect(screen.reads).toHaveLength(2);
    expect(outcomes.map((entry) => entry.outcome)).toEqual([
      expect.objectContaining({ kind: 'retry', code: 'upstream_unavailable' }),
      expect.objectContaining({ kind: 'retry', code: 'upstream_unavailable' }),
    ]);
    expect(batchItemFailures).toHaveLength(2);
    expect(transport.calls).toHaveLength(0);
  });
});

describe('screenRecipients', () => {
  const message: OutboundEmail = {
    from: { email: 'info@acme.example' },
    to: [{ email: 'a@x.example' }, { email: 'B@x.example' }],
    cc: [{ email: 'c@x.example' }],
    bcc: [{ email: 'd@x.example' }],
    subject: 'Hi',
  };

  it('leaves a message without suppressed recipients as it is', () => {
    expect(screenRecipients(message, new Set())).toEqual({ message, suppressed: [] });
  });

  it('takes suppressed recipients out of to, cc and bcc, comparing normalised addresses', () => {
    const screened = screenRecipients(message, new Set(['b@x.example', 'd@x.example']));
    expect(screened.suppressed).toEqual(['b@x.example', 'd@x.example']);
    expect(screened.message).toEqual({ ...message, to: [{ email: 'a@x.example' }], bcc: undefined });
    expect(screened.message && 'bcc' in screened.message).toBe(false);
  });

  it('sends nothing when no addressee is left, even if copies remain', () => {
    const screened = screenRecipients(message, new Set(['a@x.example', 'b@x.example']));
    expect(screened).toEqual({ message: undefined, suppressed: ['a@x.example', 'b@x.example'] });
  });
});
