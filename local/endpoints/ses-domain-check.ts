import { jsonResponse, problemResponse } from '../../shared/http/problem-response.js';
import { withOwnLogger } from '../../shared/observability/logger.js';
import type { LocalEndpoint } from '../local-endpoints.js';

/**
 * `POST /local/ses/check-domains[?all=true]`: runs the scheduled SES domain checker now
 * (EventBridge Scheduler every 10 minutes in AWS): the domains that are due, or with `all=true`
 * every watched one regardless of its next check. `npm start` also runs it every few seconds.
 */
export const sesDomainCheckEndpoint: LocalEndpoint = {
  method: 'POST',
  path: '/local/ses/check-domains',
  description: 'runs the scheduled SES domain checker now (?all=true: every watched domain, not only the due ones)',
  async handle({ url }) {
    const all = url.searchParams.get('all') ?? 'false';
    if (all !== 'true' && all !== 'false') {
      return problemResponse('invalid_request', 'all is "true" or "false" (the default).', { field: 'all' });
    }
    // Imported on first use: the function builds its clients from the runtime's environment.
    const { handler } = (await import(
      '../../functions/watch-ses-domains.js'
    )) as typeof import('../../functions/watch-ses-domains.js');
    return jsonResponse(200, await withOwnLogger(() => handler({ all: all === 'true' })));
  },
};
