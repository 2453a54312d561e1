import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS_ENVIRONMENT, type LocalDynamoDb, startLocalDynamoDb } from '../../local/dynamodb-local.js';
import { SendLedger } from '../../shared/sending/send-ledger.js';
import { sendLedgerTableCreateInput } from '../../shared/sending/send-ledger-table.js';

let dynamo: LocalDynamoDb;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'ledger-concurrent-'));
  dynamo = await startLocalDynamoDb({ dataDir, tables: { sendLedger: sendLedgerTableCreateInput('ledger') } });
});
afterAll(async () => {
  await dynamo.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('SendLedger writes (a client that resolves its middleware once)', () => {
  it('keeps many claims and settles in flight at once apart: each item holds its own values', async () => {
    const ledger = new SendLedger({
      tableName: 'ledger',
      clientConfig: {
        endpoint: dynamo.endpoint,
        region: LOCAL_AWS_ENVIRONMENT.AWS_REGION,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      },
    });
    const sends = Array.from({ length: 40 }, (_, index) => ({
      tenantId: `tenant-${index % 4}`,
      messageId: `m-${index}`,
      attemptId: `attempt-${index}`,
      recipient: `person-${index}@customer.example`,
    }));
    const claims = await Promise.all(
      sends.map((send) =>
        ledger.claim(send.tenantId, send.messageId, send.attemptId, 60_000, { recipients: [send.recipient] }),
      ),
    );
    expect(claims.every((claim) => claim.kind === 'claimed')).toBe(true);
    const settled = await Promise.all(
      sends.map((send, index) =>
        index % 2 === 0
          ? ledger.markSent(send.tenantId, send.messageId, send.attemptId, `sg-${index}`)
          : ledger.markFailed(send.tenantId, send.messageId, send.attemptId, 'message_rejected', `no ${index}`),
      ),
    );
    expect(settled.every(Boolean)).toBe(true);
    for (const [index, send] of sends.entries()) {
      const entry = await ledger.get(send.tenantId, send.messageId);
      expect(entry).toMatchObject({
        tenantId: send.tenantId,
        messageId: send.messageId,
        attemptId: send.attemptId,
        recipients: [{ email: send.recipient }],
        ...(index % 2 === 0
          ? { state: 'sent', providerMessageId: `sg-${index}` }
          : { state: 'failed', failureCode: 'message_rejected', failureDetail: `no ${index}` }),
      });
    }
    // A settle by an attempt that does not hold the claim is still refused.
    expect(await ledger.markSent('tenant-0', 'm-0', 'attempt-1', 'sg-x')).toBe(false);
  });
});
