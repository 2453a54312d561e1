import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrationRepository } from '../../shared/integrations/integration-repository.js';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;

beforeAll(async () => {
  service = await startLocalService();
});
afterAll(() => service?.close());

const key = (name: string) => service.sandbox.key(name).apiKey;

describe('daily health check (POST /local/health-check)', () => {
  it('re-verifies every integration and writes what it found onto each card', async () => {
    expect((await service.as('healthy').save(key('good'), ['info@acme.example'])).status).toBe(201);
    expect((await service.as('revoked-later').save(key('good-second'), ['info@acme.example'])).status).toBe(201);
    expect((await service.as('domain-broke').save(key('good'), ['sales@news.acme.example'])).status).toBe(201);
    const before = (await service.as('healthy').card()).body.lastVerifiedAt as string;

    service.sandbox.revokeKey(service.sandbox.key('good-second').keyId);
    service.sandbox.setDomainValid('acme', 'news.acme.example', false);
    const run = await service.as(undefined).call('POST', '/local/health-check');
    expect(run.status).toBe(200);
    expect(run.body).toEqual({
      checked: 3,
      outcomes: { active: 1, key_rejected: 1, sender_unauthenticated: 1 },
    });

    const healthy = (await service.as('healthy').card()).body;
    expect(healthy.status).toBe('active');
    expect(new Date(healthy.lastVerifiedAt as string).getTime()).toBeGreaterThan(new Date(before).getTime());
    expect((await service.as('revoked-later').card()).body.status).toBe('key_rejected');
    expect((await service.as('domain-broke').card()).body.status).toBe('sender_unauthenticated');

    // Once the domain is fixed, the next run puts the card back to active.
    service.sandbox.setDomainValid('acme', 'news.acme.example', true);
    await service.as(undefined).call('POST', '/local/health-check');
    expect((await service.as('domain-broke').card()).body.status).toBe('active');
  });

  it('leaves the cards alone when SendGrid is down, and says so', async () => {
    service.sandbox.injectFault({ path: '/v3/scopes', status: 503, times: 20 });
    const run = await service.as(undefined).call('POST', '/local/health-check');
    service.sandbox.clearFaults();
    expect((run.body.outcomes as Record<string, number>).unreachable).toBe(3);
    expect((await service.as('healthy').card()).body.status).toBe('active');
  });

  it('re-checks only blocked tenants with ?scope=blocked, and unblocks one whose key works again', async () => {
    // A send marked the card key_rejected on a 401 that turned out to be passing (the key works).
    const repository = new IntegrationRepository({
      tableName: service.runtime.dynamoDb.tables.integrations as string,
      clientConfig: { endpoint: service.runtime.dynamoDb.endpoint, region: 'eu-central-1' },
    });
    const healthy = await repository.get('healthy');
    if (!healthy) throw new Error('the first test saves tenant healthy');
    await repository.update('healthy', healthy.revision, { status: 'key_rejected', lastSendError: 'Unauthorized' });

    const run = await service.as(undefined).call('POST', '/local/health-check?scope=blocked');

    expect(run.status).toBe(200);
    // Only the two blocked tenants are checked: this one, and the one whose key is still revoked.
    expect(run.body).toEqual({ checked: 2, outcomes: { active: 1, key_rejected: 1 } });
    expect((await service.as('healthy').card()).body).toMatchObject({ status: 'active', lastSendError: null });
    expect((await service.as('revoked-later').card()).body.status).toBe('key_rejected');
  });

  it('refuses an unknown scope with a problem', async () => {
    const run = await service.as(undefined).call('POST', '/local/health-check?scope=everything');
    expect(run.status).toBe(400);
    expect(run.body.code).toBe('invalid_request');
  });
});
