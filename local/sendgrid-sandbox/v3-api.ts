import { randomMessageId } from './api-keys.js';
import { EVENT_WEBHOOK_ENDPOINTS } from './event-webhook-api.js';
import { isSandboxMode, MAX_MAIL_BODY_BYTES, senderAddresses, validateMailBody } from './mail-validation.js';
import { queryCheck, type RequestCheck } from './openapi-validation.js';
import { emptyReply, errorReply, jsonReply, messageReply, type Reply, SENDGRID_MESSAGES } from './replies.js';
import type { SandboxState, StoredAccount } from './sandbox-state.js';
import type { SandboxKey, SandboxRegion } from './sandbox-types.js';
import { DOMAINS_READ_SCOPE, MAIL_SEND_SCOPE } from './scopes.js';
import { maySendAs } from './sender-identity.js';

/** A `/v3` request as the listener read it. */
export interface V3Request {
  region: SandboxRegion;
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  body: Buffer;
}

/** Who called: the presented key and its account. */
export interface Caller {
  key: SandboxKey;
  account: StoredAccount;
}

/** SendGrid's page-size limits for the two list endpoints we play. */
const DOMAINS_PAGE = { default: 50, max: 200 };
const VERIFIED_SENDERS_PAGE = { default: 25, max: 100 };

/** Handles one endpoint; `params` are the path's captured segments. */
export type V3Endpoint = (request: V3Request, caller: Caller, state: SandboxState, params: string[]) => Reply;

/** One `/v3` endpoint the sandbox plays. */
export interface EndpointSpec {
  method: string;
  /** The exact path, or a pattern whose groups are the path parameters. */
  path: string | RegExp;
  handle: V3Endpoint;
  /** The query parameters by SendGrid's OpenAPI document of the endpoint. */
  query: RequestCheck<URLSearchParams>;
}

const ENDPOINTS: EndpointSpec[] = [
  {
    method: 'GET',
    path: '/v3/scopes',
    handle: (_request, caller) => jsonReply(200, { scopes: caller.key.scopes }),
    query: queryCheck('tsg_scopes_v3', 'GET', '/v3/scopes'),
  },
  {
    method: 'GET',
    path: '/v3/whitelabel/domains',
    handle: listDomains,
    query: queryCheck('tsg_domain_authentication_v3', 'GET', '/v3/whitelabel/domains'),
  },
  {
    method: 'GET',
    path: '/v3/verified_senders',
    handle: listVerifiedSenders,
    query: queryCheck('tsg_verified_senders_v3', 'GET', '/v3/verified_senders'),
  },
  // The body is checked by its document in validateMailBody.
  {
    method: 'POST',
    path: '/v3/mail/send',
    handle: sendMail,
    query: queryCheck('tsg_mail_v3', 'POST', '/v3/mail/send'),
  },
  ...EVENT_WEBHOOK_ENDPOINTS,
];

/** The path parameters if the endpoint's path matches, else undefined. */
function matchPath(pattern: string | RegExp, path: string): string[] | undefined {
  if (typeof pattern === 'string') return pattern === path ? [] : undefined;
  const match = pattern.exec(path);
  return match ? match.slice(1).map((segment) => decodeURIComponent(segment ?? '')) : undefined;
}

/**
 * Answers a `/v3` request the way SendGrid does for the endpoints this service calls:
 * authentication by bearer key, the key's region, its scopes, rate-limit headers and
 * SendGrid's `{"errors":[…]}` bodies.
 */
export function answerV3(request: V3Request, state: SandboxState): Reply {
  const matching = ENDPOINTS.flatMap((spec) => {
    const params = matchPath(spec.path, request.path);
    return params ? [{ spec, params }] : [];
  });
  if (matching.length === 0) return messageReply(404, SENDGRID_MESSAGES.notFound);
  const hit = matching.find((candidate) => candidate.spec.method === request.method);
  if (!hit) return messageReply(405, SENDGRID_MESSAGES.methodNotAllowed);
  const { spec: endpoint, params } = hit;

  const caller = authenticate(request, state);
  if ('status' in caller) return caller;
  const queryIssues = endpoint.query(request.query);
  const reply = queryIssues.length > 0 ? errorReply(400, queryIssues) : endpoint.handle(request, caller, state, params);
  const limits = state.rateLimits.take(caller.key.keyId, request.path);
  return { ...reply, headers: { ...limits, ...reply.headers } };
}

function authenticate(request: V3Request, state: SandboxState): Caller | Reply {
  const match = /^Bearer (.+)$/.exec(request.authorization ?? '');
  if (!match?.[1]) return messageReply(401, 'authorization required');
  const key = state.keyForApiKey(match[1]);
  const account = key ? state.account(key.accountId) : undefined;
  if (!key || key.revoked || !account) return messageReply(401, SENDGRID_MESSAGES.invalidGrant);
  if (account.region !== request.region) {
    // A regional subuser's key is unknown to the other host; mail send says why (observed).
    const message =
      request.path === '/v3/mail/send' ? SENDGRID_MESSAGES.wrongRegionForMail : SENDGRID_MESSAGES.invalidGrant;
    return messageReply(401, message);
  }
  return { key, account };
}

function pageSize(query: URLSearchParams, limits: { default: number; max: number }): number | Reply {
  const raw = query.get('limit');
  if (raw === null) return limits.default;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > limits.max) {
    return errorReply(400, [{ field: 'limit', message: `limit must be an integer between 1 and ${limits.max}` }]);
  }
  return limit;
}

function listDomains(request: V3Request, caller: Caller): Reply {
  if (!caller.key.scopes.includes(DOMAINS_READ_SCOPE)) return messageReply(403, SENDGRID_MESSAGES.accessForbidden);
  const limit = pageSize(request.query, DOMAINS_PAGE);
  if (typeof limit !== 'number') return limit;
  const offset = Number(request.query.get('offset') ?? 0);
  if (!Number.isInteger(offset) || offset < 0) {
    return errorReply(400, [{ field: 'offset', message: 'offset must be a non-negative integer' }]);
  }
  const page = caller.account.domains.slice(offset, offset + limit).map((domain) => ({
    id: domain.id,
    user_id: caller.account.userId,
    subdomain: domain.subdomain,
    domain: domain.domain,
    username: domain.username,
    ips: [],
    custom_spf: false,
    default: domain.default,
    legacy: false,
    automatic_security: true,
    valid: domain.valid,
    dns: {
      mail_cname: {
        valid: domain.valid,
        type: 'cname',
        host: `${domain.subdomain}.${domain.domain}`,
        data: 'u1.wl.sendgrid.net',
      },
    },
  }));
  return jsonReply(200, page);
}

function listVerifiedSenders(request: V3Request, caller: Caller): Reply {
  // Which scope this needs is undocumented; restricted keys get 403 (observed), so a key says.
  if (!caller.key.canReadVerifiedSenders) return messageReply(403, SENDGRID_MESSAGES.accessForbidden);
  const limit = pageSize(request.query, VERIFIED_SENDERS_PAGE);
  if (typeof limit !== 'number') return limit;
  const lastSeen = Number(request.query.get('lastSeenID') ?? 0);
  const results = caller.account.verifiedSenders
    .filter((sender) => sender.id > lastSeen)
    .sort((a, b) => a.id - b.id)
    .slice(0, limit)
    .map((sender) => ({
      ...sender,
      reply_to: sender.from_email,
      reply_to_name: sender.from_name,
      address: '1 Example Street',
      city: 'Springfield',
      country: 'USA',
      locked: false,
    }));
  return jsonReply(200, { results });
}

function sendMail(request: V3Request, caller: Caller, state: SandboxState): Reply {
  if (!caller.key.scopes.includes(MAIL_SEND_SCOPE)) return messageReply(401, SENDGRID_MESSAGES.notAuthorizedToSend);
  if (request.body.length >= MAX_MAIL_BODY_BYTES) return messageReply(413, SENDGRID_MESSAGES.contentTooLarge);
  let body: unknown;
  try {
    body = JSON.parse(request.body.toString('utf8'));
  } catch {
    return errorReply(400, [{ field: null, message: SENDGRID_MESSAGES.badRequest, help: null }]);
  }
  const issues = validateMailBody(body);
  if (issues.length > 0) return errorReply(400, issues);
  if (!senderAddresses(body).every((email) => maySendAs(caller.account, email))) {
    return errorReply(403, [{ field: 'from', message: SENDGRID_MESSAGES.unverifiedSender, help: null }]);
  }
  const sandboxMode = isSandboxMode(body);
  const messageId = randomMessageId();
  state.recordMessage({
    messageId,
    region: request.region,
    keyId: caller.key.keyId,
    accountId: caller.account.id,
    sandboxMode,
    receivedAt: new Date().toISOString(),
    body,
  });
  // Sandbox mode validates and answers 200 without delivering; real sends are accepted with 202.
  return emptyReply(sandboxMode ? 200 : 202, { 'X-Message-Id': messageId });
}
