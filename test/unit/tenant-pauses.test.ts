import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { UpstreamUnavailableError } from '../../shared/problem-catalog.js';
import { pauseKey, TenantPauses } from '../../shared/sending/tenant-pauses.js';

const documents = mockClient(DynamoDBDocumentClient);
const T0 = 1_800_000_000_000;
const reads = () => documents.commandCalls(GetCommand).length;
/** Lets the background read's promise chain run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('TenantPauses: what a warm send function remembers', () => {
  let clock: { now: number };
  let pauses: TenantPauses;

  beforeEach(() => {
    documents.reset();
    clock = { now: T0 };
    pauses = new TenantPauses({
      tableName: 'ledger',
      client: documents as unknown as DynamoDBDocumentClient,
      now: () => clock.now,
      unpausedCacheMs: 5_000,
    });
  });

  it('trusts "not paused" for the window, reads again in its last fifth without waiting, and sees a pause set meanwhile', async () => {
    documents
      .on(GetCommand, { Key: { sendKey: pauseKey('tenant-a') } })
      .resolvesOnce({})
      .resolves({
        Item: { pausedUntil: T0 + 30_000 },
      });
    expect(await pauses.pausedUntil('tenant-a')).toBeUndefined();
    clock.now = T0 + 3_999;
    expect(await pauses.pausedUntil('tenant-a')).toBeUndefined();
    expect(reads()).toBe(1);

    // Four fifths into the window: answered from memory at once, read again behind it.
    clock.now = T0 + 4_000;
    expect(await pauses.pausedUntil('tenant-a')).toBeUndefined();
    expect(reads()).toBe(2);
    await settle();
    // Another function paused the tenant meanwhile: the background read brought it in.
    expect(await pauses.pausedUntil('tenant-a')).toBe(T0 + 30_000);
    expect(reads()).toBe(2);
  });

  it('reads a tenant in the background once per answer, however many sends ask', async () => {
    documents.on(GetCommand).resolves({});
    await pauses.pausedUntil('tenant-a');
    clock.now = T0 + 4_500;
    await Promise.all([1, 2, 3].map(() => pauses.pausedUntil('tenant-a')));
    expect(reads()).toBe(2);
  });

  it('waits for the read once the window is over, and a failed background read changes nothing until then', async () => {
    documents
      .on(GetCommand)
      .resolvesOnce({})
      .rejectsOnce(new Error('connect ECONNRESET'))
      .rejects(new Error('connect ECONNRESET'));
    await pauses.pausedUntil('tenant-a');
    clock.now = T0 + 4_200;
    expect(await pauses.pausedUntil('tenant-a')).toBeUndefined();
    await settle();
    clock.now = T0 + 4_900;
    // Still within the window; the failed refresh is not asked again at once by every send.
    expect(await pauses.pausedUntil('tenant-a')).toBeUndefined();
    expect(reads()).toBe(2);
    clock.now = T0 + 5_000;
    await expect(pauses.pausedUntil('tenant-a')).rejects.toBeInstanceOf(UpstreamUnavailableError);
  });

  it('counts the window from when the read was asked, so a late answer is not trusted longer', async () => {
    let answer: (value: object) => void = () => undefined;
    documents.on(GetCommand).callsFake(
      () =>
        new Promise((resolve) => {
          answer = resolve;
        }),
    );
    const asked = pauses.pausedUntil('tenant-a');
    await settle();
    // The function was frozen while the answer was on its way.
    clock.now = T0 + 4_000;
    answer({});
    expect(await asked).toBeUndefined();
    clock.now = T0 + 5_000;
    documents.on(GetCommand).resolves({});
    await pauses.pausedUntil('tenant-a');
    expect(reads()).toBe(2);
  });
});
