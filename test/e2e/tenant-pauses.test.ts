import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS_ENVIRONMENT, type LocalDynamoDb, startLocalDynamoDb } from '../../local/dynamodb-local.js';
import { SendLedger, sendKey } from '../../shared/sending/send-ledger.js';
import { sendLedgerTableCreateInput } from '../../shared/sending/send-ledger-table.js';
import { pauseKey, TenantPauses } from '../../shared/sending/tenant-pauses.js';

let dynamo: LocalDynamoDb;
let dataDir: string;
const clientConfig = () => ({
  endpoint: dynamo.endpoint,
  region: LOCAL_AWS_ENVIRONMENT.AWS_REGION,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tenant-pauses-'));
  dynamo = await startLocalDynamoDb({ dataDir, tables: { sendLedger: sendLedgerTableCreateInput('ledger') } });
});
afterAll(async () => {
  await dynamo.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('TenantPauses in the send ledger table', () => {
  it('pauses a tenant for every send function until the reset, and no other tenant', async () => {
    const clock = { now: 1_800_000_000_000 };
    const first = new TenantPauses({ tableName: 'ledger', clientConfig: clientConfig(), now: () => clock.now });
    const second = new TenantPauses({ tableName: 'ledger', clientConfig: clientConfig(), now: () => clock.now });
    await first.pause('tenant-a', clock.now + 30_000);
    expect(await second.pausedUntil('tenant-a')).toBe(clock.now + 30_000);
    expect(await second.pausedUntil('tenant-b')).toBeUndefined();
    clock.now += 30_001;
    expect(await second.pausedUntil('tenant-a')).toBeUndefined();
  });

  it('never shortens a pause another function set', async () => {
    const clock = { now: 1_800_000_000_000 };
    const first = new TenantPauses({ tableName: 'ledger', clientConfig: clientConfig(), now: () => clock.now });
    const second = new TenantPauses({ tableName: 'ledger', clientConfig: clientConfig(), now: () => clock.now });
    await first.pause('tenant-c', clock.now + 60_000);
    await second.pause('tenant-c', clock.now + 10_000);
    const third = new TenantPauses({ tableName: 'ledger', clientConfig: clientConfig(), now: () => clock.now });
    expect(await third.pausedUntil('tenant-c')).toBe(clock.now + 60_000);
  });

  it('keeps pause items apart from sends, whatever the tenant is called', async () => {
    const ledger = new SendLedger({ tableName: 'ledger', clientConfig: clientConfig() });
    const pauses = new TenantPauses({ tableName: 'ledger', clientConfig: clientConfig() });
    await pauses.pause('pause', Date.now() + 60_000);
    expect(await ledger.claim('pause', 'm-1', 'attempt-1', 60_000)).toMatchObject({ kind: 'claimed' });
    expect(pauseKey('pause')).not.toBe(sendKey('pause', 'm-1'));
  });
});
