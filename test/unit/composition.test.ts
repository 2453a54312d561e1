import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigurationError,
  integerSetting,
  keySettings,
  routeSettings,
  sendGridSettings,
  sendSettings,
  sesRegions,
  sesSettings,
} from '../../shared/composition/environment.js';
import { sendGridProvider } from '../../shared/composition/sendgrid.js';
import { emailDispatcher, sendPathSettings } from '../../shared/composition/sending.js';
import { integrationRepository } from '../../shared/composition/store.js';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

/** The variables a deployed send function gets (values shaped as the stack sets them). */
const SEND_ENV = {
  TABLE_NAME: 'integrations',
  SEND_LEDGER_TABLE_NAME: 'send-ledger',
  SUPPRESSION_TABLE_NAME: 'suppressions',
  OUTCOME_EVENT_BUS_NAME: 'email-integrations-test',
  RATE_LIMIT_TABLE_NAME: 'key-checks',
  EXPIRING_KEYS_TABLE_NAME: 'expiring-keys',
  KMS_KEY_ID: 'arn:aws:kms:eu-central-1:123456789012:key/1234',
  TENANT_CLAIM: 'custom:tenant_id',
  SENDGRID_TIMEOUT_MS: '10000',
  SEND_LEASE_MS: '90000',
  SEND_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/send',
  SEND_EVENT_SOURCE: 'app.automations',
  SEND_EVENT_ACCOUNT: '123456789012',
  HEALTH_RUN_TABLE_NAME: 'health-runs',
  HEALTH_PLAN_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/health-plans',
  HEALTH_CHECK_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/health-checks',
};

describe('environment settings', () => {
  it('parses each concern into an explicit settings object', () => {
    expect(sendPathSettings({ ...SEND_ENV, SES_ACCOUNT_ID: '123456789012' })).toEqual({
      integrations: { tableName: 'integrations' },
      ledger: { tableName: 'send-ledger' },
      suppressions: { tableName: 'suppressions' },
      outcomes: { busName: 'email-integrations-test' },
      keys: { kmsKeyId: SEND_ENV.KMS_KEY_ID },
      sendGrid: { baseUrls: {}, timeoutMs: 10_000 },
      ses: { accountId: '123456789012' },
      send: { leaseMs: 90_000, limitsCacheMs: 60_000 },
    });
    expect(routeSettings(SEND_ENV)).toEqual({ tenantClaim: 'custom:tenant_id' });
  });

  it('uses the documented default when a numeric variable is unset or blank', () => {
    expect(sendGridSettings({}).timeoutMs).toBe(5_000);
    expect(sendSettings({ SEND_LEASE_MS: ' ' }).leaseMs).toBe(120_000);
  });

  it.each([
    ['SENDGRID_TIMEOUT_MS', '5s'],
    ['SENDGRID_TIMEOUT_MS', '0'],
    ['SENDGRID_TIMEOUT_MS', '-100'],
    ['SEND_LEASE_MS', '2m'],
    ['SEND_LEASE_MS', '1.5'],
    ['SEND_LEASE_MS', 'NaN'],
  ])('refuses a malformed %s ("%s") naming the variable instead of defaulting', (name, value) => {
    expect(() => sendPathSettings({ ...SEND_ENV, [name]: value })).toThrow(ConfigurationError);
    expect(() => sendPathSettings({ ...SEND_ENV, [name]: value })).toThrow(new RegExp(`${name} is "${value}"`));
  });

  it('refuses a base URL that is not an http(s) URL', () => {
    expect(() => sendGridSettings({ SENDGRID_API_BASE_URL: 'api.sendgrid.com' })).toThrow(/SENDGRID_API_BASE_URL/);
    expect(() => sendGridSettings({ SENDGRID_EU_API_BASE_URL: 'ftp://x.example' })).toThrow(/SENDGRID_EU_API_BASE_URL/);
  });

  it('refuses an SES account id that is not twelve digits', () => {
    expect(() => sesSettings({ SES_ACCOUNT_ID: 'my-account' })).toThrow(/SES_ACCOUNT_ID/);
  });

  it('reads the configuration set every SES send names, and refuses a name SES would not accept', () => {
    expect(sesSettings({ SES_CONFIGURATION_SET: 'email-integrations' })).toEqual({
      configurationSet: 'email-integrations',
    });
    expect(() => sesSettings({ SES_CONFIGURATION_SET: 'my set' })).toThrow(/SES_CONFIGURATION_SET/);
  });

  it('reads the allowed SES regions, defaulting to eu-west-1, and refuses what is not a region', () => {
    expect(sesRegions({})).toEqual(['eu-west-1']);
    expect(sesRegions({ SES_REGIONS: 'eu-west-1, us-east-1' })).toEqual(['eu-west-1', 'us-east-1']);
    expect(() => sesRegions({ SES_REGIONS: 'eu-west-1,mars' })).toThrow(/SES_REGIONS/);
  });

  it('names the missing required variable', () => {
    expect(() => routeSettings({})).toThrow(/TENANT_CLAIM is not set/);
    expect(() => keySettings({})).toThrow(/KMS_KEY_ID is not set/);
    expect(() => sendPathSettings({ ...SEND_ENV, SEND_LEDGER_TABLE_NAME: '' })).toThrow(/SEND_LEDGER_TABLE_NAME/);
  });

  it('accepts zero only where the setting allows it', () => {
    expect(integerSetting({ PORT: '0' }, 'PORT', { fallback: 3000, min: 0 })).toBe(0);
    expect(() => integerSetting({ PORT: '70000' }, 'PORT', { fallback: 3000, min: 0, max: 65_533 })).toThrow(/PORT/);
  });
});

describe('composition factories', () => {
  it('build clients from the environment when given no settings', () => {
    vi.stubEnv('TABLE_NAME', 'integrations');
    vi.stubEnv('SENDGRID_TIMEOUT_MS', '2500');
    expect(integrationRepository()).toBeDefined();
    expect(sendGridProvider()).toBeDefined();
  });

  it('fail before building anything when the send path is misconfigured', () => {
    vi.stubEnv('TABLE_NAME', 'integrations');
    vi.stubEnv('SEND_LEDGER_TABLE_NAME', 'ledger');
    vi.stubEnv('KMS_KEY_ID', 'key');
    vi.stubEnv('SEND_LEASE_MS', 'two minutes');
    expect(() => emailDispatcher()).toThrow(/SEND_LEASE_MS is "two minutes"/);
  });
});

describe('Lambda entry points', () => {
  /** A fresh cold start of a function module under the given environment. */
  async function coldStart(module: string, env: Record<string, string>) {
    vi.resetModules();
    for (const name of Object.keys(SEND_ENV)) vi.stubEnv(name, '');
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    return import(`../../functions/${module}.ts`);
  }

  it('fail at cold start naming a missing required variable', async () => {
    await expect(coldStart('get-sendgrid-integration', { TABLE_NAME: 'integrations' })).rejects.toThrow(
      /TENANT_CLAIM is not set/,
    );
  });

  it('fail at cold start on a malformed number instead of running with a default', async () => {
    await expect(
      coldStart('check-integration-health', { ...SEND_ENV, HEALTH_CHECK_CONCURRENCY: 'many' }),
    ).rejects.toThrow(/HEALTH_CHECK_CONCURRENCY is "many"/);
    await expect(coldStart('send-email', { ...SEND_ENV, SEND_LEASE_MS: '2 minutes' })).rejects.toThrow(
      /SEND_LEASE_MS is "2 minutes"/,
    );
    await expect(coldStart('verify-sendgrid-key', { ...SEND_ENV, SENDGRID_TIMEOUT_MS: '5s' })).rejects.toThrow(
      /SENDGRID_TIMEOUT_MS is "5s"/,
    );
  });

  it('start when every variable is well formed', async () => {
    for (const name of ['send-email', 'send-test-email', 'plan-health-check', 'check-integration-health']) {
      expect(typeof (await coldStart(name, SEND_ENV)).handler).toBe('function');
    }
  });
});
