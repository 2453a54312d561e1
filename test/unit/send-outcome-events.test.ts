import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeEach, describe, expect, it } from 'vitest';
import { EnvelopeCipher } from '../../shared/crypto/envelope.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import { secretContext } from '../../shared/integrations/integration-record.js';
import { Slots } from '../../shared/map-bounded.js';
import { CoalescingOutcomePublisher } from '../../shared/outcome-events/coalescing-publisher.js';
import { OUTCOME_DETAIL_TYPES, type OutcomeEvent } from '../../shared/outcome-events/outcome-events.js';
import { OutcomePublishError, type OutcomePublisher } from '../../shared/outcome-events/outcome-publisher.js';
import { type MailTransport, SendFailure } from '../../shared/providers/email-provider.js';
import { type DispatcherDeps, EmailDispatcher } from '../../shared/sending/email-dispatcher.js';
import { MailAccounts } from '../../shared/sending/mail-accounts.js';
import { SendingCredentials } from '../../shared/sending/sending-credentials.js';
import { InMemoryIntegrationStore } from '../support/in-memory-integration-store.js';
import { MemoryLedger } from '../support/memory-send-ledger.js';

const apiKey = `SG.${'a'.repeat(22)}.${'1'.repeat(43)}`;
const cipher = new EnvelopeCipher(new LocalKeyring(randomBytes(32)));

/** Records what it publishes; refuses while `failing`. */
class RecordingPublisher implements OutcomePublisher {
  events: OutcomeEvent[] = [];
  failing = false;
  async publish(events: readonly OutcomeEvent[]) {
    if (this.failing) throw new OutcomePublishError(events.length, 'InternalFailure');
    this.events.push(...events);
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

describe('EmailDispatcher announcing outcomes', () => {
  let ledger: MemoryLedger;
  let publisher: RecordingPublisher;
  let sends: number;
  let script: SendFailure[];
  let dispatcher: EmailDispatcher;
  let deps: DispatcherDeps;

  beforeEach(async () => {
    ledger = new MemoryLedger();
    publisher = new RecordingPublisher();
    sends = 0;
    script = [];
    const transport: MailTransport = {
      async send() {
        sends += 1;
        const failure = script.shift();
        if (failure) throw failure;
        return { providerMessageId: `sg-${sends}` };
      },
    };
    const repository = new InMemoryIntegrationStore({
      records: [
        {
          tenantId: 'tenant-a',
          channel: 'email',
          provider: 'sendgrid',
          region: 'global',
          keyId: apiKey.slice(3, 25),
          emails: ['info@acme.example'],
          status: 'active',
          keyVersion: 1,
          revision: 1,
          createdAt: '2026-11-01T00:00:00.000Z',
          updatedAt: '2026-11-01T00:00:00.000Z',
          lastVerifiedAt: '2026-11-01T00:00:00.000Z',
          secret: await cipher.encrypt(apiKey, secretContext('tenant-a', 'sendgrid')),
        },
      ],
    });
    deps = {
      accounts: new MailAccounts({
        credentials: new SendingCredentials({ repository, cipher }),
        repository,
        transports: { sendgrid: transport },
        now: () => new Date(ledger.now),
      }),
      ledger,
      outcomes: publisher,
      logger: new Logger({ logLevel: 'SILENT' }),
      leaseMs: 60_000,
      now: () => new Date(ledger.now),
    };
    dispatcher = new EmailDispatcher(deps);
  });

  it('announces an accepted send after the ledger holds it', async () => {
    expect(await dispatcher.dispatch(event('m-1'), 'e-1')).toMatchObject({ kind: 'sent' });
    expect(publisher.events).toEqual([
      {
        detailType: OUTCOME_DETAIL_TYPES.sendAccepted,
        detail: expect.objectContaining({ tenantId: 'tenant-a', messageId: 'm-1', providerMessageId: 'sg-1' }),
      },
    ]);
    expect((await ledger.get('tenant-a', 'm-1'))?.state).toBe('sent');
  });

  it('announces a permanent failure with its code and detail, and nothing for a retry', async () => {
    script = [new SendFailure('message_rejected', 'The subject is too long.', { status: 400 })];
    await dispatcher.dispatch(event('m-2'), 'e-2');
    script = [new SendFailure('transient', 'Service unavailable', { status: 503 })];
    expect(await dispatcher.dispatch(event('m-3'), 'e-3')).toMatchObject({ kind: 'retry', code: 'transient' });
    expect(publisher.events.map((published) => published.detail)).toEqual([
      expect.objectContaining({
        messageId: 'm-2',
        status: 'failed',
        code: 'message_rejected',
        detail: 'The subject is too long.',
      }),
    ]);
  });

  it('brings the request back when the bus refuses, sends nothing twice, and announces it on the next delivery with the same eventId', async () => {
    publisher.failing = true;
    expect(await dispatcher.dispatch(event('m-4'), 'e-4')).toMatchObject({
      kind: 'retry',
      code: 'outcome_unpublished',
    });
    expect(sends).toBe(1);
    publisher.failing = false;
    expect(await dispatcher.dispatch(event('m-4'), 'e-4')).toMatchObject({ kind: 'duplicate', state: 'sent' });
    expect(sends).toBe(1);
    expect(await dispatcher.dispatch(event('m-4'), 'e-4')).toMatchObject({ kind: 'duplicate' });
    const announced = publisher.events.map((published) => published.detail);
    expect(announced).toHaveLength(2);
    expect(announced[0]).toMatchObject({ messageId: 'm-4', status: 'accepted', providerMessageId: 'sg-1' });
    expect(announced[1]?.eventId).toBe(announced[0]?.eventId);
  });

  it('announces nothing for an event filed under the placeholder tenant', async () => {
    expect(await dispatcher.dispatch({ tenantId: 'not a tenant', messageId: 'm-5' }, 'e-5')).toMatchObject({
      kind: 'failed',
      code: 'invalid_event',
    });
    expect(publisher.events).toEqual([]);
  });

  it('sends a batch’s gathered announcements as soon as its last send has settled, not after the window', async () => {
    const calls: string[][] = [];
    // A window of an hour: the batch below ends only because its last send flushes the announcements.
    const coalescing = new CoalescingOutcomePublisher(
      {
        publishEach: async (events) => {
          calls.push(events.map((published) => ('messageId' in published.detail ? published.detail.messageId : '')));
          return events.map(() => ({ published: true }) as const);
        },
      },
      3_600_000,
    );
    const batchDispatcher = new EmailDispatcher({ ...deps, outcomes: coalescing });
    script = [new SendFailure('transient', 'Service unavailable', { status: 503 })];
    // One provider call at a time: the sends answer one after another, as waves do.
    const batch = { completion: batchDispatcher.batchCompletion(3), providerSlots: new Slots(1) };
    const outcomes = await Promise.all(
      ['m-7', 'm-8', 'm-9'].map((messageId) => batchDispatcher.dispatch(event(messageId), `e-${messageId}`, batch)),
    );
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['retry', 'sent', 'sent']);
    // The retry announces nothing; the two sends share one call.
    expect(calls).toEqual([['m-8', 'm-9']]);
  });
});
