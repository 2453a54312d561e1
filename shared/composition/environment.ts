/**
 * The service's configuration, parsed from environment variables into explicit settings objects
 * (one per concern, so each function reads only what it uses). Every parser fails fast, at cold
 * start, with a {@link ConfigurationError} naming the variable: a missing required variable or a
 * malformed number never turns into a silent default.
 */

/** Environment variables as `process.env` holds them. */
export type EnvironmentVariables = Record<string, string | undefined>;

/** A variable is missing or malformed: the deployment (or the local runtime) must fix it. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';

  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Environment variable ${variable} ${problem}; the deployment (or local runtime) must set it correctly.`);
  }
}

/** A required, non-blank variable. */
export function requiredText(env: EnvironmentVariables, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new ConfigurationError(name, 'is not set');
  return value;
}

/** An optional variable; blank counts as unset. */
export function optionalText(env: EnvironmentVariables, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * A whole number within `[min, max]`, or `fallback` when unset. Anything else ("5s", "-1",
 * "1e3x") is an error naming the variable.
 */
export function integerSetting(
  env: EnvironmentVariables,
  name: string,
  options: { fallback: number; min?: number; max?: number },
): number {
  const text = optionalText(env, name);
  if (text === undefined) return options.fallback;
  const min = options.min ?? 1;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigurationError(name, `is "${text}", not a whole number from ${min} to ${max}`);
  }
  return value;
}

/** An optional absolute http(s) URL. */
export function urlSetting(env: EnvironmentVariables, name: string): string | undefined {
  const text = optionalText(env, name);
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigurationError(name, `is "${text}", not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigurationError(name, `is "${text}", not an http(s) URL`);
  }
  return text;
}

/** What every HTTP route reads: the JWT claim that carries the tenant id. */
export interface RouteSettings {
  tenantClaim: string;
}

/** `TENANT_CLAIM` (required). */
export function routeSettings(env: EnvironmentVariables = process.env): RouteSettings {
  return { tenantClaim: requiredText(env, 'TENANT_CLAIM') };
}

/** Where a DynamoDB table is: its name, and an endpoint only locally (dynalite). */
export interface TableSettings {
  tableName: string;
  endpoint?: string;
}

/** The integration table: `TABLE_NAME` (required), `DYNAMODB_ENDPOINT` (local only). */
export function integrationTableSettings(env: EnvironmentVariables = process.env): TableSettings {
  return tableSettings(env, 'TABLE_NAME');
}

/** The send ledger: `SEND_LEDGER_TABLE_NAME` (required), `DYNAMODB_ENDPOINT` (local only). */
export function sendLedgerTableSettings(env: EnvironmentVariables = process.env): TableSettings {
  return tableSettings(env, 'SEND_LEDGER_TABLE_NAME');
}

/** Where outcome events go: the service's own bus. */
export interface OutcomeEventSettings {
  busName: string;
}

/** `OUTCOME_EVENT_BUS_NAME` (required where a function publishes outcome events). */
export function outcomeEventSettings(env: EnvironmentVariables = process.env): OutcomeEventSettings {
  return { busName: requiredText(env, 'OUTCOME_EVENT_BUS_NAME') };
}

/** The tenants' suppression lists: `SUPPRESSION_TABLE_NAME` (required), `DYNAMODB_ENDPOINT` (local only). */
export function suppressionTableSettings(env: EnvironmentVariables = process.env): TableSettings {
  return tableSettings(env, 'SUPPRESSION_TABLE_NAME');
}

/** The rate-limit table (key checks per tenant): `RATE_LIMIT_TABLE_NAME` (required), `DYNAMODB_ENDPOINT`. */
export function rateLimitTableSettings(env: EnvironmentVariables = process.env): TableSettings {
  return tableSettings(env, 'RATE_LIMIT_TABLE_NAME');
}

function tableSettings(env: EnvironmentVariables, nameVariable: string): TableSettings {
  const endpoint = urlSetting(env, 'DYNAMODB_ENDPOINT');
  return { tableName: requiredText(env, nameVariable), ...(endpoint ? { endpoint } : {}) };
}

/** Where data keys come from: a KMS key in AWS, the local keyring file in the local runtime. */
export type KeySettings = { kmsKeyId: string } | { keyringFile: string };

/** `KMS_KEY_ID` (the stack sets it) or `LOCAL_KEYRING_FILE` (the local runtime); one is required. */
export function keySettings(env: EnvironmentVariables = process.env): KeySettings {
  const kmsKeyId = optionalText(env, 'KMS_KEY_ID');
  if (kmsKeyId) return { kmsKeyId };
  const keyringFile = optionalText(env, 'LOCAL_KEYRING_FILE');
  if (keyringFile) return { keyringFile };
  throw new ConfigurationError('KMS_KEY_ID', 'is not set (nor LOCAL_KEYRING_FILE, its local stand-in)');
}

/** SendGrid's hosts (default its public ones) and the timeout of each call. */
export interface SendGridSettings {
  baseUrls: { global?: string; eu?: string };
  timeoutMs: number;
}

/** `SENDGRID_API_BASE_URL`, `SENDGRID_EU_API_BASE_URL` (optional URLs), `SENDGRID_TIMEOUT_MS` (default 5 s). */
export function sendGridSettings(env: EnvironmentVariables = process.env): SendGridSettings {
  const global = urlSetting(env, 'SENDGRID_API_BASE_URL');
  const eu = urlSetting(env, 'SENDGRID_EU_API_BASE_URL');
  return {
    baseUrls: { ...(global ? { global } : {}), ...(eu ? { eu } : {}) },
    timeoutMs: integerSetting(env, 'SENDGRID_TIMEOUT_MS', { fallback: 5_000, max: 60_000 }),
  };
}

/** Amazon SES: the account that owns the identities, and the configuration set every send names. */
export interface SesSettings {
  accountId?: string;
  /** The stack's configuration set (event destination: EventBridge); associated with every SES tenant. */
  configurationSet?: string;
}

/** SES configuration set names: letters, digits, `_` and `-`, at most 64 characters. */
const CONFIGURATION_SET_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** `SES_ACCOUNT_ID` (optional: twelve digits when set), `SES_CONFIGURATION_SET` (optional: an SES name when set). */
export function sesSettings(env: EnvironmentVariables = process.env): SesSettings {
  const accountId = optionalText(env, 'SES_ACCOUNT_ID');
  if (accountId !== undefined && !/^\d{12}$/.test(accountId)) {
    throw new ConfigurationError('SES_ACCOUNT_ID', `is "${accountId}", not a twelve-digit AWS account id`);
  }
  const configurationSet = optionalText(env, 'SES_CONFIGURATION_SET');
  if (configurationSet !== undefined && !CONFIGURATION_SET_NAME.test(configurationSet)) {
    throw new ConfigurationError(
      'SES_CONFIGURATION_SET',
      `is "${configurationSet}", not an SES configuration set name (letters, digits, _ and -, at most 64)`,
    );
  }
  return { ...(accountId ? { accountId } : {}), ...(configurationSet ? { configurationSet } : {}) };
}

/**
 * `SES_DOMAIN_CHECK_SCALE` (default 1): multiplies the scheduled SES domain checker's intervals;
 * the local runtime compresses them (e.g. 0.005: 10 minutes become 3 seconds).
 */
export function sesDomainCheckScale(env: EnvironmentVariables = process.env): number {
  const text = optionalText(env, 'SES_DOMAIN_CHECK_SCALE');
  if (text === undefined) return 1;
  const scale = Number(text);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1) {
    throw new ConfigurationError('SES_DOMAIN_CHECK_SCALE', `is "${text}", not a number above 0 and at most 1`);
  }
  return scale;
}

/** `SES_REGIONS`: the regions tenants may onboard SES domains in (comma-separated; default eu-west-1). */
export function sesRegions(env: EnvironmentVariables = process.env): string[] {
  const text = optionalText(env, 'SES_REGIONS') ?? 'eu-west-1';
  const regions = text.split(',').map((region) => region.trim());
  const malformed = regions.find((region) => !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region));
  if (malformed !== undefined) throw new ConfigurationError('SES_REGIONS', `has "${malformed}", not an AWS region`);
  return [...new Set(regions)];
}

/** The send path's own settings. */
export interface SendSettings {
  /** How long a ledger claim is presumed alive: longer than the send function's timeout. */
  leaseMs: number;
  /** How long a warm send function trusts a tenant's caps it read (default 60 s). */
  limitsCacheMs?: number;
}

/** `SEND_LEASE_MS` (default 2 minutes). */
export function sendSettings(env: EnvironmentVariables = process.env): SendSettings {
  return {
    leaseMs: integerSetting(env, 'SEND_LEASE_MS', { fallback: 120_000 }),
    limitsCacheMs: integerSetting(env, 'TENANT_LIMITS_CACHE_MS', { fallback: 60_000, min: 0 }),
  };
}

/** The send queue the send function delays messages on: `SEND_QUEUE_URL` (required there). */
export function sendQueueUrl(env: EnvironmentVariables = process.env): string {
  return requiredText(env, 'SEND_QUEUE_URL');
}

/** Who may publish send requests: `SEND_EVENT_SOURCE` and `SEND_EVENT_ACCOUNT` (twelve digits), both required. */
export function trustedPublisher(env: EnvironmentVariables = process.env): { source: string; account: string } {
  const source = requiredText(env, 'SEND_EVENT_SOURCE');
  const account = requiredText(env, 'SEND_EVENT_ACCOUNT');
  if (!/^\d{12}$/.test(account)) {
    throw new ConfigurationError('SEND_EVENT_ACCOUNT', `is "${account}", not a twelve-digit AWS account id`);
  }
  return { source, account };
}

/** The SES domain table: `SES_DOMAIN_TABLE_NAME` (required), `DYNAMODB_ENDPOINT` (local only). */
export function sesDomainTableSettings(env: EnvironmentVariables = process.env): TableSettings {
  return tableSettings(env, 'SES_DOMAIN_TABLE_NAME');
}

/** `DNS_RESOLVERS`: the DNS servers our own record look-up asks (comma-separated; the system's when unset). */
export function dnsResolvers(env: EnvironmentVariables = process.env): string[] {
  return (optionalText(env, 'DNS_RESOLVERS') ?? '')
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
}

/** The Event Webhook table: `EVENT_WEBHOOK_TABLE_NAME` (required), `DYNAMODB_ENDPOINT` (local only). */
export function eventWebhookTableSettings(env: EnvironmentVariables = process.env): TableSettings {
  return tableSettings(env, 'EVENT_WEBHOOK_TABLE_NAME');
}

/** `PUBLIC_API_URL` (required): the API's public origin, where the provider posts webhook events. */
export function publicApiUrl(env: EnvironmentVariables = process.env): string {
  const url = urlSetting(env, 'PUBLIC_API_URL');
  if (url === undefined) throw new ConfigurationError('PUBLIC_API_URL', 'is not set');
  return url;
}

/** Where accepted webhook batches go: an SQS queue in AWS, a file the local runtime drains. */
export type FeedbackQueueSettings = { queueUrl: string } | { localFile: string };

/** `FEEDBACK_QUEUE_URL` (the stack sets it) or `LOCAL_FEEDBACK_QUEUE_FILE` (the local runtime); one is required. */
export function feedbackQueueSettings(env: EnvironmentVariables = process.env): FeedbackQueueSettings {
  const queueUrl = optionalText(env, 'FEEDBACK_QUEUE_URL');
  if (queueUrl) return { queueUrl };
  const localFile = optionalText(env, 'LOCAL_FEEDBACK_QUEUE_FILE');
  if (localFile) return { localFile };
  throw new ConfigurationError('FEEDBACK_QUEUE_URL', 'is not set (nor LOCAL_FEEDBACK_QUEUE_FILE, its local stand-in)');
}
