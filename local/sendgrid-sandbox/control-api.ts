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
 * Answers are plain JSON; errors are `{"error": "..."}` with 400, 404 or 409.
 */
export function answerControl(method: string, path: string, body: Buffer, state: SandboxState): Reply {
  try {
    return route(method, path.slice(CONTROL_PREFIX.length), body, state);
  } catch (error) {
    if (error instanceof SandboxStateError) {
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
