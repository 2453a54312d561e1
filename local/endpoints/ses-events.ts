import type { SesEventHandler } from '../../shared/feedback/ses-event-receiver.js';
import { jsonResponse } from '../../shared/http/problem-response.js';
import { describeError, serviceLogger, withOwnLogger } from '../../shared/observability/logger.js';
import {
  SES_EVENT_SOURCE,
  SES_FEEDBACK_EVENT_TYPES,
  SES_SENDING_STATUS_DETAIL_TYPES,
} from '../../shared/providers/ses/ses-configuration-set-events.js';
import type { LocalEndpoint } from '../local-endpoints.js';
import type { SesEventBridgeEvent } from '../ses-sandbox/index.js';

/** Runs of the function per event, as Lambda's asynchronous invocation (the first and two retries). */
export const LOCAL_SES_EVENT_ATTEMPTS = 3;
/** SES publishes a moment after it answered, not at once: so does the local bus (the send settles first). */
const PUBLISH_DELAY_MS = 200;

let handler: SesEventHandler | undefined;
const deadLetters: SesEventBridgeEvent[] = [];
/** The most dead letters kept (oldest dropped first). */
const MAX_DEAD_LETTERS = 100;

/** The stack's SES event function itself (loaded once the runtime has set its environment). */
async function sesEventHandler(): Promise<SesEventHandler> {
  handler ??= ((await import('../../functions/receive-ses-events.js')) as { handler: SesEventHandler }).handler;
  return handler;
}

/**
 * Whether the stack's rules on the default bus match an event (infra/constructs/ses-event-rules.ts):
 * SES's email events of our configuration set (`SES_CONFIGURATION_SET`), and every SES tenant's
 * sending status.
 */
export function matchesSesEventRules(event: SesEventBridgeEvent, configurationSet: string | undefined): boolean {
  if (event.source !== SES_EVENT_SOURCE) return false;
  const detailType = event['detail-type'];
  if ((SES_SENDING_STATUS_DETAIL_TYPES as readonly string[]).includes(detailType)) return true;
  if (!(Object.values(SES_FEEDBACK_EVENT_TYPES) as string[]).includes(detailType)) return false;
  const tags = (event.detail as { mail?: { tags?: Record<string, unknown> } }).mail?.tags;
  const sets = tags?.['ses:configuration-set'];
  return configurationSet !== undefined && Array.isArray(sets) && sets.includes(configurationSet);
}

/**
 * The local default bus: an SES sandbox event the stack's rules would match goes to the same
 * function (`receive-ses-events`), run as Lambda runs an asynchronous invocation — a failed run
 * is retried twice, then the event is kept among the dead letters (`GET /local/ses-events/dead-letters`).
 * Its feedback then reaches the local feedback queue, which the runtime drains.
 */
export async function deliverLocalSesEvent(event: SesEventBridgeEvent): Promise<void> {
  if (!matchesSesEventRules(event, process.env.SES_CONFIGURATION_SET)) return;
  const receive = await sesEventHandler();
  await new Promise((resolve) => setTimeout(resolve, PUBLISH_DELAY_MS));
  for (let attempt = 1; attempt <= LOCAL_SES_EVENT_ATTEMPTS; attempt += 1) {
    try {
      await withOwnLogger(() => receive(event));
      return;
    } catch (error) {
      if (attempt === LOCAL_SES_EVENT_ATTEMPTS) {
        serviceLogger().error('an SES event could not be taken in; kept among the local dead letters', {
          detailType: event['detail-type'],
          error: describeError(error),
        });
        deadLetters.push(event);
        if (deadLetters.length > MAX_DEAD_LETTERS) deadLetters.shift();
      }
    }
  }
}

/** `GET /local/ses-events/dead-letters`: SES events the local SES event function kept failing on. */
export const sesEventDeadLettersEndpoint: LocalEndpoint = {
  method: 'GET',
  path: '/local/ses-events/dead-letters',
  description: 'SES sandbox events the SES event function kept failing on (after its retries)',
  async handle() {
    return jsonResponse(200, { events: deadLetters });
  },
};
