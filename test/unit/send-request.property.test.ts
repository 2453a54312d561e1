import { Logger } from '@aws-lambda-powertools/logger';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UpstreamUnavailableError } from '../../shared/problem-catalog.js';
import { EmailDispatcher } from '../../shared/sending/email-dispatcher.js';
import { MailAccounts } from '../../shared/sending/mail-accounts.js';
import { describeIssues, emailSendRequestedDetail } from '../../shared/sending/send-request.js';
import { SendingCredentials } from '../../shared/sending/sending-credentials.js';
import { TENANT_ID_PATTERN } from '../../shared/tenant-id.js';
import { MemoryLedger } from '../support/memory-send-ledger.js';

const valid = {
  tenantId: 'tenant-a',
  messageId: 'm-1',
  audience: 'customer',
  to: [{ email: 'jane@customer.example' }],
  subject: 'Hello',
  text: 'Hi',
};

/** Values that have broken parsers before. */
const anyValue = fc.oneof(fc.jsonValue(), fc.string({ unit: 'grapheme' }), fc.constant(undefined), fc.constant(null));

describe('the "Email Send Requested" schema, generated input (fast-check)', () => {
  it('never throws, whatever the event holds: it keeps an accepted event as given, or names what is wrong', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(...Object.keys(valid), 'from', 'cc', 'bcc', 'html', 'templateId', 'extra'),
          anyValue,
        ),
        (changes) => {
          const input = { ...valid, ...changes };
          const result = emailSendRequestedDetail.safeParse(input);
          if (result.success) expect(result.data).toEqual(input);
          else expect(describeIssues(result.error)).toMatch(/^(detail|[A-Za-z]+)\b/);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses CR, LF, NUL, U+0085, U+2028 and U+2029 in every header-bound field and custom arg', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('subject', 'fromName', 'toName', 'replyToName', 'category', 'customArgKey', 'customArgValue'),
        fc.string(),
        fc.constantFrom('\r', '\n', '\r\n', '\0', '\u0085', '\u2028', '\u2029'),
        fc.string(),
        (field, before, breakChars, after) => {
          const value = `${before}${breakChars}Bcc: victim@example.com${after}`;
          const detail = {
            ...valid,
            ...(field === 'subject' ? { subject: value } : {}),
            ...(field === 'fromName' ? { fromName: value } : {}),
            ...(field === 'toName' ? { to: [{ email: 'jane@customer.example', name: value }] } : {}),
            ...(field === 'replyToName' ? { replyTo: { email: 'help@acme.example', name: value } } : {}),
            ...(field === 'category' ? { categories: [value] } : {}),
            ...(field === 'customArgKey' ? { customArgs: { [value]: 'x' } } : {}),
            ...(field === 'customArgValue' ? { customArgs: { campaign: value } } : {}),
          };
          expect(emailSendRequestedDetail.safeParse(detail).success).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses more than 1,000 recipients however they are split across to, cc and bcc', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_200 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 100 }),
        (to, cc, bcc) => {
          const addresses = (prefix: string, count: number) =>
            Array.from({ length: count }, (_, index) => ({ email: `${prefix}${index}@customer.example` }));
          const detail = { ...valid, to: addresses('t', to), cc: addresses('c', cc), bcc: addresses('b', bcc) };
          expect(emailSendRequestedDetail.safeParse(detail).success).toBe(to + cc + bcc <= 1_000);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('bounds templateData in depth and in size', () => {
    const template = { ...valid, subject: undefined, text: undefined, templateId: 'd-1' };
    const nested = (depth: number): Record<string, unknown> => (depth <= 1 ? { leaf: 1 } : { next: nested(depth - 1) });
    expect(emailSendRequestedDetail.safeParse({ ...template, templateData: nested(8) }).success).toBe(true);
    expect(emailSendRequestedDetail.safeParse({ ...template, templateData: nested(9) }).success).toBe(false);
    expect(
      emailSendRequestedDetail.safeParse({ ...template, templateData: { blob: 'x'.repeat(99_000) } }).success,
    ).toBe(true);
    expect(
      emailSendRequestedDetail.safeParse({ ...template, templateData: { blob: 'x'.repeat(100_001) } }).success,
    ).toBe(false);
  });

  it('names a repeated recipient by list and index, never by address', () => {
    const result = emailSendRequestedDetail.safeParse({
      ...valid,
      to: [{ email: 'jane@customer.example' }],
      bcc: [{ email: 'max@customer.example' }, { email: 'JANE@customer.example' }],
    });
    expect(result.success).toBe(false);
    const described = result.success ? '' : describeIssues(result.error);
    expect(described).toContain('bcc.1.email');
    expect(described).not.toMatch(/jane@/i);
  });
});

/** What DynamoDB does with a string holding a lone surrogate: refuses the write (the SDK's error, wrapped). */
class WellFormedOnlyLedger extends MemoryLedger {
  override async recordRejected(...args: Parameters<MemoryLedger['recordRejected']>) {
    if (args.some((value) => /\p{Cs}/u.test(value))) throw new UpstreamUnavailableError('DynamoDB');
    return super.recordRejected(...args);
  }
}

describe('EmailDispatcher, generated tenant ids (fast-check)', () => {
  it('files a tenant id the API would refuse (a lone surrogate, …) as a permanent invalid_event, never a retry', async () => {
    const unusedAccounts = new MailAccounts({
      credentials: new SendingCredentials({
        repository: { get: async () => undefined },
        cipher: { decrypt: async () => '' },
      }),
      repository: {
        get: async () => undefined,
        update: async () => {
          throw new Error('not expected');
        },
      },
      transports: { sendgrid: { send: async () => ({ providerMessageId: null }) } },
      now: () => new Date(0),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 140 }),
          fc.string({ maxLength: 20 }).map((text) => `tenant-${text}\ud800`),
          fc.string({ minLength: 129, maxLength: 200 }),
          fc.constantFrom('', ' tenant', 'tenant a', '-tenant', 'tenant\u2028a', '\udc00'),
        ),
        async (tenantId) => {
          fc.pre(!TENANT_ID_PATTERN.test(tenantId));
          const ledger = new WellFormedOnlyLedger();
          const dispatcher = new EmailDispatcher({
            accounts: unusedAccounts,
            ledger,
            logger: new Logger({ logLevel: 'SILENT' }),
            leaseMs: 60_000,
            now: () => new Date(0),
          });
          const outcome = await dispatcher.dispatch({ ...valid, tenantId }, 'e-1');
          expect(outcome).toMatchObject({ kind: 'failed', code: 'invalid_event' });
          expect([...ledger.entries.values()].map((entry) => entry.tenantId)).toEqual(['unknown-tenant']);
        },
      ),
      { numRuns: 200 },
    );
  });
});
