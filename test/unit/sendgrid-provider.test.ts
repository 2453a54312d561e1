import { describe, expect, it } from 'vitest';
import { SendGridApiError, type SendGridResponse } from '../../shared/providers/sendgrid/sendgrid-api.js';
import type { SendGridRegion } from '../../shared/providers/sendgrid/sendgrid-facts.js';
import {
  KeyVerificationError,
  parseSendGridApiKey,
  SendGridProvider,
  type SendGridTransport,
} from '../../shared/providers/sendgrid/sendgrid-provider.js';

const keyId = 'AbCdEfGhIjKlMnOpQrStUv';
const apiKey = `SG.${keyId}.${'s'.repeat(43)}`;
const goodScopes = [
  'mail.send',
  'mail.batch.create',
  'mail.batch.delete',
  'mail.batch.read',
  'mail.batch.update',
  'user.scheduled_sends.create',
  'user.scheduled_sends.delete',
  'user.scheduled_sends.read',
  'user.scheduled_sends.update',
  'whitelabel.read',
  '2fa_required',
];

type Answer = unknown | SendGridApiError;
type Route = (query: Record<string, string | number> | undefined) => Answer;

/** A scripted SendGrid: answers per region and path, and records every call. */
class FakeSendGrid implements SendGridTransport {
  readonly calls: Array<{ region: SendGridRegion; path: string; query?: Record<string, string | number> }> = [];
  constructor(private readonly routes: Partial<Record<SendGridRegion, Record<string, Route>>>) {}

  async get<T>(region: SendGridRegion, _key: string, path: string, query?: Record<string, string | number>) {
    this.calls.push({ region, path, query });
    const route = this.routes[region]?.[path];
    const answer = route ? route(query) : httpError(region, path, 401);
    if (answer instanceof SendGridApiError) throw answer;
    return { status: 200, body: answer as T, headers: {} } satisfies SendGridResponse<T>;
  }

  async post<T>(): Promise<SendGridResponse<T>> {
    throw new Error('not used');
  }
}

function httpError(region: SendGridRegion, path: string, status: number, reset?: number) {
  return new SendGridApiError('http', region, path, status, [{ message: 'error' }], reset);
}

function account(options: { scopes?: string[]; domains?: unknown[]; senders?: Answer } = {}): Record<string, Route> {
  return {
    '/v3/scopes': () => ({ scopes: options.scopes ?? goodScopes }),
    '/v3/whitelabel/domains': () => options.domains ?? [{ domain: 'acme.example', valid: true }],
    '/v3/verified_senders': () => options.senders ?? httpError('global', '/v3/verified_senders', 403),
  };
}

describe('parseSendGridApiKey', () => {
  it('trims pasted whitespace and returns the key id', () => {
    expect(parseSendGridApiKey(`  ${apiKey}\n`)).toEqual({ apiKey, keyId });
  });

  it.each([
    ['empty', ''],
    ['no prefix', apiKey.slice(3)],
    ['one character short', apiKey.slice(0, -1)],
    ['bad character in the secret', `${apiKey.slice(0, -1)}!`],
    ['a Twilio-style token', 'SK0123456789abcdef0123456789abcdef'],
  ])('refuses %s with invalid_key_format', (_label, value) => {
    expect(() => parseSendGridApiKey(value)).toThrow(expect.objectContaining({ code: 'invalid_key_format' }));
  });
});

describe('SendGridProvider.verify', () => {
  it('reports region, key id, scopes, domains and suggested senders for a good key', async () => {
    const fake = new FakeSendGrid({
      global: account({
        domains: [
          { domain: 'acme.example', valid: true },
          { domain: 'OLD.acme.example', valid: false },
        ],
      }),
    });

    const result = await new SendGridProvider({ api: fake }).verify({ apiKey });

    expect(result).toMatchObject({ provider: 'sendgrid', region: 'global', keyId });
    expect(result.scopes.ignored).toEqual(['2fa_required']);
    expect(result.scopes.required).toEqual(['mail.send', 'whitelabel.read']);
    expect(result.domains).toEqual([
      { domain: 'acme.example', valid: true },
      { domain: 'old.acme.example', valid: false },
    ]);
    expect(result.senders).toEqual([
      { email: 'info@acme.example', domain: 'acme.example', source: 'suggested' },
      { email: 'noreply@acme.example', domain: 'acme.example', source: 'suggested' },
    ]);
  });

  it('offers verified senders at valid domains only', async () => {
    const fake = new FakeSendGrid({
      global: account({
        senders: {
          results: [
            { id: 1, from_email: 'Billing@acme.example', verified: true },
            { id: 2, from_email: 'someone@gmail.example', verified: true },
            { id: 3, from_email: 'pending@acme.example', verified: false },
          ],
        },
      }),
    });

    const { senders } = await new SendGridProvider({ api: fake }).verify({ apiKey });

    expect(senders.map((sender) => [sender.email, sender.source])).toEqual([
      ['billing@acme.example', 'verified_sender'],
      ['info@acme.example', 'suggested'],
      ['noreply@acme.example', 'suggested'],
    ]);
  });

  it('reads every page of authenticated domains', async () => {
    const all = Array.from({ length: 230 }, (_, index) => ({ domain: `d${index}.example`, valid: index === 229 }));
    const fake = new FakeSendGrid({
      global: {
        ...account(),
        '/v3/whitelabel/domains': (query) =>
          all.slice(Number(query?.offset), Number(query?.offset) + Number(query?.limit)),
      },
    });

    const result = await new SendGridProvider({ api: fake }).verify({ apiKey });

    expect(result.domains).toHaveLength(230);
    expect(result.senders.map((sender) => sender.email)).toEqual(['info@d229.example', 'noreply@d229.example']);
    expect(
      fake.calls.filter((call) => call.path === '/v3/whitelabel/domains').map((call) => call.query?.offset),
    ).toEqual([0, 100, 200]);
  });

  it('falls back to the EU host when the global host rejects the key', async () => {
    const fake = new FakeSendGrid({ eu: account({ domains: [{ domain: 'euro.example', valid: true }] }) });

    const result = await new SendGridProvider({ api: fake }).verify({ apiKey });

    expect(result.region).toBe('eu');
    expect(fake.calls.some((call) => call.region === 'global' && call.path === '/v3/scopes')).toBe(true);
  });

  it('uses only the given region when one is given', async () => {
    const fake = new FakeSendGrid({ eu: account() });

    await expect(new SendGridProvider({ api: fake }).verify({ apiKey, region: 'global' })).rejects.toMatchObject({
      code: 'key_rejected',
      detail: expect.stringContaining('region'),
    });
    expect(fake.calls.every((call) => call.region === 'global')).toBe(true);
  });

  it('reports a key rejected in both regions as key_rejected', async () => {
    await expect(new SendGridProvider({ api: new FakeSendGrid({}) }).verify({ apiKey })).rejects.toMatchObject({
      code: 'key_rejected',
    });
  });

  it('refuses a malformed key without calling SendGrid', async () => {
    const fake = new FakeSendGrid({ global: account() });

    await expect(new SendGridProvider({ api: fake }).verify({ apiKey: 'SG.short' })).rejects.toMatchObject({
      code: 'invalid_key_format',
    });
    expect(fake.calls).toEqual([]);
  });

  it('names missing scopes and the setting that grants them', async () => {
    const fake = new FakeSendGrid({
      global: account({ scopes: goodScopes.filter((scope) => scope !== 'whitelabel.read') }),
    });

    const error = await new SendGridProvider({ api: fake }).verify({ apiKey }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(KeyVerificationError);
    expect(error).toMatchObject({
      code: 'missing_scopes',
      extensions: { missingScopes: [{ scope: 'whitelabel.read', grantedBy: 'Sender Authentication → Read Access' }] },
    });
  });

  it('refuses excess scopes and says which settings to switch off', async () => {
    const fake = new FakeSendGrid({ global: account({ scopes: [...goodScopes, 'stats.read', 'suppression.read'] }) });

    await expect(new SendGridProvider({ api: fake }).verify({ apiKey })).rejects.toMatchObject({
      code: 'excess_scopes',
      extensions: { excessScopes: ['stats.read', 'suppression.read'], settingsToSwitchOff: ['Stats', 'Suppressions'] },
    });
  });

  it('refuses a billing key', async () => {
    const fake = new FakeSendGrid({ global: account({ scopes: ['billing.read', 'billing.update'] }) });

    await expect(new SendGridProvider({ api: fake }).verify({ apiKey })).rejects.toMatchObject({ code: 'billing_key' });
  });

  it('refuses a key whose account has no valid authenticated domain', async () => {
    const fake = new FakeSendGrid({ global: account({ domains: [{ domain: 'pending.example', valid: false }] }) });

    await expect(new SendGridProvider({ api: fake }).verify({ apiKey })).rejects.toMatchObject({
      code: 'no_authenticated_domain',
    });
  });

  it.each([
    ['a 500', httpError('global', '/v3/scopes', 500)],
    ['a timeout', new SendGridApiError('timeout', 'global', '/v3/scopes', undefined, [], undefined)],
    ['a network failure', new SendGridApiError('network', 'global', '/v3/scopes', undefined, [], undefined)],
  ])('turns %s into a retryable upstream_unavailable', async (_label, failure) => {
    const fake = new FakeSendGrid({ global: { ...account(), '/v3/scopes': () => failure } });

    await expect(new SendGridProvider({ api: fake }).verify({ apiKey })).rejects.toMatchObject({
      code: 'upstream_unavailable',
      extensions: { retryable: true },
    });
  });

  it('passes the rate-limit reset on as retryAfterSeconds', async () => {
    const reset = Math.floor(Date.now() / 1000) + 30;
    const fake = new FakeSendGrid({
      global: { ...account(), '/v3/scopes': () => httpError('global', '/v3/scopes', 429, reset) },
    });

    const error = (await new SendGridProvider({ api: fake }).verify({ apiKey }).catch((caught: unknown) => caught)) as {
      extensions: { retryAfterSeconds: number };
    };

    expect(error.extensions.retryAfterSeconds).toBeGreaterThanOrEqual(29);
    expect(error.extensions.retryAfterSeconds).toBeLessThanOrEqual(31);
  });
});

describe('SendGridProvider.senderDomains', () => {
  it('reads the domains in the stored region', async () => {
    const fake = new FakeSendGrid({ eu: account({ domains: [{ domain: 'euro.example', valid: true }] }) });

    const domains = await new SendGridProvider({ api: fake }).senderDomains({ apiKey, region: 'eu' });

    expect(domains).toEqual([{ domain: 'euro.example', valid: true }]);
  });

  it('reports a key SendGrid no longer accepts as key_rejected', async () => {
    await expect(
      new SendGridProvider({ api: new FakeSendGrid({}) }).senderDomains({ apiKey, region: 'global' }),
    ).rejects.toMatchObject({ code: 'key_rejected' });
  });
});
