import { jsonResponse, problemResponse } from '../../shared/http/problem-response.js';
import type { LocalEndpoint } from '../local-endpoints.js';

/**
 * `GET /local/published-events?since=&limit=`: the outcome events the service published on its
 * bus, oldest first. `since` is the `sequence` of the last event seen (so a poller reads each
 * once), `limit` at most 1000 (default 1000).
 */
export const publishedEventsEndpoint: LocalEndpoint = {
  method: 'GET',
  path: '/local/published-events',
  description: 'outcome events the service published on its bus (oldest first; ?since=<sequence>&limit=)',
  async handle({ url }, context) {
    const since = wholeNumber(url.searchParams.get('since'), 0);
    const limit = wholeNumber(url.searchParams.get('limit'), 1000);
    if (since === undefined || limit === undefined || limit < 1 || limit > 1000) {
      return problemResponse(
        'invalid_request',
        'since is the sequence number of the last event you saw (a whole number), limit a whole number from 1 to 1000.',
        { field: since === undefined ? 'since' : 'limit' },
      );
    }
    if (!context.eventBus) {
      return problemResponse(
        'route_not_found',
        'The local event bus is not running: AWS_ENDPOINT_URL_EVENTBRIDGE points the service at another EventBridge.',
      );
    }
    const events = context.eventBus.published({ since, limit });
    return jsonResponse(200, { events, lastSequence: events.at(-1)?.sequence ?? since });
  },
};

function wholeNumber(text: string | null, fallback: number): number | undefined {
  if (text === null || text === '') return fallback;
  return /^\d{1,9}$/.test(text) ? Number(text) : undefined;
}
