import { setTimeout as sleep } from 'node:timers/promises';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOps, targetFrom } from '../../scripts/ops-cli.js';
import { openRedriveTarget } from '../../scripts/ops-redrive.js';
import { REDELIVERY_POLICY } from '../../shared/sending/redelivery-policy.js';
import { sendKey } from '../../shared/sending/send-ledger.js';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;
const tenantId = 'redrive-tenant';

beforeAll(async () => {
  process.env.LOCAL_QUEUE_MAX_DELAY_MS = '20';
  service = await startLocalService();
  await service.as(tenantId).save(service.sandbox.key('good').apiKey, ['info@acme.example']);
});
afterAll(() => service?.close());

const request = (messageId: string) => ({
  tenantId,
  messageId,
  audience: 'customer',
  to: [{ email: `${messageId}@customer.example` }],
  subject: 'Your invoice',
  text: 'Hello',
});

async function publish(...details: Array<Record<string, unknown>>) {
  const answer = await service.as(undefined).call('POST', '/local/events', {
    Entries: details.map((detail) => ({
      Source: 'app.automations',
      DetailType: 'Email Send Requested',
      Detail: JSON.stringify(detail),
    })),
  });
  return (answer.body as { Entries: Array<{ outcome?: string }> }).Entries;
}

/** `npm run ops -- redrive …` on the running runtime's data folder and DynamoDB. */
async function redrive(...flags: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps(
    ['redrive', '--data-dir', service.dataDir, '--endpoint', service.runtime.dynamoDb.endpoint, ...flags],
    { out: (text) => out.push(text), err: (text) => err.push(text) },
    async () => targetFrom({ tableName: 'unused', describe: 'unused' }),
    openRedriveTarget,
  );
  return { code, out: out.join(''), err: err.join('') };
}

const ledgerEntry = async (messageId: string) =>
  (
    await service.documents().send(
      new GetCommand({
        TableName: service.runtime.dynamoDb.tables.sendLedger as string,
        Key: { sendKey: sendKey(tenantId, messageId) },
      }),
    )
  ).Item;

const acceptedFor = (messageId: string) =>
  service.sandbox.messages().filter((message) => JSON.stringify(message.body).includes(`"messageId":"${messageId}"`));

describe('npm run ops -- redrive (local runtime)', () => {
  it('lists dead letters without addresses, moves them back with --yes, and sends only what the ledger allows', async () => {
    const retryable = `redrive-${Date.now()}-a`;
    const unknown = `redrive-${Date.now()}-b`;
    service.sandbox.injectFault({ path: '/v3/mail/send', status: 503, times: 2 * REDELIVERY_POLICY.maxReceiveCount });
    expect((await publish(request(retryable), request(unknown))).map((entry) => entry.outcome)).toEqual([
      'dead_lettered',
      'dead_lettered',
    ]);
    service.sandbox.clearFaults();
    // Meanwhile another attempt of the second one ended with an unknown outcome: it must stay unsent.
    await service.documents().send(
      new UpdateCommand({
        TableName: service.runtime.dynamoDb.tables.sendLedger as string,
        Key: { sendKey: sendKey(tenantId, unknown) },
        UpdateExpression: 'SET #state = :failed, failureCode = :code',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':failed': 'failed', ':code': 'delivery_unknown' },
      }),
    );

    const dryRun = await redrive();
    expect(dryRun.code).toBe(3);
    expect(dryRun.out).toContain('2 message(s)');
    expect(dryRun.out).toContain(`tenant ${tenantId}: 2`);
    expect(dryRun.out).toMatch(/retryable \(1\)/);
    expect(dryRun.out).toMatch(/failed \(1\)/);
    expect(dryRun.out + dryRun.err).not.toContain('@customer.example');
    expect(dryRun.err).toContain('--yes');
    expect(acceptedFor(retryable)).toHaveLength(0);

    const moved = await redrive('--yes');
    expect(moved).toMatchObject({ code: 0 });
    expect(moved.out).toContain('Moved 2 message(s)');

    // The running runtime picks them up from its send queue.
    for (let waited = 0; waited < 100 && (await ledgerEntry(retryable))?.state !== 'sent'; waited += 1) {
      await sleep(100);
    }
    expect(await ledgerEntry(retryable)).toMatchObject({ state: 'sent' });
    expect(acceptedFor(retryable)).toHaveLength(1);
    expect(await ledgerEntry(unknown)).toMatchObject({ state: 'failed', failureCode: 'delivery_unknown' });
    expect(acceptedFor(unknown)).toHaveLength(0);
    const dead = await service.as(undefined).call('GET', '/local/dead-letters');
    expect(dead.body).toEqual({ messages: [] });
    expect((await redrive()).out).toContain('0 message(s)');
  });
});
