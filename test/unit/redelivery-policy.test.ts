import { describe, expect, it } from 'vitest';
import {
  REDELIVERY_POLICY,
  redeliveryDelaySeconds,
  retryBudgetSeconds,
} from '../../shared/sending/redelivery-policy.js';
import { SEND_LEDGER_RETENTION_SECONDS } from '../../shared/sending/send-ledger-table.js';

const HOUR = 3600;

describe('REDELIVERY_POLICY', () => {
  it('keeps retrying for at least 6 hours before a message goes to the dead-letter queue', () => {
    expect(retryBudgetSeconds()).toBeGreaterThanOrEqual(6 * HOUR);
  });

  it('never asks SQS for more than one visibility change allows (12 hours)', () => {
    for (let delivery = 1; delivery <= REDELIVERY_POLICY.maxReceiveCount; delivery += 1) {
      expect(redeliveryDelaySeconds(delivery, 100 * HOUR)).toBeLessThanOrEqual(12 * HOUR);
    }
  });

  it('fits the retry budget in the queue’s retention, and a redrive window in the ledger’s', () => {
    expect(REDELIVERY_POLICY.queueRetentionSeconds).toBeGreaterThan(retryBudgetSeconds());
    // A dead letter can be redriven until its retention ends; its ledger entry must outlive that and one more budget.
    expect(SEND_LEDGER_RETENTION_SECONDS).toBeGreaterThanOrEqual(
      REDELIVERY_POLICY.deadLetterRetentionSeconds + retryBudgetSeconds(),
    );
  });

  it('waits longer after each delivery, never less than a rate-limit reset asks', () => {
    const delays = Array.from({ length: REDELIVERY_POLICY.maxReceiveCount - 1 }, (_, index) =>
      redeliveryDelaySeconds(index + 1),
    );
    expect(delays).toEqual([...delays].sort((a, b) => a - b));
    expect(redeliveryDelaySeconds(1, 2 * HOUR)).toBe(2 * HOUR);
    expect(redeliveryDelaySeconds(6, 1)).toBe(redeliveryDelaySeconds(6));
  });

  it('holds nothing back after the last delivery: the message goes to the dead-letter queue at once', () => {
    expect(redeliveryDelaySeconds(REDELIVERY_POLICY.maxReceiveCount)).toBe(0);
  });
});
