import http from 'node:http';
import https from 'node:https';
import type { Client } from '@sendgrid/client';
import type { ClientRequest } from '@sendgrid/client/src/request.js';
import { SENDGRID_HOSTS, type SendGridRegion } from './sendgrid-facts.js';

/** One entry of SendGrid's error body `{"errors":[{message, field, help}]}`. */
export interface SendGridErrorItem {
  message: string;
  field?: string | null;
}

/** A SendGrid answer with a status below 400. */
export interface SendGridResponse<T> {
  status: number;
  body: T;
  headers: Record<string, string>;
}

type FailureKind = 'http' | 'timeout' | 'network';

/**
 * A SendGrid call failed. Built from scratch rather than wrapping the HTTP client's error,
 * because that error carries the request and its `Authorization` header: this one carries
 * only the status, SendGrid's messages and the rate-limit reset, and is safe to log.
 */
export class SendGridApiError extends Error {
  override readonly name = 'SendGridApiError';

  constructor(
    readonly kind: FailureKind,
    readonly region: SendGridRegion,
    readonly path: string,
    readonly status: number | undefined,
    readonly errors: SendGridErrorItem[],
    /** Epoch seconds from `X-RateLimit-Reset`, on 429. */
    readonly rateLimitReset: number | undefined,
    /** The socket error code of a network failure (`ECONNREFUSED` …): never request data. */
    readonly networkCode?: string,
  ) {
    super(
      kind === 'http'
        ? `SendGrid answered ${status} on ${path}${errors[0] ? `: ${errors[0].message}` : ''}`
        : `SendGrid ${kind === 'timeout' ? 'timed out' : 'could not be reached'} on ${path}`,
    );
  }

  /**
   * Whether the request certainly never reached SendGrid: the connection was never made.
   * A timeout or a reset after connecting leaves the outcome unknown (see the send ledger).
   */
  get certainlyNotReceived(): boolean {
    return this.kind === 'network' && NOT_CONNECTED_CODES.has(this.networkCode ?? '');
  }
}

/** Socket errors raised before a connection exists, so no request byte was sent. */
const NOT_CONNECTED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Options for {@link SendGridApi}. */
export interface SendGridApiOptions {
  /** Base URLs per region; default SendGrid's public hosts. */
  baseUrls?: Partial<Record<SendGridRegion, string>>;
  /** Per-request timeout; keep it below the calling function's own timeout. */
  timeoutMs?: number;
  /** A ready-made `@sendgrid/client` instance (tests); default one built here. */
  client?: Client;
}

/** Axios options that `@sendgrid/client` passes through but does not declare. */
type TransportDefaults = ClientRequest & {
  timeout: number;
  httpAgent: http.Agent;
  httpsAgent: https.Agent;
  maxRedirects: number;
  proxy: false;
};

/**
 * Thin, tenant-agnostic transport to SendGrid's v3 API on `@sendgrid/client`. The key is
 * passed per call as a header, never set on the shared client, so one warm instance can
 * serve many tenants concurrently without one tenant's key leaking into another's request.
 */
export class SendGridApi {
  private client: Promise<Client> | undefined;
  private readonly baseUrls: Record<SendGridRegion, string>;
  private readonly timeoutMs: number;

  constructor(options: SendGridApiOptions = {}) {
    this.baseUrls = { ...SENDGRID_HOSTS, ...stripUndefined(options.baseUrls ?? {}) };
    this.timeoutMs = options.timeoutMs ?? 5_000;
    if (options.client) this.client = Promise.resolve(this.configured(options.client));
  }

  /**
   * The HTTP client, loaded on the first call: `@sendgrid/client` brings axios, a third of a
   * bundle's load time, which a cold start then pays only when it calls SendGrid.
   */
  private sendGridClient(): Promise<Client> {
    // Its typings declare only the default instance; the class is the module's `Client` export.
    this.client ??= import('@sendgrid/client').then((module) =>
      this.configured(new (module as unknown as { Client: new () => Client }).Client()),
    );
    return this.client;
  }

  private configured(client: Client): Client {
    const defaults: TransportDefaults = {
      url: '',
      timeout: this.timeoutMs,
      // Keep-alive: warm functions reuse TLS connections to SendGrid.
      httpAgent: new http.Agent({ keepAlive: true }),
      httpsAgent: new https.Agent({ keepAlive: true }),
      // SendGrid's API answers, it never redirects: a request carrying a tenant's key is never
      // replayed to another address, and axios then talks to Node's http directly instead of
      // through follow-redirects' extra stream (a few per cent of a send's CPU in the benchmark).
      maxRedirects: 0,
      // Like the AWS SDK, ignore HTTP(S)_PROXY variables, instead of reading them on every request.
      proxy: false,
    };
    client.setDefaultRequest(defaults);
    return client;
  }

  /** GET a path on the region's host as the given key. */
  get<T>(region: SendGridRegion, apiKey: string, path: string, query?: Record<string, string | number>) {
    return this.request<T>(region, apiKey, 'GET', path, query, undefined);
  }

  /** POST a JSON body to a path on the region's host as the given key. */
  post<T>(region: SendGridRegion, apiKey: string, path: string, body: unknown) {
    return this.request<T>(region, apiKey, 'POST', path, undefined, body);
  }

  private async request<T>(
    region: SendGridRegion,
    apiKey: string,
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string | number> | undefined,
    body: unknown,
  ): Promise<SendGridResponse<T>> {
    try {
      const client = await this.sendGridClient();
      const [response] = await client.request({
        baseUrl: this.baseUrls[region],
        url: path,
        method,
        qs: query,
        body,
        headers: { Authorization: `Bearer ${apiKey}` },
      });
      return { status: response.statusCode, body: response.body as T, headers: lowerCaseHeaders(response.headers) };
    } catch (error) {
      throw toSendGridApiError(error, region, path);
    }
  }
}

/** Reduces whatever the HTTP client threw to a {@link SendGridApiError} with no request data in it. */
function toSendGridApiError(error: unknown, region: SendGridRegion, path: string): SendGridApiError {
  const failure = error as { code?: unknown; response?: { headers?: unknown; body?: unknown } };
  if (typeof failure.code === 'number' && failure.response) {
    const headers = lowerCaseHeaders(failure.response.headers);
    const reset = Number(headers['x-ratelimit-reset']);
    return new SendGridApiError(
      'http',
      region,
      path,
      failure.code,
      errorItems(failure.response.body),
      Number.isFinite(reset) && reset > 0 ? reset : undefined,
    );
  }
  const timedOut = failure.code === 'ECONNABORTED' || failure.code === 'ETIMEDOUT';
  const networkCode = typeof failure.code === 'string' ? failure.code : undefined;
  return new SendGridApiError(timedOut ? 'timeout' : 'network', region, path, undefined, [], undefined, networkCode);
}

function errorItems(body: unknown): SendGridErrorItem[] {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors
    .filter((item): item is { message: unknown; field?: unknown } => typeof item === 'object' && item !== null)
    .map((item) => ({
      message: String(item.message ?? '').slice(0, 500),
      field: typeof item.field === 'string' ? item.field : null,
    }));
}

function lowerCaseHeaders(headers: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (typeof headers !== 'object' || headers === null) return result;
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && value !== null) result[name.toLowerCase()] = String(value);
  }
  return result;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
