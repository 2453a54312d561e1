import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EnvelopeCipher } from '../../shared/crypto/envelope.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import type { CheckedProviders } from '../../shared/integrations/health-check.js';
import { type CheckerDeps, checkQueuedTenants, type QueuedMessage } from '../../shared/integrations/health-checker.js';
import { MAX_RUN_AGE_MS, type PlannerDeps, planHealthRun } from '../../shared/integrations/health-planner.js';
import type { CheckRequest } from '../../shared/integrations/health-queues.js';
import type { HealthCheckScope } from '../../shared/integrations/health-runs.js';
import { type IntegrationRecord, secretContext } from '../../shared/integrations/integration-record.js';
import { BLOCKED_STATUSES } from '../../shared/integrations/integration-table.js';
import { UpstreamUnavailableError } from '../../shared/problem-catalog.js';
import type { EmailProvider, ProviderVerification, SenderDomain } from '../../shared/providers/email-provider.js';
import { KeyVerificationError } from '../../shared/providers/sendgrid/sendgrid-provider.js';
import { InMemoryHealthRuns } from '../support/in-memory-health-runs.js';
import { InMemoryIntegrationStore } from '../support/in-memory-integration-store.js';

const cipher = new EnvelopeCipher(new LocalKeyring(randomBytes(32)));

async function record(tenantId: string, apiKey: string, emails = ['info@acme.example']): Promise<IntegrationRecord> {
  return {
    tenantId,
    channel: 'email',
    provider: 'sendgrid',
    region: 'global',
    keyId: 'k',
    emails,
    status: 'active',
    keyVersion: 1,
    revision: 3,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    lastVerifiedAt: '2026-11-01T00:00:00.000Z',
    secret: await cipher.encrypt(apiKey, secretContext(tenantId, 'sendgrid')),
  };
}

/** A provider whose answer depends on the key it is given. */
function providerAnswering(answers: Record<string, () => ProviderVerification>) {
  let inFlight = 0;
  const stats = { maxInFlight: 0 };
  return {
    stats,
    async verify({ apiKey }: { apiKey: string }) {
      inFlight += 1;
      stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      const answer = answers[apiKey];
      if (!answer) throw new Error(`unexpected key ${apiKey}`);
      return answer();
    },
  };
}

/** The registry as the health check sees it, with SendGrid's verify scripted and SES's domains given. */
function providersWith(sendgrid: Pick<EmailProvider, 'verify'>, sesDomains: SenderDomain[] = []): CheckedProviders {
  const unused = async (): Promise<never> => {
    throw new Error('not asked in this test');
  };
  return {
    sendgrid: { verify: sendgrid.verify, senderDomains: unused },
    ses: { senderDomains: async () => sesDomains },
  };
}

const fine = (): ProviderVerification => ({
  provider: 'sendgrid',
  region: 'global',
  keyId: 'k',
  scopes: { granted: [], required: [], ignored: [] },
  domains: [
    { domain: 'acme.example', valid: true },
    { domain: 'news.acme.example', valid: false },
  ],
  senders: [],
});

/** A queue that keeps what is sent, as SQS would, for the checker to take in batches of 10. */
class ArrayQueue<T> {
  readonly sent: T[] = [];
  async sendAll(messages: readonly T[]) {
    this.sent.push(...messages);
  }
}

/** The tenants of an in-memory store, as the directory pages them (sorted; blocked ones by status). */
function directoryOf(store: InMemoryIntegrationStore) {
  const calls: Array<{ scope: HealthCheckScope; pageToken?: string }> = [];
  return {
    calls,
    async pageTenants(options: { scope: HealthCheckScope; limit: number; pageToken?: string }) {
      calls.push({ scope: options.scope, ...(options.pageToken ? { pageToken: options.pageToken } : {}) });
      const tenants = [...store.items.entries()]
        .filter(([, item]) => options.scope === 'all' || BLOCKED_STATUSES.has(String(item.status)))
        .map(([tenantId]) => tenantId)
        .sort();
      const start = Number(options.pageToken ?? 0);
      const end = start + options.limit;
      return {
        tenantIds: tenants.slice(start, end),
        ...(end < tenants.length ? { nextPageToken: String(end) } : {}),
      };
    },
  };
}

/** Everything one health run needs in memory: the store, the run table, the queue and both steps. */
function world(store: InMemoryIntegrationStore, providers: CheckedProviders, options: { pageSize?: number } = {}) {
  const runs = new InMemoryHealthRuns({ now: store.now });
  const checks = new ArrayQueue<CheckRequest>();
  const directory = directoryOf(store);
  let pagesLeft = Number.POSITIVE_INFINITY;
  const planner: PlannerDeps = {
    directory,
    runs,
    checks,
    pageSize: options.pageSize ?? 100,
    leaseMs: 360_000,
    outOfTime: () => {
      pagesLeft -= 1;
      return pagesLeft <= 0;
    },
  };
  const checker: CheckerDeps = {
    repository: store,
    cipher,
    providers,
    runs,
    concurrency: 2,
    claimLeaseMs: 120_000,
  };
  let delivered = 0;
  return {
    runs,
    checks,
    directory,
    planner,
    checker,
    /** Stops the next planner after this many pages. */
    cutOffAfter(pages: number) {
      pagesLeft = pages;
    },
    /** Delivers every check not yet delivered, in batches of 10; answers what the checker asked to retry. */
    async deliver(): Promise<string[]> {
      const retry: string[] = [];
      while (delivered < checks.sent.length) {
        const batch: QueuedMessage[] = checks.sent
          .slice(delivered, delivered + 10)
          .map((message, index) => ({ messageId: String(delivered + index), body: JSON.stringify(message) }));
        delivered += batch.length;
        retry.push(...(await checkQueuedTenants(checker, batch)).retry);
      }
      return retry;
    },
  };
}

describe('checkQueuedTenants', () => {
  it('maps every finding to a status, writes it onto the card and keeps its concurrency bound', async () => {
    const records = [
      await record('active', 'good'),
      await record('revoked', 'revoked'),
      await record('rescoped', 'rescoped'),
      await record('stranded', 'good', ['info@acme.example', 'sales@news.acme.example']),
      await record('down', 'down'),
    ];
    const corrupted = await record('copied', 'good');
    corrupted.secret = (await record('someone-else', 'good')).secret;
    records.push(corrupted);
    const store = new InMemoryIntegrationStore({ records, now: () => new Date('2026-11-24T03:15:00.000Z') });
    const provider = providerAnswering({
      good: fine,
      revoked: () => {
        throw new KeyVerificationError('key_rejected', 'revoked');
      },
      rescoped: () => {
        throw new KeyVerificationError('excess_scopes', 'too much');
      },
      down: () => {
        throw new UpstreamUnavailableError('SendGrid');
      },
    });
    const health = world(store, providersWith(provider), { pageSize: 4 });

    const planned = await planHealthRun(health.planner, { scope: 'all' });
    await health.deliver();

    const run = await health.runs.get(planned?.run.runId ?? '');
    expect(run).toMatchObject({
      planned: 6,
      checked: 6,
      planningComplete: true,
      outcomes: {
        active: 1,
        key_rejected: 1,
        scopes_changed: 1,
        sender_unauthenticated: 1,
        unreachable: 1,
        unreadable: 1,
      },
      finishedAt: '2026-11-24T03:15:00.000Z',
    });
    expect(provider.stats.maxInFlight).toBe(2);
    expect(health.directory.calls).toHaveLength(2);
    const written = records.map((entry) => store.peek(entry.tenantId)).filter((entry) => entry?.revision === 4);
    expect(Object.fromEntries(written.map((entry) => [entry?.tenantId, entry?.status]))).toEqual({
      active: 'active',
      revoked: 'key_rejected',
      rescoped: 'scopes_changed',
      stranded: 'sender_unauthenticated',
    });
    expect(store.peek('active')).toMatchObject({ lastVerifiedAt: '2026-11-24T03:15:00.000Z', revision: 4 });
  });

  it('checks a tenant whose message is delivered twice only once, and counts it once', async () => {
    const store = new InMemoryIntegrationStore({ records: [await record('twice', 'good')] });
    const health = world(store, providersWith(providerAnswering({ good: fine })));
    const planned = await planHealthRun(health.planner, { scope: 'all' });
    // SQS delivers at least once: the same check arrives again.
    await health.checks.sendAll([...health.checks.sent]);

    await health.deliver();

    expect(store.calls.update).toBe(1);
    expect(await health.runs.get(planned?.run.runId ?? '')).toMatchObject({ planned: 1, checked: 1 });
  });

  it('never overwrites a change the tenant made meanwhile', async () => {
    const busy = await record('busy', 'good');
    const store = new InMemoryIntegrationStore({ records: [busy] });
    const runs = new InMemoryHealthRuns();
    const { retry } = await checkQueuedTenants(
      {
        repository: {
          get: (tenantId) => store.get(tenantId),
          // The tenant edits its senders between the check's read and its write.
          update: async (tenantId, expectedRevision, change) => {
            await store.update(tenantId, busy.revision, { emails: ['sales@acme.example'] });
            return store.update(tenantId, expectedRevision, change);
          },
        },
        cipher,
        providers: providersWith(providerAnswering({ good: fine })),
        runs,
        concurrency: 1,
        claimLeaseMs: 1_000,
        onOutcome: (outcome) => expect(outcome).toBe('changed_meanwhile'),
      },
      [{ messageId: 'm1', body: JSON.stringify({ runId: 'all-1', tenantId: 'busy' }) }],
    );
    expect(retry).toEqual([]);
    expect(store.peek('busy')?.emails).toEqual(['sales@acme.example']);
  });

  it('reports a damaged item as unreadable for its tenant and checks the others', async () => {
    const store = new InMemoryIntegrationStore({ records: [await record('fine', 'good')] });
    store.items.set('damaged', { ...(await record('damaged', 'good')), emails: 'info@acme.example' });
    const health = world(store, providersWith(providerAnswering({ good: fine })));
    const seen: Array<[string, string]> = [];
    health.checker.onOutcome = (outcome, tenantId) => seen.push([tenantId, outcome]);

    const planned = await planHealthRun(health.planner, { scope: 'all' });
    await health.deliver();

    expect(await health.runs.get(planned?.run.runId ?? '')).toMatchObject({
      checked: 2,
      outcomes: { active: 1, unreadable: 1 },
    });
    expect(seen).toContainEqual(['damaged', 'unreadable']);
  });

  it('skips a tenant deleted between planning and checking, and still finishes the run', async () => {
    const store = new InMemoryIntegrationStore({ records: [await record('gone', 'good')] });
    const health = world(store, providersWith(providerAnswering({})));
    const planned = await planHealthRun(health.planner, { scope: 'all' });
    await store.delete('gone', 3);

    await health.deliver();

    const run = await health.runs.get(planned?.run.runId ?? '');
    expect(run).toMatchObject({ planned: 1, checked: 1, outcomes: { skipped: 1 } });
    expect(run?.finishedAt).toEqual(expect.any(String));
  });

  it('asks for a delivery again when the store fails, and checks the tenant then once its claim ran out', async () => {
    let now = new Date('2026-11-24T03:15:00.000Z');
    const store = new InMemoryIntegrationStore({ records: [await record('flaky', 'good')], now: () => now });
    const health = world(store, providersWith(providerAnswering({ good: fine })));
    const planned = await planHealthRun(health.planner, { scope: 'all' });
    const get = store.get.bind(store);
    store.get = async () => {
      throw new UpstreamUnavailableError('DynamoDB');
    };

    expect(await health.deliver()).toEqual(['0']);

    store.get = get;
    now = new Date(now.getTime() + 121_000);
    await checkQueuedTenants(health.checker, [{ messageId: '0', body: JSON.stringify(health.checks.sent[0]) }]);
    expect(await health.runs.get(planned?.run.runId ?? '')).toMatchObject({ checked: 1, outcomes: { active: 1 } });
  });

  it('drops a message that is no check request instead of retrying it forever', async () => {
    const dropped: string[] = [];
    const { retry } = await checkQueuedTenants(
      {
        ...world(new InMemoryIntegrationStore(), providersWith(providerAnswering({}))).checker,
        onMalformed: (messageId) => dropped.push(messageId),
      },
      [{ messageId: 'junk', body: '{"tenant":"x"}' }],
    );
    expect(retry).toEqual([]);
    expect(dropped).toEqual(['junk']);
  });

  it('checks an SES tenant’s senders against its own SES tenant’s domains', async () => {
    const onSes = (tenantId: string, emails: string[]): IntegrationRecord => ({
      tenantId,
      channel: 'email',
      provider: 'ses',
      region: 'eu-west-1',
      keyId: `ei-${tenantId}`,
      emails,
      status: 'active',
      keyVersion: 1,
      revision: 1,
      createdAt: '2026-11-01T00:00:00.000Z',
      updatedAt: '2026-11-01T00:00:00.000Z',
      lastVerifiedAt: '2026-11-01T00:00:00.000Z',
    });
    const asked: unknown[] = [];
    const providers = providersWith(providerAnswering({}));
    const store = new InMemoryIntegrationStore({ records: [onSes('tenant-b', ['info@acme.example'])] });
    const health = world(store, {
      ...providers,
      ses: {
        senderDomains: async (account) => {
          asked.push(account);
          return [{ domain: 'globex.example', valid: true }];
        },
      },
    });

    const planned = await planHealthRun(health.planner, { scope: 'all' });
    await health.deliver();

    expect((await health.runs.get(planned?.run.runId ?? ''))?.outcomes).toEqual({ sender_unauthenticated: 1 });
    expect(asked).toEqual([{ region: 'eu-west-1', tenantId: 'tenant-b' }]);
  });
});

describe('checkIntegration on a paused SES tenant', () => {
  const sesCard = (status: IntegrationRecord['status']): IntegrationRecord => ({
    tenantId: 'tenant-p',
    channel: 'email',
    provider: 'ses',
    region: 'eu-west-1',
    keyId: 'ei-tenant-p',
    emails: ['info@acme.example'],
    status,
    keyVersion: 1,
    revision: 1,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    lastVerifiedAt: '2026-11-01T00:00:00.000Z',
  });
  const check = async (
    status: IntegrationRecord['status'],
    sendingPaused?: (account: { region: string; tenantId?: string }) => Promise<boolean>,
  ) => {
    const store = new InMemoryIntegrationStore({ records: [sesCard(status)] });
    const providers = providersWith(providerAnswering({}), [{ domain: 'acme.example', valid: true }]);
    const health = world(store, {
      ...providers,
      ses: { ...providers.ses, ...(sendingPaused ? { sendingPaused } : {}) },
    });
    const planned = await planHealthRun(health.planner, { scope: 'all' });
    await health.deliver();
    return { outcomes: (await health.runs.get(planned?.run.runId ?? ''))?.outcomes, card: await store.get('tenant-p') };
  };

  it('keeps a card paused when the provider cannot be asked, although its senders are fine', async () => {
    const { outcomes, card } = await check('paused');
    expect(outcomes).toEqual({ paused: 1 });
    expect(card?.status).toBe('paused');
  });

  it('asks SES: lifts paused once SES enabled the tenant (its Enabled event was lost)', async () => {
    const asked: unknown[] = [];
    const { card } = await check('paused', async (account) => {
      asked.push(account);
      return false;
    });
    expect(asked).toEqual([{ region: 'eu-west-1', tenantId: 'tenant-p' }]);
    expect(card?.status).toBe('active');
  });

  it('asks SES: pauses an active card whose SES tenant is disabled (its Disabled event was lost)', async () => {
    const { outcomes, card } = await check('active', async () => true);
    expect(outcomes).toEqual({ paused: 1 });
    expect(card?.status).toBe('paused');
  });
});

describe('planHealthRun', () => {
  it('re-checks only blocked tenants with scope blocked, and unblocks one whose key works again', async () => {
    const blocked = { ...(await record('blocked', 'good')), status: 'key_rejected' as const, lastSendError: '401' };
    const stillBlocked = { ...(await record('still-blocked', 'revoked')), status: 'key_rejected' as const };
    const store = new InMemoryIntegrationStore({
      records: [await record('healthy', 'unused-key'), blocked, stillBlocked],
    });
    const provider = providerAnswering({
      good: fine,
      revoked: () => {
        throw new KeyVerificationError('key_rejected', 'revoked');
      },
    });
    const health = world(store, providersWith(provider));

    const planned = await planHealthRun(health.planner, { scope: 'blocked' });
    await health.deliver();

    expect(health.directory.calls).toEqual([{ scope: 'blocked' }]);
    expect(await health.runs.get(planned?.run.runId ?? '')).toMatchObject({
      scope: 'blocked',
      checked: 2,
      outcomes: { active: 1, key_rejected: 1 },
    });
    expect(store.calls.update).toBe(2);
    expect(store.peek('blocked')).toMatchObject({ status: 'active', revision: 4 });
    expect(store.peek('blocked')?.lastSendError).toBeUndefined();
    expect(store.peek('still-blocked')).toMatchObject({ status: 'key_rejected', revision: 4 });
    expect(store.peek('healthy')?.revision).toBe(3);
  });

  it('hands over to a continuation when its time runs out, and the continuation goes on from the cursor', async () => {
    const records = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((tenant) => record(tenant, 'good')));
    const health = world(new InMemoryIntegrationStore({ records }), providersWith(providerAnswering({ good: fine })), {
      pageSize: 2,
    });
    health.cutOffAfter(1);

    const first = await planHealthRun(health.planner, { scope: 'all' });

    expect(first?.continueWith).toEqual({ scope: 'all', runId: first?.run.runId });
    expect(first?.run).toMatchObject({ planned: 2, planningComplete: false });
    expect(first?.run.plannerLeaseUntil).toBeUndefined();
    health.cutOffAfter(Number.POSITIVE_INFINITY);
    const rest = await planHealthRun(health.planner, first?.continueWith ?? { scope: 'all' });
    expect(rest?.run).toMatchObject({ runId: first?.run.runId, planned: 5, planningComplete: true });
    expect(health.checks.sent.map((message) => message.tenantId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(health.directory.calls.map((call) => call.pageToken)).toEqual([undefined, '2', '4']);
  });

  it('resumes a run whose planner was cut off mid-page once its lease has run out, counting the page once', async () => {
    let now = new Date('2026-11-24T03:15:00.000Z');
    const records = await Promise.all(['a', 'b', 'c'].map((tenant) => record(tenant, 'good')));
    const store = new InMemoryIntegrationStore({ records, now: () => now });
    const health = world(store, providersWith(providerAnswering({ good: fine })), { pageSize: 2 });
    // The planner dies after enqueueing its first page, before recording it.
    const recordPage = health.runs.recordPage.bind(health.runs);
    health.runs.recordPage = async () => {
      throw new Error('function timed out');
    };
    await expect(planHealthRun(health.planner, { scope: 'all' })).rejects.toThrow('timed out');
    health.runs.recordPage = recordPage;

    // The tick redelivered meanwhile: another planner holds the lease, so this one leaves it.
    expect((await planHealthRun(health.planner, { scope: 'all' }))?.run.planned).toBe(0);
    now = new Date(now.getTime() + 361_000);
    const resumed = await planHealthRun(health.planner, { scope: 'all' });
    await health.deliver();

    expect(resumed?.run).toMatchObject({ planned: 3, planningComplete: true });
    // The first page was enqueued twice, but each tenant is checked once and counted once.
    expect(health.checks.sent).toHaveLength(5);
    expect(store.calls.update).toBe(3);
    expect(await health.runs.get(resumed?.run.runId ?? '')).toMatchObject({ checked: 3 });
  });

  it('starts a new daily run when the last one finished or is older than 23 hours, and resumes a younger unfinished one', async () => {
    let now = new Date('2026-11-24T03:15:00.000Z');
    const store = new InMemoryIntegrationStore({ records: [await record('a', 'good')], now: () => now });
    const health = world(store, providersWith(providerAnswering({ good: fine })));

    const first = await planHealthRun(health.planner, { scope: 'all' });
    // Not yet checked: the run is unfinished, so a second tick the same hour resumes it.
    const again = await planHealthRun(health.planner, { scope: 'all' });
    expect(again?.run.runId).toBe(first?.run.runId);
    expect(health.checks.sent).toHaveLength(1);

    now = new Date(now.getTime() + MAX_RUN_AGE_MS.all + 1);
    const stale = await planHealthRun(health.planner, { scope: 'all' });
    expect(stale?.run.runId).not.toBe(first?.run.runId);
    await health.deliver();
    const next = await planHealthRun(health.planner, { scope: 'all' });
    expect(next?.run.runId).not.toBe(stale?.run.runId);
  });

  it('answers nothing for a continuation of an unknown run', async () => {
    const health = world(new InMemoryIntegrationStore(), providersWith(providerAnswering({})));
    expect(await planHealthRun(health.planner, { scope: 'all', runId: 'all-404' })).toBeUndefined();
  });

  it('finishes an empty run at once', async () => {
    const health = world(new InMemoryIntegrationStore(), providersWith(providerAnswering({})));
    const result = await planHealthRun(health.planner, { scope: 'blocked' });
    expect(result).toMatchObject({ finished: true, run: { planned: 0, checked: 0, planningComplete: true } });
  });
});
