import { EventWebhookError } from './event-webhooks.js';
import { emptyReply, jsonReply, type Reply } from './replies.js';
import { type SandboxState, SandboxStateError } from './sandbox-state.js';
import type { FaultSpec, NewSandboxKey } from './sandbox-types.js';

/** Where the sandbox's own control endpoints live, apart from SendGrid's `/v3`. */
export const CONTROL_PREFIX = '/__sandbox';

/**
 * The sandbox's control API, for people and tests driving it from another process:
 *   GET/DELETE /__sandbox/messages        accepted mail (newest last) / forget it
 *   GET/POST   /__sandbox/keys            keys / add one ({name, accountId, scopes, …})
 *   POST       /__sandbox/keys/{id}/revoke
 *   POST/DELETE /__sandbox/faults         inject a fault (see FaultSpec) / clear them
 *   POST       /__sandbox/reset           back to the demo state
 *   PUT/GET/DELETE /__sandbox/accounts/{accountId}/event-webhook   the account's Event Webhook
 *                                         ({url, enabled?}; signed, with the account's public key)
 *   POST       /__sandbox/event-webhook/flush        post every waiting event batch now
 *   GET        /__sandbox/event-webhook/deliveries   every post attempt
 * Answers are plain JSON; errors are `{"error": "..."}` with 400, 404 or 409.
 */
export async function answerControl(method: string, path: string, body: Buffer, state: SandboxState): Promise<Reply> {
  try {
    const relative = path.slice(CONTROL_PREFIX.length);
    const webhook = /^\/accounts\/([^/]+)\/event-webhook$/.exec(relative);
    if (webhook?.[1]) return answerEventWebhook(method, decodeURIComponent(webhook[1]), body, state);
    if (method === 'POST' && relative === '/event-webhook/flush') {
      return jsonReply(200, { deliveries: await state.eventWebhooks.flush() });
    }
    if (method === 'GET' && relative === '/event-webhook/deliveries') {
      return jsonReply(200, { deliveries: state.eventWebhooks.deliveries() });
    }
    return route(method, relative, body, state);
  } catch (error) {
    if (error instanceof SandboxStateError || error instanceof EventWebhookError) {
      const status = { invalid: 400, not_found: 404, conflict: 409 }[error.reason];
      return jsonReply(status, { error: error.message, field: error.field });
    }
    if (error instanceof SyntaxError) return jsonReply(400, { error: 'The body is not valid JSON.' });
    throw error;
  }
}

function route(method: string, path: string, body: Buffer, state: SandboxState): Reply {
  const revoke = /^\/keys\/([^/]+)\/revoke$/.exec(path);
  if (revoke?.[1] && method === 'POST') {
    state.revokeKey(decodeURIComponent(revoke[1]));
    return emptyReply(204);
  }
  switch (`${method} ${path}`) {
    case 'GET /messages':
      return jsonReply(200, { messages: state.messages() });
    case 'DELETE /messages':
      state.clearMessages();
      return emptyReply(204);
    case 'GET /keys':
      return jsonReply(200, { keys: state.keys() });
    case 'POST /keys':
      return jsonReply(201, state.addKey(newKey(readJson(body))));
    case 'POST /faults':
      state.faults.add(faultSpec(readJson(body)));
      return emptyReply(204);
    case 'DELETE /faults':
      state.faults.clear();
      return emptyReply(204);
    case 'POST /reset':
      state.reset();
      return emptyReply(204);
    default:
      return jsonReply(404, { error: `No sandbox control endpoint ${method} ${CONTROL_PREFIX}${path}.` });
  }
}

function answerEventWebhook(method: string, accountId: string, body: Buffer, state: SandboxState): Reply {
  if (!state.account(accountId)) throw new SandboxStateError('not_found', `No account "${accountId}".`, 'accountId');
  if (method === 'PUT') {
    const input = readJson(body);
    if (typeof input.url !== 'string') throw new SandboxStateError('invalid', 'url must be a string.', 'url');
    if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
      throw new SandboxStateError('invalid', 'enabled must be true or false when given.', 'enabled');
    }
    const enabled = input.enabled as boolean | undefined;
    return jsonReply(
      200,
      state.eventWebhooks.configure(accountId, { url: input.url, ...(enabled === undefined ? {} : { enabled }) }),
    );
  }
  if (method === 'GET') {
    const webhook = state.eventWebhooks.get(accountId);
    if (!webhook) throw new SandboxStateError('not_found', `Account "${accountId}" has no Event Webhook.`);
    return jsonReply(200, webhook);
  }
  if (method === 'DELETE') {
    state.eventWebhooks.remove(accountId);
    return emptyReply(204);
  }
  return jsonReply(405, { error: `${method} is not supported on an account's event-webhook.` });
}

function readJson(body: Buffer): Record<string, unknown> {
  const value: unknown = JSON.parse(body.toString('utf8') || '{}');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SandboxStateError('invalid', 'The body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

function newKey(input: Record<string, unknown>): NewSandboxKey {
  const { name, accountId, scopes, apiKey } = input;
  if (typeof name !== 'string') throw new SandboxStateError('invalid', 'name must be a string.', 'name');
  if (typeof accountId !== 'string') throw new SandboxStateError('invalid', 'accountId must be a string.', 'accountId');
  if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === 'string')) {
    throw new SandboxStateError('invalid', 'scopes must be an array of strings.', 'scopes');
  }
  if (apiKey !== undefined && typeof apiKey !== 'string') {
    throw new SandboxStateError('invalid', 'apiKey must be a string when given.', 'apiKey');
  }
  return {
    name,
    accountId,
    scopes,
    revoked: input.revoked === true,
    canReadVerifiedSenders: input.canReadVerifiedSenders === true,
    description: typeof input.description === 'string' ? input.description : '',
    ...(apiKey === undefined ? {} : { apiKey }),
  };
}

function faultSpec(input: Record<string, unknown>): FaultSpec {
  const spec: FaultSpec = {};
  const numberField = (name: 'status' | 'times' | 'delayMs' | 'resetInSeconds', min: number, max: number) => {
    const value = input[name];
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new SandboxStateError('invalid', `${name} must be an integer from ${min} to ${max}.`, name);
    }
    spec[name] = value;
  };
  numberField('status', 100, 599);
  numberField('times', 1, 10_000);
  numberField('delayMs', 0, 120_000);
  numberField('resetInSeconds', 0, 3_600);
  if (input.path !== undefined) {
    if (typeof input.path !== 'string' || !input.path.startsWith('/v3/')) {
      throw new SandboxStateError('invalid', 'path must be a /v3/… path.', 'path');
    }
    spec.path = input.path;
  }
  if (input.kind !== undefined) {
    if (input.kind !== 'status' && input.kind !== 'non-json' && input.kind !== 'reset') {
      throw new SandboxStateError('invalid', 'kind must be "status", "non-json" or "reset".', 'kind');
    }
    spec.kind = input.kind;
  }
  return spec;
}
