import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type LocalRuntime, startLocalRuntime } from '../../local/local-runtime.js';
import type { SendGridSandbox } from '../../local/sendgrid-sandbox/index.js';

/** The local runtime started for one test file, with a fresh data folder. */
export interface LocalService {
  runtime: LocalRuntime;
  sandbox: SendGridSandbox;
  dataDir: string;
  /** A client that calls the API as the given tenant (no tenant header when undefined). */
  as(tenantId: string | undefined): ApiClient;
  /** Reads the local DynamoDB directly, as someone with table access would. */
  documents(): DynamoDBDocumentClient;
  close(): Promise<void>;
}

/** A response as a test reads it. */
export interface ApiAnswer {
  status: number;
  contentType: string | null;
  /** Every response header (ETag, Content-Language, …). */
  headers: Headers;
  body: Record<string, unknown> & { [key: string]: unknown };
  text: string;
}

/** Calls the API over HTTP, like the console does. */
export interface ApiClient {
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer>;
  verify(apiKey: string, region?: string): Promise<ApiAnswer>;
  save(apiKey: string, emails: string[], region?: string): Promise<ApiAnswer>;
  card(): Promise<ApiAnswer>;
  rotate(apiKey: string): Promise<ApiAnswer>;
  editEmails(emails: string[]): Promise<ApiAnswer>;
  remove(): Promise<ApiAnswer>;
}

/** Starts the local runtime (dynalite, local keyring, SendGrid sandbox) on free ports. */
export async function startLocalService(
  options: { sendGridTimeoutMs?: number; sesVerificationDelayMs?: number } = {},
): Promise<LocalService> {
  const dataDir = mkdtempSync(join(tmpdir(), 'email-integrations-e2e-'));
  const runtime = await startLocalRuntime({
    dataDir,
    port: 0,
    tenantClaim: 'tenant_id',
    ...(options.sendGridTimeoutMs === undefined ? {} : { sendGridTimeoutMs: options.sendGridTimeoutMs }),
    ...(options.sesVerificationDelayMs === undefined ? {} : { sesVerificationDelayMs: options.sesVerificationDelayMs }),
  });
  if (!runtime.sandbox) throw new Error('expected the embedded SendGrid sandbox');
  const sandbox = runtime.sandbox;
  return {
    runtime,
    sandbox,
    dataDir,
    as: (tenantId) => apiClient(runtime.url, tenantId),
    documents: () =>
      DynamoDBDocumentClient.from(
        new DynamoDBClient({
          endpoint: runtime.dynamoDb.endpoint,
          region: 'eu-central-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }),
      ),
    close: () => runtime.close(),
  };
}

/** An {@link ApiClient} for a base URL and tenant. */
export function apiClient(baseUrl: string, tenantId: string | undefined): ApiClient {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiAnswer> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(tenantId === undefined ? {} : { 'x-tenant-id': tenantId }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      headers: response.headers,
      body: text === '' ? {} : (JSON.parse(text) as ApiAnswer['body']),
      text,
    };
  };
  return {
    call,
    verify: (apiKey, region) =>
      call('POST', '/integrations/sendgrid/verify', { apiKey, ...(region ? { region } : {}) }),
    save: (apiKey, emails, region) =>
      call('PUT', '/integrations/sendgrid', { apiKey, emails, ...(region ? { region } : {}) }),
    card: () => call('GET', '/integrations/sendgrid'),
    rotate: (apiKey) => call('POST', '/integrations/sendgrid/rotate', { apiKey }),
    editEmails: (emails) => call('PUT', '/integrations/sendgrid/emails', { emails }),
    remove: () => call('DELETE', '/integrations/sendgrid'),
  };
}
