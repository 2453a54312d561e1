import { describe, expect, it } from 'vitest';
import type { FeedbackBatch } from '../../shared/feedback/provider-feedback.js';
import { createSesEventHandler, type SesEventReceiverDeps } from '../../shared/feedback/ses-event-receiver.js';
import type { IntegrationRecord } from '../../shared/integrations/integration-record.js';
import { applySesSendingStatus } from '../../shared/integrations/ses-sending-status.js';
import type { IntegrationStatusChange } from '../../shared/outcome-events/outcome-events.js';
import type { SesSendingStatusEvent } from '../../shared/providers/ses/ses-configuration-set-events.js';
import { ourMessageTags } from '../../shared/providers/ses/ses-message-tags.js';
import { sesTenantName } from '../../shared/providers/ses/ses-resources.js';
import { InMemoryIntegrationStore } from '../support/in-memory-integration-store.js';

function bounceEvent(tenantId: string, messageId: string, resources: string[] = []) {
  return {
    version: '0',
    id: 'e-1',
    'detail-type': 'Email Bounced',
    source: 'aws.ses',
    account: '111122223333',
    time: '2026-01-02T03:04:06Z',
    region: 'eu-west-1',
    resources: ['arn:aws:ses:eu-west-1:111122223333:configuration-set/email-integrations', ...resources],
    detail: {
      eventType: 'Bounce',
      mail: {
        timestamp: '2026-01-02T03:04:05.000Z',
        messageId: 'ses-1',
        destination: ['bounce@customer.example'],
        tags: Object.fromEntries(ourMessageTags(tenantId, messageId).map((tag) => [tag.Name, [tag.Value]])),
      },
      bounce: {
        bounceType: 'Permanent',
        timestamp: '2026-01-02T03:04:06.000Z',
        bouncedRecipients: [{ emailAddress: 'bounce@customer.example', diagnosticCode: 'smtp; 550 5.1.1' }],
      },
    },
  };
}

function statusEvent(name: string, detailType: string, status: string) {
  return {
    version: '0',
    id: 's-1',
    'detail-type': detailType,
    source: 'aws.ses',
    account: '111122223333',
    time: '2026-01-02T03:04:05Z',
    region: 'eu-west-1',
    resources: [`arn:aws:ses:eu-west-1:111122223333:tenant/${name}/tn-1`],
    detail: { version: '1.0.0', data: { origin: 'CUSTOMER_MANAGED', record: { status, cause: 'operator' } } },
  };
}

function receiver(overrides: Partial<SesEventReceiverDeps> = {}) {
  const queued: FeedbackBatch[] = [];
  const metrics: Array<[string, number]> = [];
  const logged: unknown[] = [];
  const statuses: SesSendingStatusEvent[] = [];
  const log = (...args: unknown[]) => void logged.push(args);
  const handler = createSesEventHandler({
    queue: { enqueue: async (batch) => void queued.push(batch) },
    sendingStatus: async (event) => {
      statuses.push(event);
      return 'paused';
    },
    logger: { info: log, warn: log, error: log },
    metrics: { addMetric: (name, _unit, value) => metrics.push([name, value]) },
    ...overrides,
  });
  return { handler, queued, metrics, logged, statuses };
}

describe('createSesEventHandler', () => {
  it('queues an email event’s feedback as {provider: ses, tenantId, events} under the tenant its tags name', async () => {
    const { handler, queued, metrics } = receiver();
    expect(await handler(bounceEvent('tenant-a', 'welcome-42'))).toBe('queued');
    expect(queued).toEqual([
      {
        provider: 'ses',
        tenantId: 'tenant-a',
        events: [
          expect.objectContaining({
            messageId: 'welcome-42',
            claimedTenantId: 'tenant-a',
            kind: 'bounced',
            bounceType: 'hard',
            recipient: 'bounce@customer.example',
            providerMessageId: 'ses-1',
          }),
        ],
      },
    ]);
    expect(metrics).toEqual([['SesEventsQueued', 1]]);
  });

  it('queues nothing for an email event without our tags', async () => {
    const { handler, queued, metrics } = receiver();
    const event = bounceEvent('tenant-a', 'welcome-42');
    event.detail.mail.tags = {};
    expect(await handler(event)).toBe('not_ours');
    expect(queued).toEqual([]);
    expect(metrics).toEqual([['SesEventsNotOurs', 1]]);
  });

  it('refuses an email event whose SES tenant is not the one its tenant tag names', async () => {
    const { handler, queued } = receiver();
    const otherTenant = `arn:aws:ses:eu-west-1:111122223333:tenant/${sesTenantName('tenant-b')}/tn-2`;
    expect(await handler(bounceEvent('tenant-a', 'welcome-42', [otherTenant]))).toBe('tenant_mismatch');
    expect(queued).toEqual([]);
    const ownTenant = `arn:aws:ses:eu-west-1:111122223333:tenant/${sesTenantName('tenant-a')}/tn-1`;
    expect(await handler(bounceEvent('tenant-a', 'welcome-42', [ownTenant]))).toBe('queued');
  });

  it('counts and drops a malformed event without throwing, and logs no address', async () => {
    const { handler, queued, metrics, logged } = receiver();
    const event = bounceEvent('tenant-a', 'welcome-42');
    (event.detail.bounce as { bounceType: string }).bounceType = 'Sideways';
    expect(await handler(event)).toBe('malformed');
    expect(await handler({ source: 'aws.ses' })).toBe('malformed');
    expect(queued).toEqual([]);
    expect(metrics).toEqual([
      ['SesEventsMalformed', 1],
      ['SesEventsMalformed', 1],
    ]);
    expect(JSON.stringify(logged)).not.toMatch(/customer\.example/);
  });

  it('hands a tenant’s sending status event to the card and counts the change', async () => {
    const { handler, statuses, metrics } = receiver();
    expect(await handler(statusEvent('ei-tenant-a', 'Sending Status Disabled', 'DISABLED'))).toBe('paused');
    expect(statuses).toEqual([expect.objectContaining({ sesTenantName: 'ei-tenant-a', enabled: false })]);
    expect(metrics).toEqual([['SesTenantStatusChanges', 1]]);
  });

  it('throws when the feedback queue fails, so the event is delivered again', async () => {
    const { handler } = receiver({
      queue: {
        enqueue: async () => {
          throw new Error('SQS down');
        },
      },
    });
    await expect(handler(bounceEvent('tenant-a', 'welcome-42'))).rejects.toThrow('SQS down');
  });
});

describe('applySesSendingStatus', () => {
  const card = (extra: Partial<IntegrationRecord> = {}): IntegrationRecord => ({
    tenantId: 'tenant-a',
    channel: 'email',
    provider: 'ses',
    region: 'eu-west-1',
    keyId: 'ei-tenant-a',
    emails: ['info@acme.example'],
    status: 'active',
    keyVersion: 1,
    revision: 1,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    lastVerifiedAt: '2026-11-01T00:00:00.000Z',
    ...extra,
  });
  const event = (enabled: boolean, at: string, extra: Partial<SesSendingStatusEvent> = {}): SesSendingStatusEvent => ({
    kind: 'sending_status',
    sesTenantName: 'ei-tenant-a',
    region: 'eu-west-1',
    enabled,
    origin: 'AWS_MANAGED',
    cause: 'High bounce rate',
    at,
    ...extra,
  });
  const world = (records: IntegrationRecord[]) => {
    const repository = new InMemoryIntegrationStore({ records });
    const changes: IntegrationStatusChange[] = [];
    const deps = {
      repository,
      statusEvents: { changed: async (change: IntegrationStatusChange) => void changes.push(change) },
    };
    return { repository, changes, deps };
  };

  it('pauses the card on Disabled and announces it, then makes it active again on Enabled', async () => {
    const { repository, changes, deps } = world([card()]);
    expect(await applySesSendingStatus(deps, event(false, '2026-11-26T06:00:00.000Z'))).toBe('paused');
    expect((await repository.get('tenant-a'))?.status).toBe('paused');
    expect(await applySesSendingStatus(deps, event(true, '2026-11-26T07:00:00.000Z'))).toBe('resumed');
    expect((await repository.get('tenant-a'))?.status).toBe('active');
    expect(changes.map(({ status, previousStatus, cause }) => ({ status, previousStatus, cause }))).toEqual([
      { status: 'paused', previousStatus: 'active', cause: 'ses_sending_status' },
      { status: 'active', previousStatus: 'paused', cause: 'ses_sending_status' },
    ]);
  });

  it('returns a card whose sender domain still failed to domain_failed, not active', async () => {
    const { repository, deps } = world([card({ status: 'paused', failedDomains: ['acme.example'] })]);
    await applySesSendingStatus(deps, event(true, '2026-11-26T07:00:00.000Z'));
    expect((await repository.get('tenant-a'))?.status).toBe('domain_failed');
  });

  it('leaves a card alone on Enabled when SES had not paused it', async () => {
    const { changes, deps } = world([card({ status: 'domain_failed', failedDomains: ['acme.example'] })]);
    expect(await applySesSendingStatus(deps, event(true, '2026-11-26T07:00:00.000Z'))).toBe('unchanged');
    expect(changes).toEqual([]);
  });

  it('ignores an event older than the one applied last (SES publishes out of order)', async () => {
    const { repository, deps } = world([card()]);
    await applySesSendingStatus(deps, event(false, '2026-11-26T07:00:00.000Z'));
    expect(await applySesSendingStatus(deps, event(true, '2026-11-26T06:00:00.000Z'))).toBe('stale');
    expect((await repository.get('tenant-a'))?.status).toBe('paused');
  });

  it('applies a status event delivered twice once, even after the health check corrected the card', async () => {
    const { repository, changes, deps } = world([card()]);
    const disabled = event(false, '2026-11-26T06:00:00.000Z');
    await applySesSendingStatus(deps, disabled);
    const paused = await repository.get('tenant-a');
    if (!paused) throw new Error('no card');
    await repository.update('tenant-a', paused.revision, { status: 'active' });
    expect(await applySesSendingStatus(deps, disabled)).toBe('unchanged');
    expect((await repository.get('tenant-a'))?.status).toBe('active');
    expect(changes).toHaveLength(1);
  });

  it.each([
    [
      'an SES tenant that is not named for one of ours',
      event(false, '2026-11-26T06:00:00.000Z', { sesTenantName: 'someone-else' }),
    ],
    ['our tenant’s name in another region', event(false, '2026-11-26T06:00:00.000Z', { region: 'us-east-1' })],
    [
      'a hashed name no tenant id reads back from',
      event(false, '2026-11-26T06:00:00.000Z', { sesTenantName: sesTenantName('a.b') }),
    ],
  ])('maps %s to no tenant and writes nothing', async (_name, unknown) => {
    const { repository, changes, deps } = world([card()]);
    expect(await applySesSendingStatus(deps, unknown)).toBe('unknown_tenant');
    expect(repository.calls.update).toBe(0);
    expect(changes).toEqual([]);
  });

  it('finds the tenant of a hashed SES tenant name through the lookup it is given', async () => {
    const dotted = sesTenantName('acme.corp');
    const { repository, deps } = world([card({ tenantId: 'acme.corp', keyId: dotted })]);
    const asked: string[] = [];
    const tenantOf = async (_region: string, name: string) => {
      asked.push(name);
      return name === dotted ? 'acme.corp' : undefined;
    };
    expect(
      await applySesSendingStatus(
        { ...deps, tenantOf },
        event(false, '2026-11-26T06:00:00.000Z', { sesTenantName: dotted }),
      ),
    ).toBe('paused');
    expect((await repository.get('acme.corp'))?.status).toBe('paused');
    expect(asked).toEqual([dotted]);
  });

  it('never pauses a tenant that sends through SendGrid', async () => {
    const { repository, deps } = world([card({ provider: 'sendgrid' })]);
    expect(await applySesSendingStatus(deps, event(false, '2026-11-26T06:00:00.000Z'))).toBe('unknown_tenant');
    expect((await repository.get('tenant-a'))?.status).toBe('active');
  });
});
