import { setTimeout as sleep } from 'node:timers/promises';
import { ACCOUNT_OPERATIONS } from './account-api.js';
import { CONFIGURATION_SET_OPERATIONS } from './configuration-set-api.js';
import { type FaultQueue, faultOutcome } from './faults.js';
import { IDENTITY_OPERATIONS } from './identity-api.js';
import { validationMessage } from './model-validator.js';
import type { OperationHandler } from './operation-context.js';
import { jsonReply, type Reply, sesErrorReply } from './replies.js';
import { type RequestBinder, type SesHttpRequest, signedRegion } from './request-binding.js';
import type { SesEventBridgeEvent } from './sandbox-types.js';
import { SandboxLimitation, SEND_OPERATIONS } from './send-api.js';
import { SesError } from './ses-errors.js';
import type { SesState } from './ses-state.js';
import type { SmithyModel } from './smithy-model.js';
import { TENANT_OPERATIONS } from './tenant-api.js';

/** Every operation the sandbox plays, by the model's operation name. */
export const OPERATIONS: Record<string, OperationHandler> = {
  ...ACCOUNT_OPERATIONS,
  ...TENANT_OPERATIONS,
  ...IDENTITY_OPERATIONS,
  ...CONFIGURATION_SET_OPERATIONS,
  ...SEND_OPERATIONS,
};

/** Operations that change nothing, so the state file is not rewritten after them. */
const READ_ONLY = /^(Get|List)/;

/** What the SES API needs from the sandbox around it. */
export interface SesApiDeps {
  model: SmithyModel;
  binder: RequestBinder;
  state: SesState;
  faults: FaultQueue;
  defaultRegion: string;
  now: () => Date;
  publish(events: SesEventBridgeEvent[]): void;
  /** Called after an operation that may have changed the state. */
  changed(): void;
}

/** The outcome of one request: an answer (with the operation's name for the log), or a dropped connection. */
export type SesApiOutcome = { reply: Reply; operation: string } | { reset: true; operation: string };

/**
 * Serves one SESv2 request: finds the operation by the model's HTTP bindings, applies an
 * injected fault, validates the input against the model (BadRequestException naming the
 * members), runs the operation, and answers restJson1: the output as JSON, or the error's
 * shape name in `x-amzn-ErrorType` with the status its `httpError` trait gives.
 */
export async function answerSes(
  request: SesHttpRequest & { authorization?: string },
  deps: SesApiDeps,
): Promise<SesApiOutcome> {
  const bound = deps.binder.bind(request);
  if ('kind' in bound) {
    if (bound.kind === 'bad_json') {
      return {
        operation: '?',
        reply: sesErrorReply(400, 'BadRequestException', 'The request body is not valid JSON.'),
      };
    }
    return {
      operation: '?',
      reply: sesErrorReply(
        404,
        'UnknownOperationException',
        `No SESv2 operation answers ${request.method} ${request.path}.`,
      ),
    };
  }
  const operation = bound.operation.name;
  const fault = deps.faults.take(operation);
  if (fault) {
    if (fault.delayMs) await sleep(fault.delayMs);
    const outcome = faultOutcome(fault, deps.model);
    if (outcome.kind === 'destroy') return { reset: true, operation };
    if (outcome.kind === 'reply') return { reply: outcome.reply, operation };
  }
  if (bound.violations.length > 0) {
    return { operation, reply: sesErrorReply(400, 'BadRequestException', validationMessage(bound.violations)) };
  }
  const handler = OPERATIONS[operation];
  if (!handler) {
    return {
      operation,
      reply: sesErrorReply(
        501,
        'NotImplemented',
        `The SES sandbox does not play ${operation}; the request itself is valid.`,
      ),
    };
  }
  const regionName = signedRegion(request.authorization) ?? deps.defaultRegion;
  try {
    const output = handler({
      input: bound.input,
      regionName,
      region: deps.state.region(regionName),
      state: deps.state,
      now: deps.now(),
      publish: deps.publish,
    });
    if (!READ_ONLY.test(operation)) deps.changed();
    return { operation, reply: jsonReply(bound.operation.http.code, output) };
  } catch (error) {
    if (error instanceof SesError) {
      const status = deps.model.errorStatus(error.errorName) ?? 400;
      return { operation, reply: sesErrorReply(status, error.errorName, error.message) };
    }
    if (error instanceof SandboxLimitation) {
      return { operation, reply: sesErrorReply(501, 'NotImplemented', error.message) };
    }
    throw error;
  }
}
