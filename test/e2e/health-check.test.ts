import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrationRepository } from '../../shared/integrations/integration-repository.js';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;

beforeAll(async () => {
  // Small planner pages, so a run of a few tenants spans several pages and can be cut off between them.
  process.env.HEALTH_PLAN_PAGE_SIZE = '2';
  service = await startLocalService();
});
afterAll(() => service?.close());

const key = (name: string) => service.sandbox.key(name).apiKey;
const healthCheck = (query = '') => service.as(undefined).call('POST', `/local/health-check${query}`);
const integrations = () =>
  new IntegrationRepository({
    tableName: service.runtime.dynamoDb.tables.integrations as string,
    clientConfig: { endpoint: service.runtime.dynamoDb.endpoint, region: 'eu-central-1' },
  });

describe('daily health check (POST /local/health-check): planner → queue → checker', () => {
  it('re-verifies every integration, writes what it found onto each card and answers the run summary', async () => {
    expect((await service.as('healthy').save(key('good'), ['info@acme.example'])).status).toBe(201);
    expect((await service.as('revoked-later').save(key('good-second'), ['info@acme.example'])).status).toBe(201);
    expect((await service.as('domain-broke').save(key('good'), ['sales@news.acme.example'])).status).toBe(201);
    const before = (await service.as('healthy').card()).body.lastVerifiedAt as string;

    service.sandbox.revokeKey(service.sandbox.key('good-second').keyId);
    service.sandbox.setDomainValid('acme', 'news.acme.example', false);
    const run = await healthCheck();
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({
      scope: 'all',
      planned: 3,
      checked: 3,
      outcomes: { active: 1, key_rejected: 1, sender_unauthenticated: 1 },
      planningComplete: true,
    });
    expect(run.body.runId).toMatch(/^all-/);
    expect(Date.parse(run.body.finishedAt as string)).toBeGreaterThanOrEqual(Date.parse(run.body.startedAt as string));

    const healthy = (await service.as('healthy').card()).body;
    expect(healthy.status).toBe('active');
    expect(new Date(healthy.lastVerifiedAt as string).getTime()).toBeGreaterThan(new Date(before).getTime());
    expect((await service.as('revoked-later').card()).body.status).toBe('key_rejected');
    expect((await service.as('domain-broke').card()).body.status).toBe('sender_unauthenticated');

    // Once the domain is fixed, the next run (a new one: the last finished) puts the card back to active.
    service.sandbox.setDomainValid('acme', 'news.acme.example', true);
    const next = await healthCheck();
    expect(next.body.runId).not.toBe(run.body.runId);
    expect((await service.as('domain-broke').card()).body.status).toBe('active');
  });

  it('leaves the cards alone when SendGrid is down, and says so', async () => {
    service.sandbox.injectFault({ path: '/v3/scopes', status: 503, times: 20 });
    const run = await healthCheck();
    service.sandbox.clearFaults();
    expect((run.body.outcomes as Record<string, number>).unreachable).toBe(3);
    expect((await service.as('healthy').card()).body.status).toBe('active');
  });

  it('re-checks only blocked tenants with ?scope=blocked, from the blocked index, and unblocks one whose key works again', async () => {
    // A send marked the card key_rejected on a 401 that turned out to be passing (the key works).
    const repository = integrations();
    const healthy = await repository.get('healthy');
    if (!healthy) throw new Error('the first test saves tenant healthy');
    await repository.update('healthy', healthy.revision, { status: 'key_rejected', lastSendError: 'Unauthorized' });

    const run = await healthCheck('?scope=blocked');

    expect(run.status).toBe(200);
    // Only the two blocked tenants are planned and checked: this one, and the one whose key is still revoked.
    expect(run.body).toMatchObject({
      scope: 'blocked',
      planned: 2,
      checked: 2,
      outcomes: { active: 1, key_rejected: 1 },
    });
    expect((await service.as('healthy').card()).body).toMatchObject({ status: 'active', lastSendError: null });
    expect((await service.as('revoked-later').card()).body.status).toBe('key_rejected');
    // Unblocked: it left the blocked index, so the next blocked run checks only the one still revoked.
    expect((await healthCheck('?scope=blocked')).body).toMatchObject({ planned: 1, checked: 1 });
  });

  it('resumes a run cut off after the planner’s first page and checks each tenant once', async () => {
    for (const tenant of ['resume-1', 'resume-2', 'resume-3']) {
      expect((await service.as(tenant).save(key('good'), ['info@acme.example'])).status).toBe(201);
    }
    const tenants = ['healthy', 'revoked-later', 'domain-broke', 'resume-1', 'resume-2', 'resume-3'];
    const revisionsBefore = await revisions(tenants);

    // Six tenants in pages of two: the planner is stopped after the first page.
    const cut = await healthCheck('?cutOffAfterPages=1');
    expect(cut.body).toMatchObject({ planned: 2, checked: 2, planningComplete: false });
    expect(cut.body.finishedAt).toBeUndefined();

    // The next tick resumes the same run from its stored cursor instead of starting over.
    const resumed = await healthCheck();
    expect(resumed.body).toMatchObject({ runId: cut.body.runId, planned: 6, checked: 6, planningComplete: true });
    expect(resumed.body.finishedAt).toEqual(expect.any(String));
    // Every tenant was checked exactly once in the run: each check writes its card once.
    const revisionsAfter = await revisions(tenants);
    expect(tenants.map((tenant) => (revisionsAfter[tenant] ?? 0) - (revisionsBefore[tenant] ?? 0))).toEqual(
      tenants.map(() => 1),
    );
  });

  it('counts a damaged item as unreadable and goes on with the others', async () => {
    await service.documents().send(
      new PutCommand({
        TableName: service.runtime.dynamoDb.tables.integrations as string,
        Item: { tenantId: 'damaged', channel: 'email', provider: 'sendgrid', revision: 'three' },
      }),
    );

    const run = await healthCheck();

    expect(run.body).toMatchObject({ planned: 7, checked: 7, planningComplete: true });
    expect(run.body.outcomes).toEqual({ unreadable: 1, active: 5, key_rejected: 1 });
    expect(run.body.finishedAt).toEqual(expect.any(String));
  });

  it('refuses an unknown scope with a problem', async () => {
    const run = await healthCheck('?scope=everything');
    expect(run.status).toBe(400);
    expect(run.body.code).toBe('invalid_request');
  });
});

/** Each tenant's card revision (every write bumps it). */
async function revisions(tenants: string[]): Promise<Record<string, number>> {
  const cards = await Promise.all(
    tenants.map(async (tenant) => [tenant, (await service.as(tenant).card()).body.revision]),
  );
  return Object.fromEntries(cards);
}
