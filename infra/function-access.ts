import { Duration } from 'aws-cdk-lib';
import { API_ROUTES, type HandlerName } from '../shared/http/api-routes.js';
import { sendLedgerTableKeys } from '../shared/sending/send-ledger-table.js';

/** Every Lambda function of the service: one per API route, the send intake and consumer, the health check. */
export type FunctionName = HandlerName | 'accept-send-request' | 'send-email' | 'run-health-check';

/** The service's tables, by the environment variable each function reads its name from. */
export const TABLE_ENV = {
  integrations: 'TABLE_NAME',
  sendLedger: 'SEND_LEDGER_TABLE_NAME',
  keyChecks: 'RATE_LIMIT_TABLE_NAME',
  sesDomains: 'SES_DOMAIN_TABLE_NAME',
} as const;

/** The indexes a `Query` may use, per table (granted by name, never `index/*`). */
export const TABLE_QUERY_INDEXES: Partial<Record<ServiceTable, readonly string[]>> = {
  sendLedger: [sendLedgerTableKeys.tenantTimeIndex.indexName],
};

/** Tables whose own key is queried (a tenant's SES domains share its partition key). */
export const TABLES_QUERIED_BY_KEY: ReadonlySet<ServiceTable> = new Set(['sesDomains']);

/** One of the service's tables. */
export type ServiceTable = keyof typeof TABLE_ENV;
/** DynamoDB actions a function may be given on a table. */
export type TableAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Scan' | 'Query';
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
   * Invoked asynchronously (by EventBridge): an event it fails on after Lambda's retries goes to the
   * send pipeline's dead-letter queue, body unchanged, so `npm run ops -- redrive` can move it on.
   */
  asyncDeadLetters?: true;
  /**
   * Amazon SES on this account's resources in the allowed regions: `send` (SendEmail), `read`
   * (GetEmailIdentity, ListTenantResources), `onboard` (tenants, identities, MAIL FROM, associations).
   */
  ses: Array<'send' | 'read' | 'onboard'>;
  /** Per-call timeout for SendGrid with a tenant's key (`SENDGRID_TIMEOUT_MS`); routes with one are tightly throttled. */
  sendGridTimeoutMs?: number;
  /** Consumes send events: told the only source and account to accept (`SEND_EVENT_SOURCE`, `SEND_EVENT_ACCOUNT`). */
  consumesSendEvents?: true;
  /** Settings of its own. */
  env?: Record<string, string>;
}

/** API functions answer within API Gateway's 30 s; each SendGrid call times out well before. */
const API_TIMEOUT = Duration.seconds(15);
const API_SENDGRID_TIMEOUT_MS = 5_000;
/** The send function's timeout: the queue's visibility timeout and the send lease derive from it. */
export const SEND_TIMEOUT = Duration.seconds(30);

/** Every route that checks a pasted key counts the check against the tenant's limit (one conditional update). */
const KEY_CHECKS: TableAction[] = ['UpdateItem'];
/**
 * Routes that honour an Idempotency-Key claim it (PutItem), read a repeat's answer (GetItem),
 * store the answer (UpdateItem) and give a failed claim up (DeleteItem) in the same table,
 * under `idempotency#` keys; save also counts its key check there (UpdateItem).
 */
const KEY_CHECKS_AND_IDEMPOTENCY: TableAction[] = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'];

const none = { key: [], sendQueue: [], ses: [] } satisfies Partial<FunctionAccess>;

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
    tables: { integrations: ['GetItem', 'PutItem'], keyChecks: KEY_CHECKS_AND_IDEMPOTENCY },
    key: ['GenerateDataKey'],
    sendGridTimeoutMs: API_SENDGRID_TIMEOUT_MS,
  }),
  'get-sendgrid-integration': route('get-sendgrid-integration', {
    ...none,
    tables: { integrations: ['GetItem'] },
  }),
  'rotate-sendgrid-key': route('rotate-sendgrid-key', {
    ...none,
    tables: { integrations: ['GetItem', 'PutItem'], keyChecks: KEY_CHECKS },
    key: ['GenerateDataKey'],
    sendGridTimeoutMs: API_SENDGRID_TIMEOUT_MS,
  }),
  'update-sendgrid-senders': route('update-sendgrid-senders', {
    ...none,
    tables: { integrations: ['GetItem', 'PutItem'] },
    key: ['Decrypt'],
    // SES tenants' senders are checked against their own SES tenant's identities.
    ses: ['read'],
    sendGridTimeoutMs: API_SENDGRID_TIMEOUT_MS,
  }),
  'delete-sendgrid-integration': route('delete-sendgrid-integration', {
    ...none,
    tables: { integrations: ['GetItem', 'DeleteItem'] },
  }),
  'send-test-email': route('send-test-email', {
    ...none,
    // PutItem: a refused key or sender is written onto the card.
    tables: { integrations: ['GetItem', 'PutItem'], keyChecks: KEY_CHECKS_AND_IDEMPOTENCY },
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
  'list-ses-domains': route('list-ses-domains', { ...none, tables: { sesDomains: ['Query'] } }),
  'get-ses-domain': route('get-ses-domain', { ...none, tables: { sesDomains: ['GetItem'] } }),
  'check-ses-domain': route('check-ses-domain', {
    ...none,
    tables: { sesDomains: ['GetItem', 'PutItem'] },
    ses: ['read'],
  }),
  'delete-ses-domain': route('delete-ses-domain', {
    ...none,
    tables: { sesDomains: ['GetItem', 'DeleteItem'], integrations: ['GetItem'] },
    ses: ['onboard'],
  }),
  'activate-ses': route('activate-ses', {
    ...none,
    tables: { sesDomains: ['Query', 'PutItem'], integrations: ['GetItem', 'PutItem'] },
    ses: ['read'],
  }),
  'accept-send-request': {
    description: 'The send pipeline’s intake: screens each event and queues it with its tenant as the fair-queue group',
    timeout: Duration.seconds(10),
    tables: {},
    key: [],
    // The only sender the send queue accepts (besides operators redriving dead letters).
    sendQueue: ['SendMessage'],
    ses: [],
    consumesSendEvents: true,
    asyncDeadLetters: true,
  },
  'send-email': {
    description: 'Sends the automations’ emails through each tenant’s SendGrid account',
    timeout: SEND_TIMEOUT,
    // PutItem on integrations: a refused key or sender is written onto the card.
    tables: { integrations: ['GetItem', 'PutItem'], sendLedger: ['GetItem', 'PutItem', 'UpdateItem'] },
    key: ['Decrypt'],
    // Holding a message back for its retry delay.
    sendQueue: ['ChangeMessageVisibility'],
    ses: ['send'],
    sendGridTimeoutMs: 10_000,
    consumesSendEvents: true,
    // A claim outlives the function that took it, so a live attempt is never taken for dead.
    env: { SEND_LEASE_MS: String((SEND_TIMEOUT.toSeconds() + 60) * 1000) },
  },
  'run-health-check': {
    description: 'Daily, and every 15 minutes for blocked tenants: re-verifies SendGrid keys, scopes and senders',
    timeout: Duration.minutes(10),
    tables: { integrations: ['Scan', 'PutItem'] },
    key: ['Decrypt'],
    sendQueue: [],
    ses: ['read'],
    sendGridTimeoutMs: API_SENDGRID_TIMEOUT_MS,
  },
};

/** The route keys ("POST /integrations/sendgrid/verify") whose function calls SendGrid with a pasted or stored key. */
export function sendGridRouteKeys(): string[] {
  return API_ROUTES.filter((entry) => FUNCTION_ACCESS[entry.handler].sendGridTimeoutMs !== undefined).map(
    (entry) => `${entry.method} ${entry.path}`,
  );
}
