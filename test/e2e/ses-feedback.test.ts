import { CreateTenantCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverLocalSesEvent } from '../../local/endpoints/ses-events.js';
import type { SesEventBridgeEvent } from '../../local/ses-sandbox/index.js';
import { ourMessageTags } from '../../shared/providers/ses/ses-message-tags.js';
import { sesTenantName } from '../../shared/providers/ses/ses-resources.js';
import { documentedEventSchemas } from '../support/event-schemas.js';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;
const owner = 'ses-feedback-owner';
const neighbour = 'ses-feedback-neighbour';

/** The SES sandbox the runtime started. */
function sandbox() {
  const ses = service.runtime.ses.ses;
  if (!ses) throw new Error('expected the embedded SES sandbox');
  return ses;
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A tenant onboards an SES domain as the console walks it through, and switches to SES with one sender. */
async function onboard(tenant: string, domain: string): Promise<void> {
  const api = service.as(tenant);
  expect((await api.call('POST', '/integrations/ses/domains', { domain })).status).toBe(201);
  expect((await service.as(undefined).call('POST', '/local/ses/publish-records', { domain })).status).toBe(201);
  await until(async () => {
    await sandbox().checkNow();
    return (await api.call('POST', `/integrations/ses/domains/${domain}/check`)).body.status === 'verified';
  }, `${domain} to verify`);
  const activated = await api.call('POST', '/integrations/ses/activate', { emails: [`info@${domain}`] });
  expect(activated.status).toBe(200);
  expect(activated.body).toMatchObject({ provider: 'ses', status: 'active' });
}

/** Publishes an automation's send event on the local bus; answers the entry's outcome. */
async function publish(tenant: string, messageId: string, to: string): Promise<Record<string, unknown>> {
  const answer = await service.as(undefined).call('POST', '/local/events', {
    Entries: [
      {
        Source: 'app.automations',
        DetailType: 'Email Send Requested',
        Detail: JSON.stringify({
          tenantId: tenant,
          messageId,
          audience: 'customer',
          to: [{ email: to }],
          subject: 'Hello',
          text: 'Hi',
        }),
      },
    ],
  });
  expect(answer.status).toBe(200);
  return (answer.body as { Entries: Array<Record<string, unknown>> }).Entries[0] ?? {};
}

const message = (tenant: string, messageId: string) => service.as(tenant).call('GET', `/messages/${messageId}`);

/** Waits until the message reached a status (the SES event function and the feedback queue run on their own). */
async function settled(tenant: string, messageId: string, status: string) {
  await until(async () => {
    await service.as(undefined).call('POST', '/local/feedback/drain');
    return (await message(tenant, messageId)).body.status === status;
  }, `${messageId} to be ${status}`);
  return message(tenant, messageId);
}

/** The SES events the sandbox published for one of its messages, of one detail-type. */
function sesEvents(providerMessageId: unknown, detailType: string): SesEventBridgeEvent[] {
  return sandbox()
    .events()
    .filter(
      (event) =>
        event['detail-type'] === detailType &&
        (event.detail as { mail?: { messageId?: string } }).mail?.messageId === providerMessageId,
    );
}

async function publishedSince(sequence: number) {
  const answer = await service.as(undefined).call('GET', `/local/published-events?since=${sequence}`);
  return answer.body.events as Array<{ detailType: string; detail: Record<string, unknown> }>;
}

const lastSequence = async () =>
  Number((await service.as(undefined).call('GET', '/local/published-events')).body.lastSequence);

beforeAll(async () => {
  service = await startLocalService({ sesVerificationDelayMs: 100 });
  await onboard(owner, 'acme.example');
  await onboard(neighbour, 'globex.example');
});
afterAll(() => service?.close());

describe('SES configuration-set events → receive-ses-events → feedback queue → message status', () => {
  const run = Date.now();
  const ids = { delivered: `ses-ok-${run}`, bounced: `ses-bounce-${run}`, complained: `ses-spam-${run}` };
  const bounce = `bounce@c${run}.example`;
  const spam = `spam@c${run}.example`;
  const outcomes: Record<string, Record<string, unknown>> = {};

  it('ends three sends delivered, bounced (hard) and complained, with their timelines', async () => {
    outcomes.delivered = await publish(owner, ids.delivered, 'jane@customer.example');
    outcomes.bounced = await publish(owner, ids.bounced, bounce);
    outcomes.complained = await publish(owner, ids.complained, spam);
    for (const outcome of Object.values(outcomes)) expect(outcome).toMatchObject({ outcome: 'sent' });

    const delivered = await settled(owner, ids.delivered, 'delivered');
    expect(delivered.body).toMatchObject({
      recipients: [{ email: 'jane@customer.example', status: 'delivered' }],
    });
    expect((delivered.body.timeline as Array<{ type: string }>).map((entry) => entry.type)).toEqual([
      'processed',
      'delivered',
    ]);
    const bounced = await settled(owner, ids.bounced, 'bounced');
    expect(bounced.body).toMatchObject({
      bounceType: 'hard',
      recipients: [{ email: bounce, status: 'bounced', bounceType: 'hard' }],
    });
    expect(bounced.body.timeline).toEqual([
      expect.objectContaining({ type: 'processed', recipient: bounce }),
      expect.objectContaining({ type: 'bounced', bounceType: 'hard', reason: expect.stringContaining('550 5.1.1') }),
    ]);
    const complained = await settled(owner, ids.complained, 'complained');
    expect((complained.body.timeline as Array<{ type: string }>).map((entry) => entry.type)).toEqual([
      'processed',
      'delivered',
      'complained',
    ]);
    expect((await message(neighbour, ids.bounced)).status).toBe(404);
  });

  it('suppresses the two addresses for that tenant only, and sends nothing to them next time', async () => {
    const entries = (
      (await service.as(owner).call('GET', '/suppressions')).body.suppressions as Array<{
        email: string;
        reason: string;
        messageId: string;
      }>
    ).filter((entry) => entry.email.endsWith(`@c${run}.example`));
    expect(entries.sort((a, b) => a.email.localeCompare(b.email))).toEqual([
      expect.objectContaining({ email: bounce, reason: 'hard_bounce', messageId: ids.bounced }),
      expect.objectContaining({ email: spam, reason: 'complaint', messageId: ids.complained }),
    ]);
    const neighbours = await service.as(neighbour).call('GET', '/suppressions');
    expect(JSON.stringify(neighbours.body)).not.toContain(`@c${run}.example`);

    const sentBefore = sandbox().messages().length;
    const grid = service.sandbox.messages().length;
    for (const [index, address] of [bounce, spam].entries()) {
      const again = `ses-again-${index}-${run}`;
      expect(await publish(owner, again, address)).toMatchObject({ outcome: 'suppressed' });
      expect((await message(owner, again)).body.status).toBe('suppressed');
    }
    expect(sandbox().messages().length).toBe(sentBefore);
    expect(service.sandbox.messages().length).toBe(grid);
  });

  it('changes nothing for an SES event whose tenant tag names another tenant', async () => {
    // The neighbour has a message under the same messageId, to the address the forged event names.
    const same = ids.bounced;
    expect(await publish(neighbour, same, 'jane@customer.example')).toMatchObject({ outcome: 'sent' });
    const neighbourBefore = await settled(neighbour, same, 'delivered');
    const [bounceEvent] = sesEvents(outcomes.bounced?.providerMessageId, 'Email Bounced');
    if (!bounceEvent) throw new Error('expected the sandbox’s bounce event');
    const forged = structuredClone(bounceEvent);
    forged.id = `forged-${run}`;
    // Everything an event carries names the neighbour's message (tags, recipient) but SES's message id.
    const detail = forged.detail as {
      mail: { tags: Record<string, string[]>; destination: string[] };
      bounce: { bouncedRecipients: Array<{ emailAddress: string }> };
    };
    for (const tag of ourMessageTags(neighbour, same)) detail.mail.tags[tag.Name] = [tag.Value];
    detail.mail.destination = ['jane@customer.example'];
    for (const recipient of detail.bounce.bouncedRecipients) recipient.emailAddress = 'jane@customer.example';

    await deliverLocalSesEvent(forged);
    await service.as(undefined).call('POST', '/local/feedback/drain');

    const neighbourAfter = await message(neighbour, same);
    expect(neighbourAfter.body).toMatchObject({ status: 'delivered' });
    expect(neighbourAfter.body.timeline).toEqual(neighbourBefore.body.timeline);
    expect(JSON.stringify((await service.as(neighbour).call('GET', '/suppressions')).body)).not.toContain(
      'jane@customer.example',
    );
  });

  it('applies an SES event delivered twice only once', async () => {
    const before = await lastSequence();
    const timeline = (await message(owner, ids.complained)).body.timeline;
    const [complaint] = sesEvents(outcomes.complained?.providerMessageId, 'Email Complaint Received');
    if (!complaint) throw new Error('expected the sandbox’s complaint event');

    await deliverLocalSesEvent(complaint);
    await service.as(undefined).call('POST', '/local/feedback/drain');

    expect((await message(owner, ids.complained)).body.timeline).toEqual(timeline);
    const updates = (await publishedSince(before)).filter((event) => event.detailType === 'Email Delivery Updated');
    expect(updates).toEqual([]);
  });
});

describe('SES tenant Sending Status → the card → sends', () => {
  const setStatus = async (status: 'ENABLED' | 'DISABLED') => {
    const answer = await fetch(`${sandbox().url}/__ses/tenants/ei-${owner}/sending-status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status, cause: 'Bounce rate too high' }),
    });
    expect(answer.status).toBe(204);
  };
  const cardStatus = async () => (await service.as(owner).card()).body.status;

  it('turns the card paused, refuses sends with sending_paused before SES, and resumes once enabled', async () => {
    const run = Date.now();
    const before = await lastSequence();
    await setStatus('DISABLED');
    await until(async () => (await cardStatus()) === 'paused', 'the card to be paused');
    const card = await service.as(owner).card();
    expect(card.body).toMatchObject({ status: 'paused', statusLabel: expect.stringContaining('paused') });
    expect((await service.as(neighbour).card()).body.status).toBe('active');

    const sentBefore = sandbox().messages().length;
    const refused = `ses-paused-${run}`;
    expect(await publish(owner, refused, 'jane@customer.example')).toMatchObject({
      outcome: 'failed',
      code: 'sending_paused',
    });
    expect(sandbox().messages().length).toBe(sentBefore);
    expect((await message(owner, refused)).body).toMatchObject({ status: 'failed', failureCode: 'sending_paused' });

    await setStatus('ENABLED');
    await until(async () => (await cardStatus()) === 'active', 'the card to be active again');
    const resumed = `ses-resumed-${run}`;
    expect(await publish(owner, resumed, 'jane@customer.example')).toMatchObject({ outcome: 'sent' });
    expect(sandbox().messages().length).toBe(sentBefore + 1);

    const events = await publishedSince(before);
    expect(
      events
        .filter((event) => event.detailType === 'Email Integration Status Changed')
        .map((event) => [event.detail.tenantId, event.detail.status, event.detail.previousStatus, event.detail.cause]),
    ).toEqual([
      [owner, 'paused', 'active', 'ses_sending_status'],
      [owner, 'active', 'paused', 'ses_sending_status'],
    ]);
    expect(
      events.find((event) => event.detailType === 'Email Send Failed' && event.detail.messageId === refused)?.detail,
    ).toMatchObject({ code: 'sending_paused', detail: expect.stringContaining('paused') });
  });

  it('pauses a tenant whose SES tenant name is hashed (an id with a dot), found by the SES tenant’s tag', async () => {
    const dotted = 'ses.dotted-tenant';
    await onboard(dotted, 'dotted.example');
    const name = sesTenantName(dotted);
    expect(name).not.toBe(`ei-${dotted}`);
    const answer = await fetch(`${sandbox().url}/__ses/tenants/${name}/sending-status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'DISABLED' }),
    });
    expect(answer.status).toBe(204);
    await until(async () => (await service.as(dotted).card()).body.status === 'paused', 'the dotted tenant paused');
    expect(await cardStatus()).toBe('active');
  });

  it('ignores the sending status of an SES tenant that is none of ours', async () => {
    const client = new SESv2Client({
      region: 'eu-west-1',
      endpoint: sandbox().url,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await client.send(new CreateTenantCommand({ TenantName: 'someone-else' }));
    client.destroy();
    const before = await lastSequence();
    const foreign = await fetch(`${sandbox().url}/__ses/tenants/someone-else/sending-status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'DISABLED' }),
    });
    expect(foreign.status).toBe(204);
    await until(
      async () =>
        sandbox()
          .events()
          .some(
            (event) =>
              event['detail-type'] === 'Sending Status Disabled' && event.resources[0]?.includes('someone-else'),
          ),
      'the foreign tenant’s status event',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await cardStatus()).toBe('active');
    expect((await service.as(neighbour).card()).body.status).toBe('active');
    expect(
      (await publishedSince(before)).filter((event) => event.detailType === 'Email Integration Status Changed'),
    ).toEqual([]);
  });
});

describe('the outcome events this path published', () => {
  it('match their documented JSON Schemas (docs/events/*.schema.json), paused included', async () => {
    const mismatch = documentedEventSchemas();
    const events = await publishedSince(0);
    expect(events.some((event) => event.detail.status === 'paused')).toBe(true);
    for (const event of events) {
      expect(mismatch(event.detailType, event.detail), event.detailType).toBeUndefined();
    }
  });
});
