import { type Reply, sesErrorReply } from './replies.js';
import type { SesFaultSpec } from './sandbox-types.js';
import type { SmithyModel } from './smithy-model.js';

interface QueuedFault {
  spec: SesFaultSpec;
  remaining: number;
}

/** What an injected fault does to a request. */
export type FaultOutcome = { kind: 'reply'; reply: Reply } | { kind: 'destroy' } | { kind: 'pass' };

/** Injected faults in injection order; the first one matching an operation is used and counted down. */
export class FaultQueue {
  private faults: QueuedFault[] = [];

  add(spec: SesFaultSpec): void {
    this.faults.push({ spec: { ...spec }, remaining: spec.times ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  /** The fault that hits this operation, if any; each hit uses up one of its `times`. */
  take(operation: string): SesFaultSpec | undefined {
    const match = this.faults.find((fault) => fault.remaining > 0 && (fault.spec.operation ?? operation) === operation);
    if (!match) return undefined;
    match.remaining -= 1;
    this.faults = this.faults.filter((fault) => fault.remaining > 0);
    return match.spec;
  }
}

/** AWS's common errors for bare statuses (not in the service model). */
const COMMON_ERRORS: Record<number, [string, string]> = {
  429: ['TooManyRequestsException', 'Too many requests have been made to the operation.'],
  500: ['InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.'],
  503: ['ServiceUnavailable', 'The request has failed due to a temporary failure of the server.'],
};

/** What a fault does once its delay has passed. */
export function faultOutcome(spec: SesFaultSpec, model: SmithyModel): FaultOutcome {
  if (spec.kind === 'reset') return { kind: 'destroy' };
  if (spec.error) {
    const status = model.errorStatus(spec.error) ?? 400;
    return { kind: 'reply', reply: sesErrorReply(status, spec.error, `Injected ${spec.error}.`) };
  }
  if (spec.status === undefined) return { kind: 'pass' };
  const [name, message] = COMMON_ERRORS[spec.status] ?? ['InternalFailure', `Injected status ${spec.status}.`];
  return { kind: 'reply', reply: sesErrorReply(spec.status, name, message) };
}
