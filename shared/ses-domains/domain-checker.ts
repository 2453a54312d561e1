import { mapBounded } from '../map-bounded.js';
import { UpstreamUnavailableError } from '../problem-catalog.js';
import { type DomainOnboardingDeps, recheck } from './domain-onboarding.js';
import type { DomainStatus } from './domain-store.js';

/** What one scheduled run did. */
export interface DomainCheckSummary {
  /** Domains looked at (due now, or every watched one with `all`). */
  checked: number;
  /** Domains whose status changed, by their new status. */
  changed: Partial<Record<DomainStatus, number>>;
  /** Domains SES could not be asked about this time (they stay due, for the next run). */
  unreachable: number;
  /** Domains whose check failed unexpectedly (logged by the function; they stay due too). */
  errors: number;
}

/** What the checker needs: onboarding's dependencies, with the integration table (for the card). */
export type DomainCheckerDeps = DomainOnboardingDeps & {
  /** Domains checked at once: bounds SES and DNS load. */
  concurrency?: number;
};

/** At most this many domains per run; the rest are due at the next one (every 10 minutes). */
export const DOMAINS_PER_RUN = 200;

/**
 * The scheduled domain checker (EventBridge Scheduler, every 10 minutes): SES emits no event when
 * a domain verifies, so every watched domain that is due (a query on the `byNextCheck` index,
 * never a scan) is checked again — SES's verdict and our own DNS look-up — and gets its status,
 * `lastCheckedAt` and next check written; a status change is carried to the tenant's card.
 * One domain's trouble never stops the run.
 */
export async function checkDueDomains(
  deps: DomainCheckerDeps,
  options: { all?: boolean; limit?: number; onError?: (error: unknown, domain: string) => void } = {},
): Promise<DomainCheckSummary> {
  const now = deps.now();
  const due = await deps.store.due(options.all ? undefined : now.toISOString(), options.limit ?? DOMAINS_PER_RUN);
  const summary: DomainCheckSummary = { checked: due.length, changed: {}, unreachable: 0, errors: 0 };
  await mapBounded(due, deps.concurrency ?? 4, async (item) => {
    try {
      const checked = await recheck(deps, item);
      if (checked.status !== item.status) summary.changed[checked.status] = (summary.changed[checked.status] ?? 0) + 1;
    } catch (error) {
      if (error instanceof UpstreamUnavailableError) {
        summary.unreachable += 1;
      } else {
        summary.errors += 1;
        options.onError?.(error, item.domain);
      }
    }
  });
  return summary;
}
