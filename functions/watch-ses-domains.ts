import type { Context } from 'aws-lambda';
import { domainOnboardingDeps } from '../shared/composition/ses-domains.js';
import { serviceLogger } from '../shared/observability/logger.js';
import { checkDueDomains, type DomainCheckSummary } from '../shared/ses-domains/domain-checker.js';

const deps = domainOnboardingDeps({ integrations: true, announceStatus: true });
const logger = serviceLogger();

/** What the schedule sends (nothing); the local runtime may ask for every watched domain with `{"all": true}`. */
export interface WatchSesDomainsEvent {
  all?: unknown;
}

/**
 * EventBridge Scheduler, every 10 minutes: re-checks the SES domains that are due (pending ones
 * with backoff, verified ones hourly), marks `failed` after 72 hours, and carries status changes
 * to the tenant's card.
 */
export async function handler(event?: WatchSesDomainsEvent, context?: Context): Promise<DomainCheckSummary> {
  if (context) logger.addContext(context);
  const summary = await checkDueDomains(deps, {
    all: event?.all === true,
    onError: (error, domain) => logger.error('SES domain check failed', { domain, error }),
  });
  logger.info('SES domains checked', { ...summary });
  return summary;
}
