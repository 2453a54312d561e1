import {
  KEY_CHECK_LIMIT,
  KeyCheckLimitError,
  type KeyCheckLimiter,
} from '../../shared/integrations/key-check-limit.js';

/** The key-check limit in memory: counts each tenant's checks and refuses those over the limit. */
export class CountingKeyChecks implements KeyCheckLimiter {
  readonly taken = new Map<string, number>();

  constructor(private readonly limit: number = KEY_CHECK_LIMIT.attempts) {}

  async take(tenantId: string): Promise<void> {
    const count = this.taken.get(tenantId) ?? 0;
    if (count >= this.limit) throw new KeyCheckLimitError(KEY_CHECK_LIMIT.windowSeconds);
    this.taken.set(tenantId, count + 1);
  }
}
