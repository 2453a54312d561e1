import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  FILTERED_READ_ITEMS,
  MAX_FILTERED_READS,
  MessageHistory,
  type MessageQuery,
} from '../../shared/sending/message-history.js';
import type { SendLedgerEntry } from '../../shared/sending/send-ledger.js';

const documents = mockClient(DynamoDBDocumentClient);

/**
 * The tenant/time index as DynamoDB's Query reads it, behind the mocked client: newest first,
 * after `ExclusiveStartKey`; `Limit` counts the items looked at before the filter; the
 * `LastEvaluatedKey` is the last item looked at when the read stopped at its limit.
 */
function index(entries: SendLedgerEntry[]) {
  const ordered = [...entries].sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
  documents.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    const tenant = input.ExpressionAttributeValues?.[':tenant'];
    const status = input.ExpressionAttributeValues?.[':status'];
    const rows = ordered.filter((entry) => entry.tenantId === tenant);
    const after = input.ExclusiveStartKey?.sendKey;
    const start = after === undefined ? 0 : rows.findIndex((entry) => entry.sendKey === after) + 1;
    const looked = rows.slice(start, start + (input.Limit ?? rows.length));
    const last = looked.at(-1);
    const stopped = start + looked.length < rows.length && last;
    return {
      Items: looked.filter((entry) => status === undefined || entry.status === status),
      ...(stopped
        ? { LastEvaluatedKey: { sendKey: last.sendKey, tenantId: last.tenantId, createdAt: last.createdAt } }
        : {}),
    };
  });
}

/** A tenant's message, the n-th newest-but-one after the previous (createdAt counts down). */
function message(n: number, status: SendLedgerEntry['status'], tenantId = 'tenant-a'): SendLedgerEntry {
  const createdAt = new Date(Date.parse('2026-11-26T00:00:00.000Z') - n * 1_000).toISOString();
  return {
    sendKey: `${tenantId}#m-${n}`,
    tenantId,
    messageId: `m-${n}`,
    state: 'sent',
    status,
    createdAt,
    updatedAt: createdAt,
    attemptId: 'a',
    attempts: 1,
    leaseUntil: 0,
    expiresAt: 0,
  };
}

/** Every page of a query, following nextCursor; with the reads each request made. */
async function allPages(history: MessageHistory, query: MessageQuery) {
  const pages: Array<{ ids: string[]; reads: number }> = [];
  let cursor: string | undefined;
  do {
    const before = documents.commandCalls(QueryCommand).length;
    const page = await history.list('tenant-a', { ...query, ...(cursor ? { cursor } : {}) });
    pages.push({
      ids: page.messages.map((entry) => entry.messageId),
      reads: documents.commandCalls(QueryCommand).length - before,
    });
    cursor = page.nextCursor ?? undefined;
  } while (cursor && pages.length < 100);
  return pages;
}

describe('MessageHistory.list', () => {
  const history = new MessageHistory({
    tableName: 'ledger',
    client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-central-1' })),
  });

  beforeEach(() => documents.reset());

  it('fills a filtered page with limit matches spread over many non-matching messages', async () => {
    // 600 messages, every 25th bounced: 24 matches, far apart.
    index(Array.from({ length: 600 }, (_, n) => message(n, n % 25 === 7 ? 'bounced' : 'delivered')));

    const page = await history.list('tenant-a', { status: 'bounced', limit: 10 });

    expect(page.messages.map((entry) => entry.messageId)).toEqual(
      Array.from({ length: 10 }, (_, k) => `m-${7 + 25 * k}`),
    );
    expect(page.messages.every((entry) => entry.status === 'bounced')).toBe(true);
    expect(page.nextCursor).toEqual(expect.any(String));
  });

  it('continues from the cursor without gaps or repeats, newest first, until the last match', async () => {
    index(Array.from({ length: 600 }, (_, n) => message(n, n % 25 === 7 ? 'bounced' : 'delivered')));

    const pages = await allPages(history, { status: 'bounced', limit: 10 });

    expect(pages.map((page) => page.ids.length)).toEqual([10, 10, 4]);
    expect(pages.flatMap((page) => page.ids)).toEqual(Array.from({ length: 24 }, (_, k) => `m-${7 + 25 * k}`));
  });

  it('bounds the reads of one request and answers a cursor where it stopped when matches are rarer still', async () => {
    // One match beyond what one request looks at.
    const beyond = FILTERED_READ_ITEMS * MAX_FILTERED_READS + 10;
    index(Array.from({ length: beyond + 5 }, (_, n) => message(n, n === beyond ? 'complained' : 'delivered')));

    const pages = await allPages(history, { status: 'complained', limit: 5 });

    expect(pages[0]).toEqual({ ids: [], reads: MAX_FILTERED_READS });
    expect(pages.flatMap((page) => page.ids)).toEqual([`m-${beyond}`]);
    expect(pages.every((page) => page.reads <= MAX_FILTERED_READS)).toBe(true);
  });

  it('reads one page of limit items when no status is asked for', async () => {
    index(Array.from({ length: 30 }, (_, n) => message(n, n % 2 ? 'accepted' : 'delivered')));

    const pages = await allPages(history, { limit: 10 });

    expect(pages.map((page) => page.reads)).toEqual([1, 1, 1]);
    expect(pages.flatMap((page) => page.ids)).toEqual(Array.from({ length: 30 }, (_, n) => `m-${n}`));
    expect(documents.commandCalls(QueryCommand)[0]?.args[0].input.Limit).toBe(10);
  });
});
