import * as z from 'zod';
import { PROBLEM_CATALOG, type ProblemCode } from '../problem-catalog.js';
import {
  integrationCardSchema,
  messagePageSchema,
  messageViewSchema,
  problemSchema,
  ROUTE_CONTRACTS,
  sesDomainListSchema,
  sesDomainSchema,
  testSendResultSchema,
  verificationSchema,
} from './api-contract.js';
import { API_ROUTES } from './api-routes.js';

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
    for (const success of contract.success) {
      responses[String(success.status)] = {
        description: success.description,
        ...(success.schema ? { content: { 'application/json': { schema: ref(success.schema) } } } : {}),
      };
    }
    for (const [status, codes] of groupByStatus(contract.problems)) {
      responses[String(status)] = {
        description: codes.map((code) => `\`${code}\`: ${PROBLEM_CATALOG[code].title}`).join('; '),
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
      security: [{ tenantJwt: [] }],
      ...(parameters.length > 0 ? { parameters } : {}),
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
        'Connect a tenant’s own SendGrid account: verify a restricted API key, save it encrypted with the senders picked, rotate it, edit senders, delete it, send a test email. The tenant comes only from the JWT’s tenant claim. Errors are RFC 9457 problem details with a stable `code`.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths,
    components: {
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
