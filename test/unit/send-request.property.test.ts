import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeIssues, emailSendRequestedDetail } from '../../shared/sending/send-request.js';

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

  it('refuses CR or LF in every header-bound field', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('subject', 'fromName', 'toName', 'replyToName', 'category'),
        fc.string(),
        fc.constantFrom('\r', '\n', '\r\n'),
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
});
