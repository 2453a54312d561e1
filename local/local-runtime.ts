import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { API_ROUTES } from '../shared/http/api-routes.js';
import { problemResponse } from '../shared/http/problem-response.js';
import { withOwnLogger } from '../shared/observability/logger.js';
import { apiGatewayEvent, type HttpLambdaHandler, lambdaContext, writeResult } from './api-gateway-adapter.js';
import { LOCAL_AWS_ENVIRONMENT, type LocalDynamoDb, serviceTables, startLocalDynamoDb } from './dynamodb-local.js';
import { LOCAL_EVENT_ACCOUNT, pollLocalSendQueue } from './endpoints/eventbridge-events.js';
import { LOCAL_FEEDBACK_QUEUE_FILE_NAME, pollLocalFeedbackQueue } from './endpoints/feedback-queue.js';
import { deliverLocalSesEvent } from './endpoints/ses-events.js';
import { readBody } from './http-body.js';
import { LOCAL_ENDPOINTS, type LocalEndpointContext } from './local-endpoints.js';
import { LOCAL_EVENT_BUS_NAME, type LocalEventBus, startLocalEventBus } from './local-event-bus.js';
import { localRequestRefusal } from './local-request-guard.js';
import { LOCAL_SEND_QUEUE_FILE_NAME } from './local-send-queue-file.js';
import { type SendGridSandbox, startSendGridSandbox } from './sendgrid-sandbox/index.js';
import type { SesEventBridgeEvent } from './ses-sandbox/index.js';
import { type LocalSes, startLocalSes } from './ses-sandbox/local-ses.js';

/** Options for {@link startLocalRuntime}. */
export interface LocalRuntimeOptions {
  /** Where dynalite's LevelDB files and the keyring live; kept across restarts. */
  dataDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /**
   * Another SendGrid to talk to (the real one, or a test double). Without it the runtime
   * starts its own sandbox, on `sandboxPorts` (0 = free ports).
   */
  sendGrid?: { globalUrl: string; euUrl: string };
  sandboxPorts?: { global: number; eu: number };
  /** The JWT claim the handlers read the tenant from (as in the stack's context). */
  tenantClaim?: string;
  /** Handler timeout, as the Lambda function's. */
  functionTimeoutMs?: number;
  /** Timeout of each call to SendGrid (default 5 s). */
  sendGridTimeoutMs?: number;
  /** The EventBridge source the send rule matches (as the stack's `eventSource` context). */
  eventSource?: string;
  /** Port of the SES sandbox (0 = a free one); none starts when AWS_ENDPOINT_URL_SESV2 is set. */
  sesPort?: number;
  /** How long records published in the local DNS must resolve before SES's status follows (default 3 s). */
  sesVerificationDelayMs?: number;
  /** The API's public origin, where providers post webhook events (default: this server's own origin). */
  publicApiUrl?: string;
  /**
   * Also receives the SES sandbox's EventBridge events (sends, deliveries, bounces, complaints,
   * tenant status), after the runtime's own SES event function took them in.
   */
  onSesEvent?: (event: SesEventBridgeEvent) => void | Promise<void>;
  /**
   * Runs the scheduled SES domain checker this often (as EventBridge Scheduler does every 10
   * minutes in AWS, on intervals compressed by `SES_DOMAIN_CHECK_SCALE`); none when unset.
   */
  sesDomainCheckIntervalMs?: number;
}

/** The running local service. */
export interface LocalRuntime {
  url: string;
  sandbox: SendGridSandbox | undefined;
  /** The SES sandbox and the local DNS server the service's resolver is pointed at. */
  ses: LocalSes;
  dynamoDb: LocalDynamoDb;
  /** The service's own bus, locally: what the functions published (`GET /local/published-events`). */
  eventBus: LocalEventBus | undefined;
  close(): Promise<void>;
}

/** Largest body the local server reads; API Gateway's own cap is larger, our handlers' smaller. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Serves the API's routes over HTTP by calling the very handlers the Lambda functions run,
 * with API Gateway v2-shaped events, on dynalite, the local keyring, a SendGrid sandbox, and an
 * SES sandbox with the local DNS server it verifies domains through.
 * Configuration reaches the handlers the way it does in AWS: through environment variables
 * read when their modules load, so run one runtime per process.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const tenantClaim = options.tenantClaim ?? 'tenant_id';
  const sandbox = options.sendGrid
    ? undefined
    : await startSendGridSandbox({
        host: '127.0.0.1',
        globalPort: options.sandboxPorts?.global ?? 0,
        euPort: options.sandboxPorts?.eu ?? 0,
      });
  const sendGrid = options.sendGrid ?? { globalUrl: sandbox?.globalUrl ?? '', euUrl: sandbox?.euUrl ?? '' };
  const dynamoDb = await startLocalDynamoDb({
    dataDir: options.dataDir,
    tables: serviceTables(),
  });
  // Sets AWS_ENDPOINT_URL_SESV2, DNS_RESOLVERS and SES_ACCOUNT_ID unless set, before the handlers load.
  const ses = await startLocalSes({
    dataDir: options.dataDir,
    sesPort: options.sesPort ?? 0,
    ...(options.sesVerificationDelayMs === undefined ? {} : { verificationDelayMs: options.sesVerificationDelayMs }),
    // The local default bus: the stack's SES rules → receive-ses-events → the local feedback queue.
    onEvent: async (event) => {
      await deliverLocalSesEvent(event);
      await options.onSesEvent?.(event);
    },
  });

  // The service's own bus: the real EventBridge client is pointed at it, unless told otherwise.
  const eventBus = process.env.AWS_ENDPOINT_URL_EVENTBRIDGE ? undefined : await startLocalEventBus();
  Object.assign(process.env, {
    ...LOCAL_AWS_ENVIRONMENT,
    ...(eventBus ? { AWS_ENDPOINT_URL_EVENTBRIDGE: eventBus.url } : {}),
    OUTCOME_EVENT_BUS_NAME: LOCAL_EVENT_BUS_NAME,
    TABLE_NAME: dynamoDb.tables.integrations,
    SEND_LEDGER_TABLE_NAME: dynamoDb.tables.sendLedger,
    RATE_LIMIT_TABLE_NAME: dynamoDb.tables.rateLimits,
    SES_DOMAIN_TABLE_NAME: dynamoDb.tables.sesDomains,
    HEALTH_RUN_TABLE_NAME: dynamoDb.tables.healthRuns,
    SUPPRESSION_TABLE_NAME: dynamoDb.tables.suppressions,
    EVENT_WEBHOOK_TABLE_NAME: dynamoDb.tables.eventWebhooks,
    DYNAMODB_ENDPOINT: dynamoDb.endpoint,
    LOCAL_KEYRING_FILE: join(options.dataDir, 'keyring.json'),
    TENANT_CLAIM: tenantClaim,
    SENDGRID_API_BASE_URL: sendGrid.globalUrl,
    SENDGRID_EU_API_BASE_URL: sendGrid.euUrl,
    POWERTOOLS_SERVICE_NAME: 'email-integrations',
    EVENT_SOURCE: options.eventSource ?? 'app.automations',
    // The send function trusts only the local bus's events, as the stack's does only the publisher's.
    SEND_EVENT_SOURCE: options.eventSource ?? 'app.automations',
    SEND_EVENT_ACCOUNT: LOCAL_EVENT_ACCOUNT,
    LOCAL_SEND_QUEUE_FILE: join(options.dataDir, LOCAL_SEND_QUEUE_FILE_NAME),
    // The domain checker's 10 minutes … 2 hours become seconds here (its 72-hour window stays).
    SES_DOMAIN_CHECK_SCALE: process.env.SES_DOMAIN_CHECK_SCALE ?? '0.005',
    LOCAL_FEEDBACK_QUEUE_FILE: join(options.dataDir, LOCAL_FEEDBACK_QUEUE_FILE_NAME),
    ...(options.sendGridTimeoutMs === undefined ? {} : { SENDGRID_TIMEOUT_MS: String(options.sendGridTimeoutMs) }),
  });
  // The handlers load once the server listens: the webhook routes build URLs on its origin.
  let routesLoaded: (value: LoadedRoute[]) => void = () => undefined;
  const loadedRoutes = new Promise<LoadedRoute[]>((resolve) => {
    routesLoaded = resolve;
  });
  const loadRoutes = () =>
    Promise.all(
      API_ROUTES.map(async (route) => {
        const module = (await import(`../functions/${route.handler}.ts`)) as { handler: HttpLambdaHandler };
        return {
          ...route,
          routeKey: `${route.method} ${route.path}`,
          invoke: module.handler,
        };
      }),
    );
  const functionTimeoutMs = options.functionTimeoutMs ?? 15_000;
  const endpointContext: LocalEndpointContext = {
    sandbox,
    functionTimeoutMs,
    tenantClaim,
    ...(eventBus ? { eventBus } : {}),
  };

  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    // Web pages the developer visits must not drive (or, by DNS rebinding, read) the runtime.
    const refusal = localRequestRefusal(request, request.socket.localPort ?? 0);
    if (refusal) {
      writeResult(response, { statusCode: refusal.status, headers: refusal.headers, body: refusal.body });
      return;
    }
    const read = await readBody(request, MAX_BODY_BYTES);
    if (read === 'too_large') {
      writeResult(response, problemResponse('invalid_request', 'The body is far too large.', { field: 'body' }));
      return;
    }
    const body = read.toString('utf8');
    const url = new URL(request.url ?? '/', 'http://localhost');
    const local = LOCAL_ENDPOINTS.find(
      (endpoint) => endpoint.method === request.method && matchPath(endpoint.path, url.pathname) !== undefined,
    );
    if (local) {
      const pathParameters = matchPath(local.path, url.pathname) ?? {};
      writeResult(response, await local.handle({ request, url, body, pathParameters }, endpointContext));
      return;
    }
    const routes = await loadedRoutes;
    const candidates = routes.filter((route) => matchPath(route.path, url.pathname) !== undefined);
    const route = candidates.find((candidate) => candidate.method === request.method);
    if (!route) {
      const detail =
        candidates.length > 0
          ? `${url.pathname} answers ${candidates.map((candidate) => candidate.method).join(', ')}, not ${request.method}.`
          : `There is no route ${request.method} ${url.pathname}. See the README for the API's routes.`;
      writeResult(response, problemResponse('route_not_found', detail));
      return;
    }
    const event = apiGatewayEvent({ request, url, routeKey: route.routeKey, body, tenantClaim });
    const pathParameters = matchPath(route.path, url.pathname);
    if (pathParameters && Object.keys(pathParameters).length > 0) event.pathParameters = pathParameters;
    // Each request logs with its own logger: several run at once in this one process.
    const context = lambdaContext(route.handler, functionTimeoutMs);
    writeResult(response, await withOwnLogger(() => route.invoke(event, context)));
  };

  const server: Server = createServer((request, response) => {
    serve(request, response).catch(() => {
      // Handlers answer every error themselves; reaching here means the adapter failed.
      if (!response.headersSent) writeResult(response, problemResponse('internal_error', 'The local runtime failed.'));
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const origin = `http://${address.address}:${address.port}`;
  // Where SendGrid (the sandbox) posts Event Webhook batches: this server, or a tunnel's URL given.
  process.env.PUBLIC_API_URL = options.publicApiUrl ?? origin;
  try {
    routesLoaded(await loadRoutes());
  } catch (error) {
    server.close();
    throw error;
  }
  // Like Lambda's event source polling SQS: delivers what a redrive put back on the send queue.
  const sendQueue = pollLocalSendQueue();
  const domainCheck = options.sesDomainCheckIntervalMs ? watchSesDomains(options.sesDomainCheckIntervalMs) : undefined;
  // Like Lambda's event source on the feedback queue: applies what the webhook route queued.
  const feedbackQueue = pollLocalFeedbackQueue();
  return {
    url: origin,
    sandbox,
    ses,
    dynamoDb,
    eventBus,
    close: async () => {
      await domainCheck?.stop();
      await sendQueue.stop();
      await feedbackQueue.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await dynamoDb.close();
      await sandbox?.close();
      await ses.close();
      if (eventBus) {
        await eventBus.close();
        if (process.env.AWS_ENDPOINT_URL_EVENTBRIDGE === eventBus.url) delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
      }
    },
  };
}

/** A route with its handler loaded. */
type LoadedRoute = (typeof API_ROUTES)[number] & { routeKey: string; invoke: HttpLambdaHandler };

/** Matches a route path with `{name}` segments as API Gateway does: the parameters, or undefined. */
function matchPath(template: string, pathname: string): Record<string, string> | undefined {
  const names: string[] = [];
  const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_match, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  const match = new RegExp(`^${pattern}$`).exec(pathname);
  if (!match) return undefined;
  const parameters: Record<string, string> = {};
  names.forEach((name, index) => {
    try {
      parameters[name] = decodeURIComponent(match[index + 1] ?? '');
    } catch {
      parameters[name] = match[index + 1] ?? '';
    }
  });
  return parameters;
}

/** Runs the SES domain checker every `intervalMs`, one run at a time, until stopped. */
function watchSesDomains(intervalMs: number): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(async () => {
      const { handler } = (await import(
        '../functions/watch-ses-domains.js'
      )) as typeof import('../functions/watch-ses-domains.js');
      // A failed run is the next run's to repeat, as with the scheduler.
      await withOwnLogger(() => handler()).catch(() => undefined);
    });
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
