import { Duration } from 'aws-cdk-lib';
import { API_ROUTES, type HandlerName } from '../shared/http/api-routes.js';
import { HEALTH_CHECK_CAPACITY } from '../shared/integrations/health-check-capacity.js';
import {
  INTEGRATION_OPERATION_ACTIONS,
  type IntegrationOperation,
  integrationTableKeys,
} from '../shared/integrations/integration-table.js';
import { sendLedgerTableKeys } from '../shared/sending/send-ledger-table.js';
import { domainTableKeys } from '../shared/ses-domains/domain-store.js';

/** Every Lambda function of the service: one per API route, the send intake and consumer, the health check's planner and checker, the SES domain checker. */
export type FunctionName =
  | HandlerName
  | 'accept-send-request'
  | 'send-email'
  | 'plan-health-check'
  | 'check-integration-health'
  | 'watch-ses-domains'
  | 'apply-feedback'
  | 'receive-ses-events';

/** The service's tables, by the environment variable each function reads its name from. */
export const TABLE_ENV = {
  integrations: 'TABLE_NAME',
  sendLedger: 'SEND_LEDGER_TABLE_NAME',
  keyChecks: 'RATE_LIMIT_TABLE_NAME',
  sesDomains: 'SES_DOMAIN_TABLE_NAME',
  healthRuns: 'HEALTH_RUN_TABLE_NAME',
  suppressions: 'SUPPRESSION_TABLE_NAME',
  eventWebhooks: 'EVENT_WEBHOOK_TABLE_NAME',
} as const;

/** The indexes a `Query` may use, per table (granted by name, never `index/*`). */
export const TABLE_QUERY_INDEXES: Partial<Record<ServiceTable, readonly string[]>> = {
  sendLedger: [sendLedgerTableKeys.tenantTimeIndex.indexName],
  // The health check's planner finds blocked tenants in the sparse blocked index.
  integrations: [integrationTableKeys.blockedIndex.indexName],
};

/** Tables whose own key is queried (a tenant's SES domains share its partition key). */
export const TABLES_QUERIED_BY_KEY: ReadonlySet<ServiceTable> = new Set(['sesDomains', 'suppressions']);

/** One of the service's tables. */
export type ServiceTable = keyof typeof TABLE_ENV;
/**
 * DynamoDB actions a function may be given on a table. `ScanKeys`: Scan that may return only the
 * table's key attributes (IAM conditions on `dynamodb:Attributes` and `dynamodb:Select`).
 */
export type TableAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'PutItem'
  | 'BatchWriteItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'Scan'
  | 'ScanKeys'
  | 'Query';
/** KMS actions on the secrets key; always bound to the tenant encryption context. */
export type KeyAction = 'GenerateDataKey' | 'Decrypt';

/** What one function is and may do: its role is exactly this list, plus its logs and traces. */
export interface FunctionAccess {
  description: string;
  timeout: Duration;
  /** DynamoDB actions per table; the function is given each table's name (`TABLE_ENV`). */
  tables: Partial<Record<ServiceTable, TableAction[]>>;
  /** Actions on the secrets key (`KMS_KEY_ID`), in the role and in the key policy, both context-bound. */
  key: KeyAction[];
  /** Actions on the send queue (`SEND_QUEUE_URL`) beyond those its event source mapping needs. */
  sendQueue: Array<'ChangeMessageVisibility' | 'SendMessage'>;
  /**
   * Amazon SES on this account's resources in the allowed regions: `send` (SendEmail), `read`
   * (GetEmailIdentity, ListTenantResources), `onboard` (tenants, identities, MAIL FROM, associations),
   * `account` (GetAccount: the platform's account standing, for warnings), `tenant` (GetTenant: whose
   * an SES tenant with a hashed name is, from its tag).
   */
  ses: Array<'send' | 'read' | 'onboard' | 'account' | 'tenant'>;
  /** Per-call timeout for SendGrid with a tenant's key (`SENDGRID_TIMEOUT_MS`); routes with one are tightly throttled. */
  sendGridTimeoutMs?: number;
  /** Sends to the health check's queues: `plans` (`HEALTH_PLAN_QUEUE_URL`), `checks` (`HEALTH_CHECK_QUEUE_URL`). */
  healthQueues?: Array<'plans' | 'checks'>;
  /** Consumes send events: told the only source and account to accept (`SEND_EVENT_SOURCE`, `SEND_EVENT_ACCOUNT`). */
  consumesSendEvents?: true;
  /** Publishes outcome events on the service's bus (`OUTCOME_EVENT_BUS_NAME`): PutEvents, source `email-integrations` only. */
  publishesOutcomes?: true;
  /** Indexes this function alone may query, besides `TABLE_QUERY_INDEXES` (granted by name). */
  queryIndexes?: Partial<Record<ServiceTable, readonly string[]>>;
  /** Puts accepted provider feedback on the feedback queue (`FEEDBACK_QUEUE_URL`). */
  feedbackQueue?: 'send';
  /** Builds public URLs on the API's own URL (`PUBLIC_API_URL`): the Event Webhook routes. */
  publicApiUrl?: true;
  /** Settings of its own. */
  env?: Record<string, string>;
}

/** API functions answer within API Gateway's 30 s; each SendGrid call times out well before. */
const API_TIMEOUT = Duration.seconds(15);
const API_SENDGRID_TIMEOUT_MS = 5_000;
/** The intake's timeout: the intake queue's visibility timeout derives from it. */
export const INTAKE_TIMEOUT = Duration.seconds(10);
/** The send function's timeout: the queue's visibility timeout and the send lease derive from it. */
export const SEND_TIMEOUT = Duration.seconds(30);

/** The feedback function's timeout: the feedback queue's visibility timeout derives from it. */
export const FEEDBACK_TIMEOUT = Duration.seconds(30);

/** Every route that checks a pasted key counts the check against the tenant's limit (one conditional update). */
const KEY_CHECKS: TableAction[] = ['UpdateItem'];
/**
 * Routes that honour an Idempotency-Key claim it (PutItem), read a repeat's answer (GetItem),
 * store the answer (UpdateItem) and give a failed claim up (DeleteItem) in the same table,
 * under `idempotency#` keys; save also counts its key check there (UpdateItem).
 */
const KEY_CHECKS_AND_IDEMPOTENCY: TableAction[] = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'];

const none = { key: [], sendQueue: [], ses: [] } satisfies Partial<FunctionAccess>;

/** The integration table's actions for these repository operations (one action per operation). */
function cards(...operations: IntegrationOperation[]): TableAction[] {
  return operations.map((operation) => INTEGRATION_OPERATION_ACTIONS[operation]);
}

/** An API route's function: described by its route key. */
function route(handler: HandlerName, access: Omit<FunctionAccess, 'description' | 'timeout'>): FunctionAccess {
  const entry = API_ROUTES.find((candidate) => candidate.handler === handler);
  return { description: `${entry?.method} ${entry?.path}`, timeout: API_TIMEOUT, ...access };
}

/**
 * The access table: every function of the stack and the whole of what its role allows. The stack
 * builds roles, environment, key policy and throttling from it, so each role reads as this list.
 */
export const FUNCTION_ACCESS: Record<FunctionName, FunctionAccess> = {
  'verify-sendgrid-key': route('verify-sendgrid-key', {
    ...none,
    tables: { keyChecks: KEY_CHECKS },
    sendGridTimeoutMs: API_SENDGRID_TIMEOUT_MS,
  }),
  'save-sendgrid-integration': route('save-sendgrid-integration', {
    ...none,
    // A card created or unblocked by the new key is announced.
    publishesOutcomes: true,
    tables: { integrations: cards('read', 'create', 'update'), keyChecks: KEY_CHECKS_AND_IDEMPOTENCY },
    key: ['GenerateDataKey'],
    sendGridTimeoutMs: API_SENDGRID_TIMEOUT_MS,
  }),
  'get-sendgrid-integration': route('get-sendgrid-integration', {
    ...none,
    tables: { integrations: cards('read') },
    // An SES tenant's card warns when the platform's SES account is still in the SES sandbox.
    ses: ['account'],
  }),
  'rotate-sendgrid-key': route('rotate-sendgrid-key', {
    ...none,
    // A card created or unblocked by the new key is announced.
    publishesOutcomes: true,
    tables: { integrations: cards('read', 'update'), keyChecks: KEY_CHECKS },
    key: ['GenerateDataKey'],
    sendGridTimeoutMs: API_SENDGRID_TIMEOUT_MS,
  }),
  'update-sendgrid-senders': route('update-sendgrid-senders', {
    ...none,
    tables: { integrations: cards('read', 'update') },
    key: ['Decrypt'],
    // SES tenants' senders are checked against their own SES tenant's identities.
    ses: ['read'],
    sendGridTimeoutMs: API_SENDGRID_TIMEOUT_MS,
  }),
  'delete-sendgrid-integration': route('delete-sendgrid-integration', {
    ...none,
    publishesOutcomes: true,
    tables: { integrations: cards('read', 'delete') },
  }),
  'send-test-email': route('send-test-email', {
    ...none,
    // A card a refused key or sender blocks is announced.
    publishesOutcomes: true,
    // update: a refused key or sender is written onto the card.
    tables: { integrations: cards('read', 'update'), keyChecks: KEY_CHECKS_AND_IDEMPOTENCY },
    key: ['Decrypt'],
    ses: ['send'],
    sendGridTimeoutMs: API_SENDGRID_TIMEOUT_MS,
  }),
  'list-messages': route('list-messages', {
    ...none,
    // Query is granted on the ledger's indexes only (the tenant/time index), never on the table.
    tables: { sendLedger: ['Query'] },
  }),
  'get-message': route('get-message', {
    ...none,
    tables: { sendLedger: ['GetItem'] },
  }),
  'add-ses-domain': route('add-ses-domain', {
    ...none,
    tables: { sesDomains: ['GetItem', 'PutItem', 'Query'] },
    ses: ['onboard'],
  }),
  'list-ses-domains': route('list-ses-domains', { ...none, tables: { sesDomains: ['Query'] }, ses: ['account'] }),
  'get-ses-domain': route('get-ses-domain', { ...none, tables: { sesDomains: ['GetItem'] } }),
  'check-ses-domain': route('check-ses-domain', {
    ...none,
    // integrations: a domain that failed (or verified again) is carried to the card.
    tables: { sesDomains: ['GetItem', 'PutItem'], integrations: cards('read', 'update') },
    ses: ['read'],
    // A card the check turns domain_failed (or active again) is announced.
    publishesOutcomes: true,
  }),
  'delete-ses-domain': route('delete-ses-domain', {
    ...none,
    tables: { sesDomains: ['GetItem', 'DeleteItem'], integrations: cards('read') },
    ses: ['onboard'],
  }),
  'activate-ses': route('activate-ses', {
    ...none,
    tables: { sesDomains: ['Query', 'PutItem'], integrations: cards('read', 'create', 'update') },
    ses: ['read', 'account'],
    // The switch to SES (and a card its domain re-check changes) is announced.
    publishesOutcomes: true,
  }),
  'accept-send-request': {
    description: 'The send pipeline’s intake: screens each event and queues it with its tenant as the fair-queue group',
    timeout: INTAKE_TIMEOUT,
    tables: {},
    key: [],
    // The only sender the send queue accepts (besides operators redriving dead letters).
    sendQueue: ['SendMessage'],
    ses: [],
    consumesSendEvents: true,
  },
  'list-suppressions': route('list-suppressions', {
    ...none,
    // A query on the tenant's own partition (its key), never a scan.
    tables: { suppressions: ['Query'] },
  }),
  'add-suppression': route('add-suppression', {
    ...none,
    // One conditional put; GetItem only where the refusal does not return the existing entry (dynalite).
    tables: { suppressions: ['PutItem', 'GetItem'] },
  }),
  'remove-suppression': route('remove-suppression', {
    ...none,
    tables: { suppressions: ['DeleteItem'] },
  }),
  'put-sendgrid-event-webhook': route('put-sendgrid-event-webhook', {
    ...none,
    // DeleteItem: a fresh URL id whose registration lost a race is removed again.
    tables: { eventWebhooks: ['GetItem', 'PutItem', 'DeleteItem'] },
    publicApiUrl: true,
  }),
  'get-sendgrid-event-webhook': route('get-sendgrid-event-webhook', {
    ...none,
    tables: { eventWebhooks: ['GetItem'] },
    publicApiUrl: true,
  }),
  'delete-sendgrid-event-webhook': route('delete-sendgrid-event-webhook', {
    ...none,
    tables: { eventWebhooks: ['GetItem', 'DeleteItem'] },
    publicApiUrl: true,
  }),
  'rotate-sendgrid-event-webhook-url': route('rotate-sendgrid-event-webhook-url', {
    ...none,
    tables: { eventWebhooks: ['GetItem', 'PutItem', 'DeleteItem'] },
    publicApiUrl: true,
  }),
  'receive-sendgrid-events': route('receive-sendgrid-events', {
    ...none,
    // GetItem: the URL's lookup and the registration; UpdateItem: "last event received".
    tables: { eventWebhooks: ['GetItem', 'UpdateItem'] },
    feedbackQueue: 'send',
  }),
  'apply-feedback': {
    description: 'Applies provider feedback (delivered, bounced, complained …) to messages in the send ledger',
    timeout: FEEDBACK_TIMEOUT,
    // PutItem on suppressions: a hard bounce or a complaint puts the address on that tenant's list.
    tables: { sendLedger: ['GetItem', 'UpdateItem'], suppressions: ['PutItem'] },
    key: [],
    sendQueue: [],
    ses: [],
    // Email Delivery Updated.
    publishesOutcomes: true,
  },
  'receive-ses-events': {
    description:
      'Amazon SES events from the default bus: email events onto the feedback queue, a tenant’s sending status onto its card',
    timeout: Duration.seconds(10),
    // read + update on integrations: Sending Status Disabled/Enabled turns the card paused / active.
    tables: { integrations: cards('read', 'update') },
    key: [],
    sendQueue: [],
    // GetTenant: which tenant an SES tenant with a hashed name belongs to (its tenant-id tag).
    ses: ['tenant'],
    feedbackQueue: 'send',
    // Email Integration Status Changed when a card is paused or resumed.
    publishesOutcomes: true,
  },
  'send-email': {
    description: 'Sends the automations’ emails through each tenant’s SendGrid account',
    timeout: SEND_TIMEOUT,
    // update on integrations: a refused key or sender is written onto the card.
    // BatchGetItem on suppressions: the tenant's suppressed recipients, one batched read per message.
    // BatchWriteItem on the ledger: a batch's sent messages settled in one write (puts only).
    tables: {
      integrations: cards('read', 'update'),
      sendLedger: ['GetItem', 'PutItem', 'UpdateItem', 'BatchWriteItem'],
      suppressions: ['BatchGetItem'],
    },
    key: ['Decrypt'],
    // Holding a message back for its retry delay; queuing one a tenant cap held back afresh.
    sendQueue: ['ChangeMessageVisibility', 'SendMessage'],
    ses: ['send'],
    sendGridTimeoutMs: 10_000,
    consumesSendEvents: true,
    // Email Send Accepted / Failed, and a card a refused send blocks.
    publishesOutcomes: true,
    // A claim outlives the function that took it, so a live attempt is never taken for dead.
    env: { SEND_LEASE_MS: String((SEND_TIMEOUT.toSeconds() + 60) * 1000) },
  },
  'watch-ses-domains': {
    description: 'Every 10 minutes: re-checks the SES domains that are due (backoff), marks failed ones, updates cards',
    timeout: Duration.minutes(5),
    // Query: the due domains on the byNextCheck index; PutItem: each check's result (conditional on the item).
    tables: { sesDomains: ['Query', 'PutItem'], integrations: cards('read', 'update') },
    queryIndexes: { sesDomains: [domainTableKeys.checkIndex.indexName] },
    key: [],
    sendQueue: [],
    ses: ['read'],
    // A card the check turns domain_failed (or active again) is announced.
    publishesOutcomes: true,
  },
  'plan-health-check': {
    description: 'Health check planner: pages through the tenants (keys only) and enqueues one check each, per run',
    timeout: Duration.seconds(HEALTH_CHECK_CAPACITY.plannerTimeoutSeconds),
    // Keys only: the planner can read no key, sender or status of any tenant.
    tables: { integrations: ['ScanKeys', 'Query'], healthRuns: ['GetItem', 'PutItem', 'UpdateItem'] },
    key: [],
    sendQueue: [],
    ses: [],
    healthQueues: ['plans', 'checks'],
    env: {
      HEALTH_PLAN_PAGE_SIZE: '1000',
      // Held past the function's timeout, so a planner cut off mid-page is never taken for dead too early.
      HEALTH_PLAN_LEASE_MS: String((HEALTH_CHECK_CAPACITY.plannerTimeoutSeconds + 60) * 1000),
      HEALTH_PLAN_RESERVE_MS: '60000',
    },
  },
  'check-integration-health': {
    description: 'Health check checker: re-verifies each queued tenant’s key, scopes and senders, once per run',
    timeout: Duration.seconds(HEALTH_CHECK_CAPACITY.checkerTimeoutSeconds),
    // UpdateItem: the card's status; the run's claims (PutItem) and totals (UpdateItem).
    tables: { integrations: cards('read', 'update'), healthRuns: ['PutItem', 'UpdateItem'] },
    key: ['Decrypt'],
    sendQueue: [],
    // tenant (GetTenant): whether SES paused the tenant, in case its status event was lost.
    ses: ['read', 'tenant'],
    // A card the check blocks or unblocks is announced.
    publishesOutcomes: true,
    sendGridTimeoutMs: API_SENDGRID_TIMEOUT_MS,
    env: {
      HEALTH_CHECK_CONCURRENCY: String(HEALTH_CHECK_CAPACITY.checksPerInvocation),
      // Past the function's timeout and short of the queue's visibility timeout (six times it):
      // a redelivery after a crash finds the claim run out and checks the tenant.
      HEALTH_CHECK_LEASE_MS: String((HEALTH_CHECK_CAPACITY.checkerTimeoutSeconds + 60) * 1000),
    },
  },
};

/** The route keys ("POST /integrations/sendgrid/verify") whose function calls SendGrid with a pasted or stored key. */
export function sendGridRouteKeys(): string[] {
  return API_ROUTES.filter((entry) => FUNCTION_ACCESS[entry.handler].sendGridTimeoutMs !== undefined).map(
    (entry) => `${entry.method} ${entry.path}`,
  );
}
