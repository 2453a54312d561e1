import { EVENT_TOGGLES, type EventToggle, EventWebhookError, type SandboxEventWebhook } from './event-webhooks.js';
import { queryCheck, requestBodyCheck } from './openapi-validation.js';
import { emptyReply, errorReply, jsonReply, messageReply, type Reply, SENDGRID_MESSAGES } from './replies.js';
import type { SandboxState } from './sandbox-state.js';
import type { Caller, EndpointSpec, V3Request } from './v3-api.js';

const DOCUMENT = 'tsg_webhooks_v3';
const SETTINGS = '/v3/user/webhooks/event/settings';
const ONE = `${SETTINGS}/{id}`;
const SIGNED = `${SETTINGS}/signed/{id}`;
const ONE_PATTERN = /^\/v3\/user\/webhooks\/event\/settings\/([^/]+)$/;
const SIGNED_PATTERN = /^\/v3\/user\/webhooks\/event\/settings\/signed\/([^/]+)$/;

// The API-key page names these for reading and updating; which scope create and delete need is not
// documented (docs/sendgrid-event-webhook.md, section 7), so the sandbox asks for update there too.
const READ_SCOPE = 'user.webhooks.event.settings.read';
const UPDATE_SCOPE = 'user.webhooks.event.settings.update';

/** The sandbox keeps one Event Webhook per account (SendGrid allows a few, by plan). */
const MAX_ALLOWED = 1;

type JsonObject = Record<string, unknown>;

const createBody = requestBodyCheck(DOCUMENT, 'POST', SETTINGS);
const updateBody = requestBodyCheck(DOCUMENT, 'PATCH', ONE);
const signedBody = requestBodyCheck(DOCUMENT, 'PATCH', SIGNED);

/**
 * SendGrid's Event Webhook settings endpoints (openapi/tsg_webhooks_v3.json) over the account's one
 * webhook, so it can be set up the way a tenant does against SendGrid: create, read, update, delete,
 * and turn signing on to get the verification key.
 */
export const EVENT_WEBHOOK_ENDPOINTS: EndpointSpec[] = [
  { method: 'POST', path: SETTINGS, handle: create, query: queryCheck(DOCUMENT, 'POST', SETTINGS) },
  { method: 'GET', path: `${SETTINGS}/all`, handle: list, query: queryCheck(DOCUMENT, 'GET', `${SETTINGS}/all`) },
  { method: 'GET', path: SIGNED_PATTERN, handle: getSigned, query: queryCheck(DOCUMENT, 'GET', SIGNED) },
  { method: 'PATCH', path: SIGNED_PATTERN, handle: setSigned, query: queryCheck(DOCUMENT, 'PATCH', SIGNED) },
  { method: 'GET', path: ONE_PATTERN, handle: getOne, query: queryCheck(DOCUMENT, 'GET', ONE) },
  { method: 'PATCH', path: ONE_PATTERN, handle: update, query: queryCheck(DOCUMENT, 'PATCH', ONE) },
  { method: 'DELETE', path: ONE_PATTERN, handle: remove, query: queryCheck(DOCUMENT, 'DELETE', ONE) },
];

function create(request: V3Request, caller: Caller, state: SandboxState): Reply {
  if (!caller.key.scopes.includes(UPDATE_SCOPE)) return messageReply(403, SENDGRID_MESSAGES.accessForbidden);
  const body = parsedBody(request, createBody);
  if ('status' in body) return body;
  if (state.eventWebhooks.get(caller.account.id)) {
    return messageReply(400, 'You have reached the maximum number of webhooks per your current billing plan.');
  }
  // Signing has its own endpoint; a new webhook starts unsigned and off unless `enabled` says otherwise.
  return configured(state, caller, body.value, { signed: false, enabledDefault: false, togglesDefault: false }, 201);
}

function list(request: V3Request, caller: Caller, state: SandboxState): Reply {
  if (!caller.key.scopes.includes(READ_SCOPE)) return messageReply(403, SENDGRID_MESSAGES.accessForbidden);
  const webhook = state.eventWebhooks.get(caller.account.id);
  const webhooks = webhook ? [{ ...settingsView(webhook, request), public_key: publicKeyOf(webhook) }] : [];
  return jsonReply(200, { max_allowed: MAX_ALLOWED, webhooks });
}

function getOne(request: V3Request, caller: Caller, state: SandboxState, params: string[]) {
  if (!caller.key.scopes.includes(READ_SCOPE)) return messageReply(403, SENDGRID_MESSAGES.accessForbidden);
  const webhook = ownWebhook(state, caller, params);
  if (!webhook) return invalidId();
  const { created_date: _created, updated_date: _updated, ...view } = settingsView(webhook, request);
  return jsonReply(200, { ...view, public_key: publicKeyOf(webhook) });
}

function update(request: V3Request, caller: Caller, state: SandboxState, params: string[]) {
  if (!caller.key.scopes.includes(UPDATE_SCOPE)) return messageReply(403, SENDGRID_MESSAGES.accessForbidden);
  if (!ownWebhook(state, caller, params)) return invalidId();
  const body = parsedBody(request, updateBody);
  if ('status' in body) return body;
  return configured(state, caller, body.value, {}, 200);
}

function remove(_request: V3Request, caller: Caller, state: SandboxState, params: string[]) {
  if (!caller.key.scopes.includes(UPDATE_SCOPE)) return messageReply(403, SENDGRID_MESSAGES.accessForbidden);
  if (!ownWebhook(state, caller, params)) return invalidId();
  state.eventWebhooks.remove(caller.account.id);
  return emptyReply(204);
}

function getSigned(_request: V3Request, caller: Caller, state: SandboxState, params: string[]) {
  if (!caller.key.scopes.includes(READ_SCOPE)) return messageReply(403, SENDGRID_MESSAGES.accessForbidden);
  const webhook = ownWebhook(state, caller, params);
  if (!webhook) return invalidId();
  return jsonReply(200, { id: webhook.id, public_key: publicKeyOf(webhook) });
}

function setSigned(request: V3Request, caller: Caller, state: SandboxState, params: string[]) {
  if (!caller.key.scopes.includes(UPDATE_SCOPE)) return messageReply(403, SENDGRID_MESSAGES.accessForbidden);
  if (!ownWebhook(state, caller, params)) return invalidId();
  const body = parsedBody(request, signedBody);
  if ('status' in body) return body;
  const webhook = state.eventWebhooks.setSigned(caller.account.id, body.value.enabled === true);
  return jsonReply(200, { id: webhook.id, public_key: publicKeyOf(webhook) });
}

function configured(
  state: SandboxState,
  caller: Caller,
  body: JsonObject,
  defaults: { signed?: boolean; enabledDefault?: boolean; togglesDefault?: boolean },
  status: number,
): Reply {
  const toggles = Object.keys(EVENT_TOGGLES) as EventToggle[];
  const events = Object.fromEntries(
    toggles.flatMap((toggle) => {
      const value = body[toggle] ?? defaults.togglesDefault;
      return typeof value === 'boolean' ? [[toggle, value]] : [];
    }),
  ) as Partial<Record<EventToggle, boolean>>;
  const enabled = body.enabled ?? defaults.enabledDefault;
  try {
    // OAuth fields are accepted as the document allows, but the sandbox only signs.
    const webhook = state.eventWebhooks.configure(caller.account.id, {
      url: String(body.url),
      events,
      ...(typeof enabled === 'boolean' ? { enabled } : {}),
      ...(body.friendly_name === undefined ? {} : { friendlyName: body.friendly_name as string | null }),
      ...(defaults.signed === undefined ? {} : { signed: defaults.signed }),
    });
    return jsonReply(status, settingsView(webhook));
  } catch (error) {
    if (error instanceof EventWebhookError) return messageReply(400, `'${String(body.url)}' is not a valid url`);
    throw error;
  }
}

/** The settings as SendGrid answers them (EventWebhookUnsignedResponse); `account_status_change` only on request. */
function settingsView(webhook: SandboxEventWebhook, request?: V3Request): JsonObject {
  const includeStatusChange = request?.query.get('include') === 'account_status_change';
  return {
    enabled: webhook.enabled,
    url: webhook.url,
    ...(includeStatusChange ? { account_status_change: false } : {}),
    ...webhook.events,
    friendly_name: webhook.friendlyName,
    id: webhook.id,
    created_date: webhook.createdDate,
    updated_date: webhook.updatedDate,
    oauth_client_id: null,
    oauth_token_url: null,
  };
}

/** SendGrid answers an empty string while signing is off. */
function publicKeyOf(webhook: SandboxEventWebhook): string {
  return webhook.signed ? webhook.publicKey : '';
}

function ownWebhook(state: SandboxState, caller: Caller, params: string[]): SandboxEventWebhook | undefined {
  const webhook = state.eventWebhooks.get(caller.account.id);
  return webhook && webhook.id === params[0] ? webhook : undefined;
}

function invalidId(): Reply {
  return messageReply(404, 'Invalid id provided.');
}

function parsedBody(
  request: V3Request,
  check: (body: unknown) => ReturnType<typeof createBody>,
): { value: JsonObject } | Reply {
  let value: unknown;
  try {
    value = JSON.parse(request.body.toString('utf8'));
  } catch {
    return errorReply(400, [{ field: null, message: SENDGRID_MESSAGES.badRequest, help: null }]);
  }
  const issues = check(value);
  if (issues.length > 0) return errorReply(400, issues);
  return { value: value as JsonObject };
}
