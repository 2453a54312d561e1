import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, PUBLIC_ROUTE_HANDLERS } from '../../shared/http/api-routes.js';
import { PROBLEM_CATALOG } from '../../shared/problem-catalog.js';
import { type ApiAnswer, type LocalService, startLocalService } from './local-service.js';

let service: LocalService;
const tenant = 'fuzzed-tenant';
let cardBefore: string;

beforeAll(async () => {
  service = await startLocalService();
  const saved = await service.as(tenant).save(service.sandbox.key('good').apiKey, ['info@acme.example']);
  expect(saved.status).toBe(201);
  cardBefore = (await service.as(tenant).card()).text;
});
afterAll(() => service?.close());

/** Strings that have broken services before: control characters, CR/LF, odd Unicode, huge ones. */
const nastyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    'info@acme.example\r\nBcc: victim@example.com',
    'info@acme.example\nX-Injected: 1',
    '"info"@acme.example',
    'INFO@ACME.EXAMPLE',
    'info@acme.example\u0000',
    'ínfo@acmé.example',
    '\u202einfo@acme.example',
    '<script>@acme.example',
    'SG.not-a-key',
    `SG.${'a'.repeat(22)}.${'b'.repeat(42)}`,
    '',
    ' ',
  ),
  fc.integer({ min: 1_000, max: 40_000 }).map((length) => 'x'.repeat(length)),
);

/** Sender lists that must be refused: bad addresses, duplicates in any case, too many, or none. */
const badEmails = fc.oneof(
  fc.array(nastyString, { maxLength: 5 }),
  fc.constant(['info@acme.example', 'Info@Acme.Example']),
  fc.constant(Array.from({ length: 51 }, (_, index) => `s${index}@acme.example`)),
  fc.constant([]),
  fc
    .array(fc.emailAddress(), { minLength: 1, maxLength: 3 })
    .map((emails) => emails.map((email) => `${email}.invalid`)),
);

/** A body for a route: garbage JSON, wrong types, missing or unknown fields, nasty values. */
const badBody = fc.oneof(
  fc.string().map((text) => `{${text}`),
  fc.jsonValue().filter((value) => typeof value !== 'object' || value === null || Array.isArray(value)),
  fc.record({ apiKey: fc.oneof(nastyString, fc.integer(), fc.constant(null)) }, { requiredKeys: [] }),
  fc.record({ apiKey: nastyString, emails: badEmails, region: fc.oneof(fc.constant('mars'), nastyString) }),
  fc.record({ emails: badEmails }),
  fc.record({ emails: fc.oneof(fc.string(), fc.integer(), fc.dictionary(fc.string(), fc.string())) }),
  fc.record({ to: nastyString, from: nastyString, sandbox: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] }),
  fc.record({ apiKey: fc.constant('x'), tenantId: fc.constant('someone-else') }),
);

function expectCleanProblem(answer: ApiAnswer, label: string): void {
  expect(answer.status, `${label}: ${answer.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(answer.status, `${label}: ${answer.text.slice(0, 300)}`).toBeLessThan(500);
  expect(answer.contentType).toContain('application/problem+json');
  expect(Object.keys(PROBLEM_CATALOG)).toContain(answer.body.code);
  expect(String(answer.body.detail).length).toBeGreaterThan(0);
}

describe('bad input, generated (fast-check)', () => {
  const routesWithBody = API_ROUTES.filter((route) => route.method === 'POST' || route.method === 'PUT');

  it.each(routesWithBody.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s answers a clean 4xx problem and writes nothing',
    async (label, route) => {
      await fc.assert(
        fc.asyncProperty(badBody, async (body) => {
          const answer = await service
            .as(tenant)
            .call(route.method, route.path, typeof body === 'string' ? body : body);
          // A test send of a fuzzed body may legitimately be accepted only with a plain `to` address.
          if (route.handler === 'send-test-email' && answer.status === 200) return;
          expectCleanProblem(answer, label);
          expect((await service.as(tenant).card()).text).toBe(cardBefore);
        }),
        { numRuns: 40 },
      );
    },
  );

  it('answers 401 for any request without a tenant, on every route', async () => {
    // Public routes (a provider's webhook) have no tenant claim: they answer 403 to anything unsigned.
    for (const route of API_ROUTES.filter((candidate) => !PUBLIC_ROUTE_HANDLERS.has(candidate.handler))) {
      const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : { apiKey: 'x', emails: [] };
      const answer = await service.as(undefined).call(route.method, route.path, body);
      expect(answer.status, `${route.method} ${route.path}`).toBe(401);
      expectCleanProblem(answer, route.path);
    }
    for (const route of API_ROUTES.filter((candidate) => PUBLIC_ROUTE_HANDLERS.has(candidate.handler))) {
      const answer = await service.as(undefined).call(route.method, route.path, []);
      expect(answer.status, `${route.method} ${route.path}`).toBe(403);
      expectCleanProblem(answer, route.path);
    }
  });

  it('answers tenant ids that are odd, huge or injected with a clean problem, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(nastyString, async (tenantId) => {
        let answer: ApiAnswer;
        try {
          answer = await service.as(tenantId).card();
        } catch {
          return; // fetch refuses header values with CR/LF itself: nothing reached the service.
        }
        // 404 (no integration), 401 (not a usable tenant) or 431 (the header is too large for HTTP itself).
        expect([401, 404, 431]).toContain(answer.status);
      }),
      { numRuns: 40 },
    );
    expect((await service.as(tenant).card()).text).toBe(cardBefore);
  });
});
