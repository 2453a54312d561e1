import { jsonResponse } from '../../shared/http/problem-response.js';
import type { LocalEndpoint } from '../local-endpoints.js';

/** `POST /local/health-check`: runs the daily health check now (EventBridge Scheduler in AWS). */
export const healthCheckEndpoint: LocalEndpoint = {
  method: 'POST',
  path: '/local/health-check',
  description: 'runs the daily health check now (re-verifies every integration)',
  async handle() {
    // Imported on first use: the function builds its clients from the runtime's environment.
    const { handler } = (await import(
      '../../functions/run-health-check.js'
    )) as typeof import('../../functions/run-health-check.js');
    return jsonResponse(200, await handler());
  },
};
