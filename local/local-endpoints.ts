import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  consolePageEndpoint,
  consoleScriptEndpoint,
  consoleStylesEndpoint,
  sandboxMessagesEndpoint,
} from './endpoints/console-page.js';
import {
  deadLettersEndpoint,
  eventBridgeEventsEndpoint,
  eventOutcomeEndpoint,
} from './endpoints/eventbridge-events.js';
import { feedbackDeadLettersEndpoint, feedbackDrainEndpoint } from './endpoints/feedback-queue.js';
import { healthCheckEndpoint } from './endpoints/health-check.js';
import { openApiEndpoint } from './endpoints/openapi.js';
import { publishedEventsEndpoint } from './endpoints/published-events.js';
import { sesPublishRecordsEndpoint } from './endpoints/ses-dns.js';
import { sesDomainCheckEndpoint } from './endpoints/ses-domain-check.js';
import { sesEventDeadLettersEndpoint } from './endpoints/ses-events.js';
import type { LocalEventBus } from './local-event-bus.js';
import type { SendGridSandbox } from './sendgrid-sandbox/index.js';

/** What a local-only endpoint may use from the running runtime. */
export interface LocalEndpointContext {
  /** The embedded SendGrid sandbox, unless the runtime talks to another SendGrid. */
  sandbox: SendGridSandbox | undefined;
  functionTimeoutMs: number;
  tenantClaim: string;
  /** The local stand-in for the service's bus, unless AWS_ENDPOINT_URL_EVENTBRIDGE points elsewhere. */
  eventBus?: LocalEventBus;
}

/** A request as a local endpoint receives it (body already read and size-checked). */
export interface LocalEndpointRequest {
  request: IncomingMessage;
  url: URL;
  body: string;
  /** Values of the path's `{name}` segments. */
  pathParameters?: Record<string, string>;
}

/**
 * An endpoint that exists only in the local runtime: it plays a part AWS plays in production
 * (EventBridge delivering events, the scheduler running the health check) or serves
 * developer tools (the console page, the OpenAPI document). Modules that handle them import
 * the functions lazily, after the runtime has set the environment.
 */
export interface LocalEndpoint {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  /** One line for the start-up banner and the README. */
  description: string;
  handle(input: LocalEndpointRequest, context: LocalEndpointContext): Promise<APIGatewayProxyStructuredResultV2>;
}

/** Every local-only endpoint; each lives in its own module under local/endpoints/. */
export const LOCAL_ENDPOINTS: LocalEndpoint[] = [
  consolePageEndpoint,
  consoleScriptEndpoint,
  consoleStylesEndpoint,
  sandboxMessagesEndpoint,
  eventBridgeEventsEndpoint,
  eventOutcomeEndpoint,
  deadLettersEndpoint,
  healthCheckEndpoint,
  openApiEndpoint,
  sesPublishRecordsEndpoint,
  publishedEventsEndpoint,
  sesDomainCheckEndpoint,
  feedbackDrainEndpoint,
  feedbackDeadLettersEndpoint,
  sesEventDeadLettersEndpoint,
];
