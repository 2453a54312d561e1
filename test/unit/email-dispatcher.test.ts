import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeEach, describe, expect, it } from 'vitest';
import { EnvelopeCipher } from '../../shared/crypto/envelope.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import { type IntegrationRecord, secretContext } from '../../shared/integrations/integration-record.js';
import { Slots } from '../../shared/map-bounded.js';
import {
  type MailTransport,
  SendFailure,
  type SendingAccount,
  type SendReceipt,
} from '../../shared/providers/email-provider.js';
import { EmailDispatcher } from '../../shared/sending/email-dispatcher.js';
import { MailAccounts } from '../../shared/sending/mail-accounts.js';
import type { OutboundEmail } from '../../shared/sending/outbound-email.js';
import { SendingCredentials } from '../../shared/sending/sending-credentials.js';
import type { CapDecision, CapSlot, TenantCapsPort } from '../../shared/sending/tenant-caps.js';
import type { TenantPausePort } from '../../shared/sending/tenant-pauses.js';
import { InMemoryIntegrationStore } from '../support/in-memory-integration-store.js';
import { MemoryLedger } from '../support/memory-send-ledger.js';

const oldKey = `SG.${'a'.repeat(22)}.${'1'.repeat(43)}`;
const newKey = `SG.${'b'.repeat(22)}.${'2'.repeat(43)}`;
const cipher = new EnvelopeCipher(new LocalKeyring(randomBytes(32)));

/** Answers each send from a script: a receipt, or a failure to throw. */
class ScriptedTransport implements MailTransport {
  script: Array<SendReceipt | SendFailure> = [];
  calls: Array<{ account: SendingAccount; message: OutboundEmail }> = [];
  async send(account: SendingAccount, message: OutboundEmail): Promise<SendReceipt> {
    this.calls.push({ account, message });
    const next = this.script.shift() ?? { providerMessageId: `sg-${this.calls.length}` };
    if (next instanceof SendFailure) throw next;
    return next;
  }
}

async function recordWith(apiKey: string, keyVersion: number, revision = keyVersion): Promise<IntegrationRecord> {
  return {
    tenantId: 'tenant-a',
    channel: 'email',
    provider: 'sendgrid',
    region: 'global',
    keyId: apiKey.slice(3, 25),
    emails: ['info@acme.example', 'noreply@acme.example'],
    status: 'active',
    keyVersion,
    revision,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    lastVerifiedAt: '2026-11-01T00:00:00.000Z',
    secret: await cipher.encrypt(apiKey, secretContext('tenant-a', 'sendgrid')),
  };
}

const unauthorized = () =>
  new SendFailure('key_rejected', 'The provided authorization grant is invalid, expired, or revoked', { status: 401 });

let counter = 0;
const event = (extra: Record<string, unknown> = {}) => ({
  tenantId: 'tenant-a',
  messageId: `m-${++counter}`,
  audience: 'customer',
  to: [{ email: 'jane@customer.example' }],
  subject: 'Hello',
  text: 'Hi',
  ...extra,
});

describe('EmailDispatcher', () => {
  let ledger: MemoryLedger;
  let repository: InMemoryIntegrationStore;
  let transport: ScriptedTransport;
  let credentials: SendingCredentials;
  let dispatcher: EmailDispatcher;
  let decrypts: number;

  beforeEach(async () => {
    ledger = new MemoryLedger();
    repository = new InMemoryIntegrationStore({ records: [await recordWith(oldKey, 1)] });
    transport = new ScriptedTransport();
    decrypts = 0;
    const countingCipher = {
      decrypt: (...args: Parameters<EnvelopeCipher['decrypt']>) => {
        decrypts += 1;
        return cipher.decrypt(...args);
      },
    };
    credentials = new SendingCredentials({ repository, cipher: countingCipher });
    dispatcher = new EmailDispatcher({
      accounts: new MailAccounts({
        credentials,
        repository,
        transports: { sendgrid: transport },
        now: () => new Date(ledger.now),
      }),
      ledger,
      logger: new Logger({ logLevel: 'SILENT' }),
      leaseMs: 60_000,
      now: () => new Date(ledger.now),
    });
  });

  it('retries once with the re-read key after a 401 when the key was just rotated', async () => {
    await dispatcher.dispatch(event(), 'e-0'); // warms the cache with the old key
    repository.seed(await recordWith(newKey, 2));
    transport.script = [unauthorized()];
    const outcome = await dispatcher.dispatch(event(), 'e-1');
    expect(outcome).toMatchObject({ kind: 'sent' });
    expect(transport.calls.slice(1).map((call) => call.account.apiKey)).toEqual([oldKey, newKey]);
    expect(repository.peek('tenant-a')?.status).toBe('active');
  });

  it('marks the card key_rejected when the re-read key is refused too, and sends nothing more', async () => {
    transport.script = [unauthorized(), unauthorized()];
    const outcome = await dispatcher.dispatch(event(), 'e-1');
    expect(outcome).toMatchObject({ kind: 'failed', code: 'key_rejected' });
    expect(transport.calls).toHaveLength(2);
    expect(repository.peek('tenant-a')).toMatchObject({ status: 'key_rejected', revision: 2 });
    expect(repository.peek('tenant-a')?.lastSendError).toContain('revoked');
    expect(await dispatcher.dispatch(event(), 'e-2')).toMatchObject({ kind: 'failed', code: 'key_rejected' });
    expect(transport.calls).toHaveLength(2);
  });

  it('refuses a paused tenant’s send before any provider call, and sends again once the card is active', async () => {
    await dispatcher.dispatch(event(), 'e-0'); // warms the cache with the active card
    const paused = repository.peek('tenant-a');
    if (!paused) throw new Error('no card');
    repository.seed({ ...paused, status: 'paused', revision: paused.revision + 1 });
    credentials.forget('tenant-a');
    const refused = event();
    expect(await dispatcher.dispatch(refused, 'e-1')).toMatchObject({ kind: 'failed', code: 'sending_paused' });
    expect(transport.calls).toHaveLength(1);
    expect((await ledger.get('tenant-a', refused.messageId))?.failureCode).toBe('sending_paused');

    repository.seed({ ...paused, status: 'active', revision: paused.revision + 2 });
    expect(await dispatcher.dispatch(event(), 'e-2')).toMatchObject({ kind: 'sent' });
    expect(transport.calls).toHaveLength(2);
  });

  it('fails a send the provider refuses as paused with sending_paused, and leaves the card to the provider’s events', async () => {
    transport.script = [new SendFailure('sending_paused', 'Sending is paused for tenant ei-tenant-a.')];
    expect(await dispatcher.dispatch(event(), 'e-1')).toMatchObject({ kind: 'failed', code: 'sending_paused' });
    expect(repository.peek('tenant-a')?.status).toBe('active');
  });

  it('marks the card sender_rejected when SendGrid refuses the from address', async () => {
    transport.script = [
      new SendFailure('sender_rejected', 'The from address does not match a verified Sender Identity', {
        status: 403,
        field: 'from',
      }),
    ];
    const outcome = await dispatcher.dispatch(event(), 'e-1');
    expect(outcome).toMatchObject({ kind: 'failed', code: 'sender_rejected' });
    expect(repository.peek('tenant-a')?.status).toBe('sender_rejected');
  });

  it('leaves a rotated integration alone when an old key’s failure arrives late', async () => {
    await dispatcher.dispatch(event(), 'e-0');
    transport.script = [new SendFailure('sender_rejected', 'nope', { status: 403, field: 'from' })];
    // The tenant rotates while the send is in flight: the transport's failure refers to key version 1.
    const rotated = await recordWith(newKey, 2);
    const pending = dispatcher.dispatch(event(), 'e-1');
    repository.seed(rotated);
    expect(await pending).toMatchObject({ kind: 'failed', code: 'sender_rejected' });
    expect(transport.calls.at(-1)?.account.apiKey).toBe(oldKey);
    expect(repository.peek('tenant-a')).toMatchObject({ status: 'active', revision: 2 });
  });

  it('fails a send permanently when the tenant’s item is damaged, sending nothing', async () => {
    repository.items.set('tenant-a', { ...repository.items.get('tenant-a'), emails: 'info@acme.example' });

    const outcome = await dispatcher.dispatch(event(), 'e-1');

    expect(outcome).toMatchObject({ kind: 'failed', code: 'integration_unreadable' });
    expect(transport.calls).toHaveLength(0);
  });

  it('decrypts once and reads the record once for a burst of mail to one tenant', async () => {
    for (let index = 0; index < 50; index += 1) await dispatcher.dispatch(event(), `e-${index}`);
    expect(transport.calls).toHaveLength(50);
    expect(decrypts).toBe(1);
    expect(repository.calls.get).toBe(1);
  });

  it('reads and decrypts again once the cache windows have passed', async () => {
    const clock = { now: 0 };
    credentials = new SendingCredentials({ repository, cipher }, { recordMs: 60_000, keyMs: 300_000 }, () => clock.now);
    await credentials.apiKey((await credentials.record('tenant-a')) as IntegrationRecord);
    clock.now = 61_000;
    await credentials.record('tenant-a');
    expect(credentials.stats).toEqual({ recordReads: 2, keyDecrypts: 1 });
    clock.now = 301_000;
    await credentials.apiKey((await credentials.record('tenant-a')) as IntegrationRecord);
    expect(credentials.stats).toEqual({ recordReads: 3, keyDecrypts: 2 });
  });

  it('never resends a message whose earlier attempt was cut off mid-send', async () => {
    const request = event();
    await ledger.claim('tenant-a', String(request.messageId), 'crashed-attempt', 60_000);
    expect(await dispatcher.dispatch(request, 'e-1')).toMatchObject({ kind: 'retry', code: 'in_flight' });
    ledger.now += 61_000;
    expect(await dispatcher.dispatch(request, 'e-1')).toMatchObject({ kind: 'failed', code: 'delivery_unknown' });
    expect(transport.calls).toHaveLength(0);
    expect(await dispatcher.dispatch(request, 'e-1')).toEqual({ kind: 'duplicate', state: 'failed' });
  });

  it('releases the claim on throttling so a later delivery sends it, once', async () => {
    const request = event();
    transport.script = [new SendFailure('throttled', 'too many requests', { status: 429, retryAfterSeconds: 17 })];
    expect(await dispatcher.dispatch(request, 'e-1')).toMatchObject({ kind: 'retry', afterSeconds: 17 });
    expect(await dispatcher.dispatch(request, 'e-1')).toMatchObject({ kind: 'sent' });
    expect(await dispatcher.dispatch(request, 'e-1')).toEqual({ kind: 'duplicate', state: 'sent' });
    expect(transport.calls).toHaveLength(2);
  });

  it('files an invalid event under its own ids with the reason', async () => {
    const outcome = await dispatcher.dispatch(
      { tenantId: 'tenant-a', messageId: 'bad-1', audience: 'everyone' },
      'e-9',
    );
    expect(outcome).toMatchObject({ kind: 'failed', code: 'invalid_event' });
    expect(ledger.entries.get('tenant-a#bad-1')).toMatchObject({ state: 'failed', failureCode: 'invalid_event' });
    expect(transport.calls).toHaveLength(0);
  });

  it('claims a batch’s messages as many at a time as it calls the provider, so the first wave’s claims are not queued behind the rest', async () => {
    const claimsInFlight: number[] = [];
    let inFlight = 0;
    const claim = ledger.claim.bind(ledger);
    ledger.claim = async (...args: Parameters<MemoryLedger['claim']>) => {
      inFlight += 1;
      claimsInFlight.push(inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return claim(...args);
    };
    const batch = { providerSlots: new Slots(2), claimSlots: new Slots(2) };
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, (_, index) => dispatcher.dispatch(event(), `e-${index}`, batch)),
    );
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
    expect(claimsInFlight).toHaveLength(5);
    expect(Math.max(...claimsInFlight)).toBe(2);
    expect(transport.calls).toHaveLength(5);
  });
});

/** Tenant pauses as the ledger table keeps them, shared by every "function" of a test. */
class MemoryPauses implements TenantPausePort {
  until = new Map<string, number>();
  async pausedUntil(tenantId: string) {
    const until = this.until.get(tenantId);
    return until !== undefined && until > clock.now ? until : undefined;
  }
  async pause(tenantId: string, untilMs: number) {
    this.until.set(tenantId, Math.max(untilMs, this.until.get(tenantId) ?? 0));
  }
}
const clock = { now: 1_000_000 };

describe('EmailDispatcher with tenant pauses', () => {
  it('pauses a tenant SendGrid rate-limited in every send function until the reset, and no other tenant', async () => {
    const pauses = new MemoryPauses();
    const ledger = new MemoryLedger();
    ledger.now = clock.now;
    const tenantB = {
      ...(await recordWith(oldKey, 1)),
      tenantId: 'tenant-b',
      secret: await cipher.encrypt(oldKey, secretContext('tenant-b', 'sendgrid')),
    };
    const repository = new InMemoryIntegrationStore({ records: [await recordWith(oldKey, 1), tenantB] });
    const transport = new ScriptedTransport();
    /** A send function of its own: its own caches, the shared table. */
    const sendFunction = () =>
      new EmailDispatcher({
        accounts: new MailAccounts({
          credentials: new SendingCredentials({ repository, cipher }),
          repository,
          transports: { sendgrid: transport },
          now: () => new Date(clock.now),
        }),
        ledger,
        pauses,
        logger: new Logger({ logLevel: 'SILENT' }),
        leaseMs: 60_000,
        now: () => new Date(clock.now),
      });
    const first = sendFunction();
    const second = sendFunction();
    transport.script = [new SendFailure('throttled', 'too many requests', { status: 429, retryAfterSeconds: 30 })];
    expect(await first.dispatch(event(), 'e-1')).toMatchObject({ kind: 'retry', code: 'throttled', afterSeconds: 30 });

    const callsBefore = transport.calls.length;
    expect(await second.dispatch(event(), 'e-2')).toMatchObject({ kind: 'retry', code: 'throttled', afterSeconds: 30 });
    expect(transport.calls).toHaveLength(callsBefore);
    expect(await second.dispatch(event({ tenantId: 'tenant-b' }), 'e-3')).toMatchObject({ kind: 'sent' });
    expect(transport.calls.at(-1)?.account.tenantId).toBe('tenant-b');

    clock.now += 31_000;
    ledger.now = clock.now;
    expect(await second.dispatch(event(), 'e-4')).toMatchObject({ kind: 'sent' });
  });
});

/** Caps that answer from a script and record what was given back. */
class ScriptedCaps implements TenantCapsPort {
  decision: CapDecision = { kind: 'go', slot: undefined };
  released: Array<{ slot: CapSlot; uncount: boolean }> = [];
  async acquire(tenantId: string, attemptId: string): Promise<CapDecision> {
    return this.decision.kind === 'go'
      ? { kind: 'go', slot: { tenantId, attemptId, inFlight: true, day: '2026-11-26' } }
      : this.decision;
  }
  async release(slot: CapSlot, options: { uncount: boolean }) {
    this.released.push({ slot, uncount: options.uncount });
  }
}

describe('EmailDispatcher with tenant caps', () => {
  async function dispatcherWith(caps: ScriptedCaps) {
    const repository = new InMemoryIntegrationStore({ records: [await recordWith(oldKey, 1)] });
    const transport = new ScriptedTransport();
    const ledger = new MemoryLedger();
    const dispatcher = new EmailDispatcher({
      accounts: new MailAccounts({
        credentials: new SendingCredentials({ repository, cipher }),
        repository,
        transports: { sendgrid: transport },
        now: () => new Date(),
      }),
      ledger,
      caps,
      logger: new Logger({ logLevel: 'SILENT' }),
      leaseMs: 60_000,
      now: () => new Date(),
    });
    return { dispatcher, transport, ledger };
  }

  it('holds a message a cap does not allow, to be queued afresh, without claiming or calling the provider', async () => {
    const caps = new ScriptedCaps();
    caps.decision = { kind: 'held', cap: 'per_day', afterSeconds: 3_600 };
    const { dispatcher, transport, ledger } = await dispatcherWith(caps);
    expect(await dispatcher.dispatch(event(), 'e-1')).toMatchObject({
      kind: 'retry',
      code: 'tenant_capped',
      afterSeconds: 3_600,
      requeue: true,
    });
    expect(transport.calls).toHaveLength(0);
    expect(ledger.entries.size).toBe(0);
  });

  it('gives the slot back after the send, uncounting it from the day only when the provider did not take it', async () => {
    const caps = new ScriptedCaps();
    const { dispatcher, transport } = await dispatcherWith(caps);
    expect(await dispatcher.dispatch(event(), 'e-1')).toMatchObject({ kind: 'sent' });
    transport.script = [new SendFailure('transient', 'SendGrid answered 503', { status: 503 })];
    expect(await dispatcher.dispatch(event(), 'e-2')).toMatchObject({ kind: 'retry', code: 'transient' });
    expect(caps.released.map((entry) => entry.uncount)).toEqual([false, true]);
  });
});
