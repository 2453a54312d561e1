/** Requests per window per key and endpoint; 600/min has been seen on /v3/scopes. */
export const RATE_LIMIT_PER_WINDOW = 600;
const WINDOW_SECONDS = 60;
/** Expired windows are swept once this many exist, so random keys cannot grow the map forever. */
const SWEEP_THRESHOLD = 1_000;

/** SendGrid's rate-limit headers, as sent on every v3 answer. */
export type RateLimitHeaders = Record<'X-RateLimit-Limit' | 'X-RateLimit-Remaining' | 'X-RateLimit-Reset', string>;

interface Window {
  resetAt: number;
  used: number;
}

/**
 * Counts requests per caller and endpoint in fixed one-minute windows, so the headers move the
 * way SendGrid's do. It never refuses a request by itself: 429s come from injected faults, so a
 * test or a benchmark decides when throttling happens.
 */
export class RateLimitWindows {
  private readonly windows = new Map<string, Window>();

  /** Counts one request and returns the headers to send with its answer. */
  take(caller: string, endpoint: string, nowMs = Date.now()): RateLimitHeaders {
    const now = Math.floor(nowMs / 1000);
    if (this.windows.size >= SWEEP_THRESHOLD) this.sweep(now);
    const id = `${caller} ${endpoint}`;
    let window = this.windows.get(id);
    if (!window || window.resetAt <= now) {
      window = { resetAt: now + WINDOW_SECONDS, used: 0 };
      this.windows.set(id, window);
    }
    window.used += 1;
    return {
      'X-RateLimit-Limit': String(RATE_LIMIT_PER_WINDOW),
      'X-RateLimit-Remaining': String(Math.max(0, RATE_LIMIT_PER_WINDOW - window.used)),
      'X-RateLimit-Reset': String(window.resetAt),
    };
  }

  clear(): void {
    this.windows.clear();
  }

  private sweep(now: number): void {
    for (const [id, window] of this.windows) if (window.resetAt <= now) this.windows.delete(id);
  }
}
