import { emptyReply, messageReply, type Reply, statusMessage } from './replies.js';
import type { FaultSpec } from './sandbox-types.js';

interface QueuedFault {
  spec: FaultSpec;
  remaining: number;
}

/** What an injected fault does to a request. */
export type FaultOutcome = { kind: 'reply'; reply: Reply } | { kind: 'destroy' } | { kind: 'pass' };

/** Injected faults in injection order; the first one matching a path is used and counted down. */
export class FaultQueue {
  private faults: QueuedFault[] = [];

  add(spec: FaultSpec): void {
    this.faults.push({ spec: { ...spec }, remaining: spec.times ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  /** The fault that hits this request, if any; each hit uses up one of its `times`. */
  take(path: string): FaultSpec | undefined {
    const match = this.faults.find((fault) => fault.remaining > 0 && (fault.spec.path ?? path) === path);
    if (!match) return undefined;
    match.remaining -= 1;
    this.faults = this.faults.filter((fault) => fault.remaining > 0);
    return match.spec;
  }
}

/** An HTML page like the one a load balancer in front of SendGrid returns when the API behind it fails. */
const BAD_GATEWAY_PAGE =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n';

/** What a fault does once its delay has passed. */
export function faultOutcome(spec: FaultSpec, nowMs = Date.now()): FaultOutcome {
  if (spec.kind === 'reset') return { kind: 'destroy' };
  if (spec.kind === 'non-json') {
    return {
      kind: 'reply',
      reply: { status: spec.status ?? 502, headers: { 'Content-Type': 'text/html' }, body: BAD_GATEWAY_PAGE },
    };
  }
  if (spec.status === undefined && spec.kind !== 'status') return { kind: 'pass' };
  const status = spec.status ?? 500;
  if (status === 429) {
    const reset = Math.floor(nowMs / 1000) + (spec.resetInSeconds ?? 1);
    return {
      kind: 'reply',
      reply: messageReply(status, statusMessage(status), {
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset': String(reset),
      }),
    };
  }
  if (status === 204 || status === 304) return { kind: 'reply', reply: emptyReply(status) };
  return { kind: 'reply', reply: messageReply(status, statusMessage(status)) };
}
