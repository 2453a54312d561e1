import * as z from 'zod';
import { LANGUAGES, problemTitle } from '../message-catalog.js';
import { PROBLEM_CATALOG, type ProblemCode } from '../problem-catalog.js';
import {
  eventWebhookSchema,
  integrationCardSchema,
  messagePageSchema,
  messageViewSchema,
  problemSchema,
  ROUTE_CONTRACTS,
  type RouteContract,
  sesDomainListSchema,
  sesDomainSchema,
  suppressionPageSchema,
  suppressionSchema,
  testSendResultSchema,
  verificationSchema,
} from './api-contract.js';
import { API_ROUTES, PUBLIC_ROUTE_HANDLERS } from './api-routes.js';

type JsonObject = Record<string, unknown>;

/** JSON Schema 2020-12 (OpenAPI 3.1's own dialect) of a zod schema. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const converted = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as JsonObject;
  delete converted.$schema;
  return converted;
}

const NAMED = new Map<z.ZodType, string>([
  [integrationCardSchema, 'IntegrationCard'],
  [verificationSchema, 'KeyVerification'],
  [testSendResultSchema, 'TestSendResult'],
  [messageViewSchema, 'Message'],
  [messagePageSchema, 'MessagePage'],
  [sesDomainSchema, 'SesDomain'],
  [sesDomainListSchema, 'SesDomainList'],
  [suppressionSchema, 'Suppression'],
  [suppressionPageSchema, 'SuppressionPage'],
  [eventWebhookSchema, 'EventWebhook'],
  [problemSchema, 'Problem'],
]);

const ref = (schema: z.ZodType) => ({ $ref: `#/components/schemas/${NAMED.get(schema)}` });

/**
 * The OpenAPI 3.1 document of the HTTP API, built from the routes list, the request schemas the
 * handlers validate with and the response contract: one source of truth.
 */
export function buildOpenApiDocument(options: { serverUrl?: string } = {}): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of API_ROUTES) {
    const contract = ROUTE_CONTRACTS[route.handler];
    const responses: JsonObject = {};
    const carriesCard = (schema: z.ZodType | undefined) => schema === integrationCardSchema;
    for (const success of contract.success) {
      responses[String(success.status)] = {
        description: success.description,
        headers: {
          ...(success.status === 304 || carriesCard(success.schema)
            ? { ETag: { $ref: '#/components/headers/ETag' } }
            : {}),
          ...(success.status === 304 ? {} : { 'Content-Language': { $ref: '#/components/headers/ContentLanguage' } }),
        },
        ...(success.schema ? { content: { 'application/json': { schema: ref(success.schema) } } } : {}),
      };
    }
    for (const [status, codes] of groupByStatus(contract.problems)) {
      responses[String(status)] = {
        description: codes.map((code) => `\`${code}\`: ${problemTitle(code, 'en')}`).join('; '),
        headers: { 'Content-Language': { $ref: '#/components/headers/ContentLanguage' } },
        content: {
          'application/problem+json': {
            schema: {
              allOf: [ref(problemSchema), { properties: { code: { enum: codes }, status: { const: status } } }],
            },
          },
        },
      };
    }
    const parameters = [
      ...[...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
        name,
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      ...Object.entries(contract.query?.shape ?? {}).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        ...((schema as z.ZodType).description ? { description: (schema as z.ZodType).description } : {}),
        schema: { type: 'string' },
      })),
    ];
    paths[route.path] ??= {};
    (paths[route.path] as JsonObject)[route.method.toLowerCase()] = {
      operationId: camelCase(route.handler),
      summary: contract.summary,
      // Public routes check their caller themselves (a provider's signature).
      security: PUBLIC_ROUTE_HANDLERS.has(route.handler) ? [] : [{ tenantJwt: [] }],
      parameters: [...parameters, ...headerParameters(contract)],
      ...(contract.request
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(contract.request, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'email-integrations',
      version: '1.0.0',
      description:
        'Connect a tenant’s own SendGrid account: verify a restricted API key, save it encrypted with the senders picked, rotate it, edit senders, delete it, send a test email. The tenant comes only from the JWT’s tenant claim. Errors are RFC 9457 problem details with a stable `code`, their title and detail in the language of Accept-Language (English, German). Writes honour If-Match with the card’s ETag (412 when stale) and saving If-None-Match: * (create only); clients should send them. Save and test send honour Idempotency-Key.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths,
    components: {
      parameters: HEADER_PARAMETERS,
      headers: {
        ETag: {
          description:
            'The card’s entity tag (RFC 9110). Send it back as If-Match on rotate, edit, replace and delete so a stale view cannot overwrite a newer change (412 precondition_failed).',
          schema: { type: 'string' },
        },
        ContentLanguage: {
          description: 'The language of `title`, `detail` and `statusLabel`: `en` or `de`.',
          schema: { type: 'string', enum: [...LANGUAGES] },
        },
      },
      securitySchemes: {
        tenantJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A JWT from the product’s identity provider carrying the tenant claim.',
        },
      },
      schemas: Object.fromEntries([...NAMED].map(([schema, id]) => [id, jsonSchema(schema, 'output')])),
    },
  };
}

const HEADER_PARAMETERS = {
  AcceptLanguage: {
    name: 'Accept-Language',
    in: 'header',
    required: false,
    description:
      'The language of problem titles and details and of the card’s status label: English (default) or German (`de`). Codes never change.',
    schema: { type: 'string', examples: ['de-DE,de;q=0.9,en;q=0.5'] },
  },
  IfMatch: {
    name: 'If-Match',
    in: 'header',
    required: false,
    description:
      'The ETag of the card the client acts on. If the integration changed (or is gone) since, the answer is 412 precondition_failed and nothing changes. Clients should always send it.',
    schema: { type: 'string' },
  },
  IfNoneMatchSave: {
    name: 'If-None-Match',
    in: 'header',
    required: false,
    description:
      '`*`: create only. If the tenant already has an integration (saved in another window, say), the answer is 412 precondition_failed and nothing changes.',
    schema: { type: 'string', const: '*' },
  },
  IfNoneMatchRead: {
    name: 'If-None-Match',
    in: 'header',
    required: false,
    description: 'An ETag the client holds: 304 Not Modified when it is still current.',
    schema: { type: 'string' },
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'A unique key per intended request (1–255 visible ASCII characters, e.g. a UUID). The same request again within 24 hours answers the first result (header `Idempotent-Replayed: true`) and sends or saves nothing twice; the same key with a different request is 422 idempotency_key_reused; while the first still runs, 409 idempotency_key_in_use.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  },
} as const;

/** The header parameters a route's contract honours. */
function headerParameters(contract: RouteContract): JsonObject[] {
  const names: Array<keyof typeof HEADER_PARAMETERS> = ['AcceptLanguage'];
  if (contract.conditional === 'write' || contract.conditional === 'save') names.push('IfMatch');
  if (contract.conditional === 'save') names.push('IfNoneMatchSave');
  if (contract.conditional === 'read') names.push('IfNoneMatchRead');
  if (contract.idempotent) names.push('IdempotencyKey');
  return names.map((name) => ({ $ref: `#/components/parameters/${name}` }));
}

function groupByStatus(codes: ProblemCode[]): Map<number, ProblemCode[]> {
  const groups = new Map<number, ProblemCode[]>();
  for (const code of new Set(codes)) {
    const { status } = PROBLEM_CATALOG[code];
    groups.set(status, [...(groups.get(status) ?? []), code]);
  }
  return new Map([...groups].sort(([a], [b]) => a - b));
}

function camelCase(name: string): string {
  return name.replace(/-(\w)/g, (_match, letter: string) => letter.toUpperCase());
}
