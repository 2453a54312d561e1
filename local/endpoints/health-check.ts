import { jsonResponse, problemResponse } from '../../shared/http/problem-response.js';
import type { LocalEndpoint } from '../local-endpoints.js';

/**
 * `POST /local/health-check[?scope=blocked]`: runs the health check now (EventBridge Scheduler
 * in AWS): every integration, or with `scope=blocked` only the blocked ones (the 15-minute run).
 */
export const healthCheckEndpoint: LocalEndpoint = {
  method: 'POST',
  path: '/local/health-check',
  description: 'runs the daily health check now (re-verifies every integration; ?scope=blocked: only blocked ones)',
  async handle({ url }) {
    const scope = url.searchParams.get('scope') ?? 'all';
    if (scope !== 'all' && scope !== 'blocked') {
      return problemResponse('invalid_request', 'scope is "all" (the default) or "blocked".', { field: 'scope' });
    }
    // Imported on first use: the function builds its clients from the runtime's environment.
    const { handler } = (await import(
      '../../functions/run-health-check.js'
    )) as typeof import('../../functions/run-health-check.js');
    return jsonResponse(200, await handler({ scope }));
  },
};
