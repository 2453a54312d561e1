import type { IncomingHttpHeaders } from 'node:http';

/**
 * Guards the local runtime (and the SendGrid sandbox's control API) against the web pages a
 * developer visits. A page on another site can send requests to 127.0.0.1 (CSRF), and a page on
 * a name its owner re-points at 127.0.0.1 can even read the answers (DNS rebinding); the local
 * runtime has no login. So: the `Host` must be a loopback name, and a state-changing request
 * that carries an `Origin` must come from the server's own origin. Tools (curl, tests, the ops
 * CLI) send no `Origin` and are unaffected.
 */

/** A refusal, in the shape both the runtime and the sandbox write. */
export interface LocalRefusal {
  status: 403;
  headers: Record<string, string>;
  body: string;
}

/** Methods that only read; every other one may change state. */
const READ_ONLY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `localhost` (and its subdomains, which browsers resolve to loopback), 127.0.0.0/8 and [::1]. */
export function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    /^127(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(name) ||
    name === '[::1]' ||
    name === '::1'
  );
}

/** The host name of a `Host` header value, or undefined when it is not one. */
function hostnameOf(value: string): string | undefined {
  try {
    return new URL(`http://${value}`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * Why a request must be refused, or undefined when it may proceed. `port` is the port this
 * server listens on: the only one its own pages can have as their origin.
 */
export function localRequestRefusal(
  request: { method?: string | undefined; headers: IncomingHttpHeaders },
  port: number,
): LocalRefusal | undefined {
  const host = request.headers.host;
  const hostname = host === undefined ? undefined : hostnameOf(host);
  if (hostname === undefined || !isLoopbackName(hostname)) {
    return refusal(
      'host_not_loopback',
      'This host name is not allowed',
      `The local runtime answers only requests addressed to localhost, 127.0.0.1 or [::1] (this one was addressed to "${host ?? ''}"), so a web site cannot reach it by pointing its own name at your machine. Open http://127.0.0.1:${port}/ instead.`,
    );
  }
  if (READ_ONLY_METHODS.has((request.method ?? 'GET').toUpperCase())) return undefined;
  const origin = request.headers.origin;
  if (origin === undefined || isOwnOrigin(origin, port)) return undefined;
  return refusal(
    'cross_site_request',
    'Request from another site refused',
    `The local runtime accepts changes only from its own pages (http://127.0.0.1:${port}/) and from tools that send no Origin header (curl, scripts, tests); this request came from "${origin}". If you meant to do this, use the console page at http://127.0.0.1:${port}/ or curl.`,
  );
}

/** An http origin on a loopback name and this server's port. */
function isOwnOrigin(origin: string, port: number): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, file: pages) and anything malformed
  }
  return url.protocol === 'http:' && isLoopbackName(url.hostname) && url.port === String(port) && url.origin === origin;
}

function refusal(code: string, title: string, detail: string): LocalRefusal {
  return {
    status: 403,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
    body: JSON.stringify({ type: `urn:email-integrations:problem:${code}`, title, status: 403, detail, code }),
  };
}
