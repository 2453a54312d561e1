/// <reference lib="dom" />
/**
 * The page's one way to the API: the session (tenant, language, which answers are still
 * wanted) and `api()`, which sends the headers every route expects and never throws.
 */
import type { Language } from './console-texts.js';

/** A JSON object as the page reads it. */
export type Json = Record<string, unknown>;

/** An API answer as the page reads it; status 0 means the request never got an answer. */
export interface Answer {
  status: number;
  body: Json;
  etag: string | null;
}

/** Who the page acts for and in which language; shared by every view. */
export const session: {
  language: Language;
  tenant: string;
  /** Bumped when the tenant changes: answers to older requests are dropped, not shown. */
  generation: number;
  /** The last write per action, so a retry of the very same request reuses its Idempotency-Key. */
  attempts: Map<string, { body: string; key: string }>;
} = { language: 'en', tenant: '', generation: 0, attempts: new Map() };

/** How one request is sent. */
export interface RequestOptions {
  body?: unknown;
  ifMatch?: string | undefined;
  ifNoneMatch?: string;
  /** Sends an Idempotency-Key, the same one while the same body is retried for this action. */
  idempotent?: string;
}

/** Calls the API as the session's tenant, in its language. */
export async function api(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = {
    'x-tenant-id': session.tenant,
    'accept-language': session.language,
  };
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (options.ifMatch) headers['if-match'] = options.ifMatch;
  if (options.ifNoneMatch) headers['if-none-match'] = options.ifNoneMatch;
  if (options.idempotent) headers['idempotency-key'] = idempotencyKey(options.idempotent, body ?? '');
  try {
    const response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body }) });
    const raw = await response.text();
    let parsed: Json = {};
    try {
      parsed = raw ? (JSON.parse(raw) as Json) : {};
    } catch {
      parsed = {};
    }
    if (options.idempotent && response.status !== 0) session.attempts.delete(options.idempotent);
    return { status: response.status, body: parsed, etag: response.headers.get('etag') };
  } catch {
    // No answer: keep the attempt, so pressing the button again replays rather than repeats.
    return { status: 0, body: {}, etag: null };
  }
}

function idempotencyKey(action: string, body: string): string {
  const last = session.attempts.get(action);
  if (last && last.body === body) return last.key;
  const key = crypto.randomUUID();
  session.attempts.set(action, { body, key });
  return key;
}

/** What the server that serves the page says about itself (the local runtime fills it in). */
export interface ConsoleConfig {
  /** Served by the local runtime: local-only helpers (e.g. publishing DNS records) may be offered. */
  localRuntime: boolean;
  /** A local SES sandbox runs, so records can be published in the local DNS server. */
  localSesSandbox: boolean;
  /** The Amazon SES regions tenants may pick; the first is the default. */
  sesRegions: string[];
}

/** The page's configuration from its `#console-config` block; a page without one is no local runtime. */
export function consoleConfig(): ConsoleConfig {
  const fallback: ConsoleConfig = { localRuntime: false, localSesSandbox: false, sesRegions: [] };
  try {
    const parsed = JSON.parse(document.getElementById('console-config')?.textContent || '{}') as Partial<ConsoleConfig>;
    return {
      localRuntime: parsed.localRuntime === true,
      localSesSandbox: parsed.localSesSandbox === true,
      sesRegions: Array.isArray(parsed.sesRegions) ? parsed.sesRegions.map(String) : [],
    };
  } catch {
    return fallback;
  }
}
