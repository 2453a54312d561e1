import { afterEach, describe, expect, it, vi } from 'vitest';
import { BATCH_SETTLE_WINDOW_MS, BatchSettles } from '../../shared/sending/batch-settles.js';
import type { SendLedgerEntry, SentSettle } from '../../shared/sending/send-ledger.js';

const settleOf = (messageId: string): SentSettle => ({
  claimed: { messageId } as SendLedgerEntry,
  providerMessageId: `sg-${messageId}`,
});

describe('BatchSettles', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes the batch’s settles once, when every send has settled or said it will not', async () => {
    const writes: string[][] = [];
    const settles = new BatchSettles(3, async (list) => {
      writes.push(list.map((settle) => settle.claimed.messageId));
    });
    const [first, second, third] = [settles.member(), settles.member(), settles.member()];
    const firstWritten = first.settle(settleOf('m-1'));
    second.done();
    second.done();
    expect(writes).toEqual([]);
    const thirdWritten = third.settle(settleOf('m-3'));
    await Promise.all([firstWritten, thirdWritten]);
    expect(writes).toEqual([['m-1', 'm-3']]);
  });

  it('fails every settle of a write that failed, so each message is redelivered', async () => {
    const settles = new BatchSettles(2, async () => {
      throw new Error('DynamoDB is down');
    });
    const results = await Promise.allSettled([
      settles.member().settle(settleOf('m-1')),
      settles.member().settle(settleOf('m-2')),
    ]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
  });

  it('writes what it gathered when a send is still out after the window', async () => {
    vi.useFakeTimers();
    const writes: string[][] = [];
    const settles = new BatchSettles(2, async (list) => {
      writes.push(list.map((settle) => settle.claimed.messageId));
    });
    const slow = settles.member();
    const written = settles.member().settle(settleOf('m-1'));
    await vi.advanceTimersByTimeAsync(BATCH_SETTLE_WINDOW_MS);
    await written;
    expect(writes).toEqual([['m-1']]);
    await slow.settle(settleOf('m-2'));
    expect(writes).toEqual([['m-1'], ['m-2']]);
  });
});
