import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { referenceDocument } from '../reference-documents.js';
import type { SendGridErrorItem } from './replies.js';
/** SendGrid's OpenAPI documents the sandbox judges requests by: ../shared's own when beside the repository, else the byte-for-byte copies in ./openapi/. */
/** SendGrid's OpenAPI documents the sandbox judges requests by, copied byte for byte into ./openapi/. */
export type SendGridDocumentName =
  | 'tsg_mail_v3'
  | 'tsg_scopes_v3'
  | 'tsg_domain_authentication_v3'
  | 'tsg_verified_senders_v3'
  | 'tsg_webhooks_v3';

/** Checks one part of a request; no items means it matches the document. */
export type RequestCheck<Input> = (input: Input) => SendGridErrorItem[];

/**
 * What the documents' `format: email` means here. Loose on purpose, like SendGrid: it refuses addresses
 * without a local part or a dotted domain.
 */
export const EMAIL_PATTERN = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;

/** A body with hundreds of bad addresses would otherwise produce hundreds of errors. */
export const MAX_REPORTED_ERRORS = 25;

type JsonObject = Record<string, unknown>;

interface Operation {
  parameters?: Array<JsonObject>;
  requestBody?: JsonObject;
}

const DOCUMENT_FOLDER = new URL('./openapi/', import.meta.url);
const documents = new Map<SendGridDocumentName, JsonObject>();

// Two validators: query strings arrive as text and are coerced to the documented types; bodies never are.
// `strict: false` lets OpenAPI's own keywords (`example`, `discriminator`, …) pass as annotations; formats other
// than `email` (e.g. `date-time` in answers) only annotate, hence no logger warnings for them.
const bodyAjv = new Ajv2020({ strict: false, allErrors: true, logger: false, formats: { email: EMAIL_PATTERN } });
const queryAjv = new Ajv2020({
  strict: false,
  allErrors: true,
  coerceTypes: true,
  logger: false,
  formats: { email: EMAIL_PATTERN },
});

/**
 * A check of an operation's JSON request body by the document's own schema (JSON Schema 2020-12, as
 * OpenAPI 3.1 says). `help` gives the `help` link of an error's field; without it `help` is null.
 */
export function requestBodyCheck(
  name: SendGridDocumentName,
  method: string,
  path: string,
  help?: (field: string | null) => string | null,
): RequestCheck<unknown> {
  const validate = once(() => {
    const requestBody = operationOf(name, method, path).requestBody;
    if (!requestBody) throw new Error(`${name}: ${method} ${path} has no request body.`);
    const bodyPointer =
      typeof requestBody.$ref === 'string'
        ? requestBody.$ref
        : `#/paths/${pointerSegment(path)}/${method.toLowerCase()}/requestBody`;
    return compileAt(bodyAjv, name, `${bodyPointer}/content/application~1json/schema`);
  });
  return (body) => errorItems(validate(), body, help);
}

/**
 * A check of an operation's query parameters by their documented schemas, after coercing the text to
 * the documented type (so `limit=ten` fails where the document says integer). Unknown parameters pass,
 * as SendGrid ignores them.
 */
export function queryCheck(name: SendGridDocumentName, method: string, path: string): RequestCheck<URLSearchParams> {
  const compiled = once(() => {
    const document = loadDocument(name);
    const parameters = (operationOf(name, method, path).parameters ?? [])
      .map((parameter) =>
        typeof parameter.$ref === 'string' ? (resolve(document, parameter.$ref) as JsonObject) : parameter,
      )
      .filter((parameter) => parameter.in === 'query');
    const schema = {
      type: 'object',
      properties: Object.fromEntries(parameters.map((parameter) => [parameter.name, parameter.schema ?? {}])),
      required: parameters.filter((parameter) => parameter.required === true).map((parameter) => parameter.name),
    };
    const names = new Set(parameters.map((parameter) => String(parameter.name)));
    return { validate: queryAjv.compile(withNullableTypes(schema) as JsonObject), names };
  });
  return (query) => {
    const { validate, names } = compiled();
    const values = Object.fromEntries([...query.entries()].filter(([key]) => names.has(key)));
    return errorItems(validate, values);
  };
}

/** Compiled on first use: `npm run ops` and most tests never need most of the documents. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= make();
    return value;
  };
}

/** The parsed document (cached); its `nullable` marks already turned into JSON Schema type unions. */
export function loadDocument(name: SendGridDocumentName): JsonObject {
  let document = documents.get(name);
  if (!document) {
    const file = referenceDocument(`sendgrid/openapi/${name}.json`, new URL(`${name}.json`, DOCUMENT_FOLDER));
    const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    document = withNullableTypes(raw) as JsonObject;
    documents.set(name, document);
  }
  return document;
}

function operationOf(name: SendGridDocumentName, method: string, path: string): Operation {
  const operation = (loadDocument(name).paths as Record<string, Record<string, Operation>> | undefined)?.[path]?.[
    method.toLowerCase()
  ];
  if (!operation) throw new Error(`${name} documents no ${method} ${path}.`);
  return operation;
}

function compileAt(ajv: Ajv2020, name: SendGridDocumentName, pointer: string): ValidateFunction {
  const id = `https://sendgrid-sandbox.local/openapi/${name}.json`;
  if (!ajv.getSchema(id)) ajv.addSchema({ ...loadDocument(name), $id: id });
  return ajv.compile({ $ref: `${id}${pointer}` });
}

/**
 * OpenAPI 3.0's `nullable: true` (which these 3.1 documents still use) means "or null"; JSON Schema
 * ignores the keyword, so it becomes a type union.
 */
function withNullableTypes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withNullableTypes);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value as JsonObject).map(([key, inner]) => [key, withNullableTypes(inner)] as const);
  const object = Object.fromEntries(entries) as JsonObject;
  if (object.nullable === true && typeof object.type === 'string') object.type = [object.type, 'null'];
  return object;
}

function resolve(document: JsonObject, ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, segment) => (node as JsonObject | undefined)?.[segment], document);
}

function pointerSegment(text: string): string {
  return text.replaceAll('~', '~0').replaceAll('/', '~1');
}

function errorItems(
  validate: ValidateFunction,
  input: unknown,
  help?: (field: string | null) => string | null,
): SendGridErrorItem[] {
  if (validate(input)) return [];
  const items = new Map<string, SendGridErrorItem>();
  for (const error of validate.errors ?? []) {
    const field = fieldOf(error);
    const message = messageOf(error, field);
    items.set(`${field} ${message}`, { message, field, help: help?.(field) ?? null });
  }
  return [...items.values()].slice(0, MAX_REPORTED_ERRORS);
}

/** SendGrid names fields with dots and indexes: `personalizations.0.to.1.email`. */
function fieldOf(error: ErrorObject): string | null {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
  return segments.length > 0 ? segments.join('.') : null;
}

function messageOf(error: ErrorObject, field: string | null): string {
  if (error.keyword === 'required') return `The ${field} field is required.`;
  if (error.keyword === 'format' && error.params.format === 'email') {
    return `The ${field} field does not contain a valid address.`;
  }
  return `${field === null ? 'The body' : `The ${field} field`} ${error.message ?? 'is invalid'}.`;
}
