import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DnsZone } from '../dns/index.js';
import { readBody } from '../http-body.js';
import { localRequestRefusal } from '../local-request-guard.js';
import { answerControl, CONTROL_PREFIX } from './control-api.js';
import { checkIdentities, DnsChecker } from './dns-verification.js';
import { FaultQueue } from './faults.js';
import { identityRecords } from './identity-records.js';
import { type Reply, sesErrorReply } from './replies.js';
import { RequestBinder } from './request-binding.js';
import type { SesEventBridgeEvent, SesSandbox, SesSandboxOptions } from './sandbox-types.js';
import { answerSes } from './ses-api.js';
import { SesState } from './ses-state.js';
import { sesv2Model } from './smithy-model.js';

export type * from './sandbox-types.js';

/** Largest request body read; SES's own limit for a message is 40 MB, the sandbox needs far less. */
const MAX_BODY_BYTES = 12 * 1024 * 1024;
/** Published events kept for the control API, newest last. */
const MAX_KEPT_EVENTS = 1_000;

/**
 * A stand-in for Amazon SES API v2 that the real `@aws-sdk/client-sesv2` talks to unchanged
 * (point `AWS_ENDPOINT_URL_SESV2` or the client's `endpoint` at `url`). It routes and validates
 * every request by the SESv2 Smithy model (model/sesv2.smithy.json), keeps tenants, identities,
 * configuration sets and associations per region (the region the request was signed for), and
 * verifies domain identities through DNS: records published in the local DNS zone turn DKIM and
 * MAIL FROM statuses after `verificationDelayMs`, as SES's own checks would.
 */
export async function startSesSandbox(options: SesSandboxOptions = {}): Promise<SesSandbox> {
  const model = sesv2Model();
  const binder = new RequestBinder(model);
  const state = new SesState(options.accountId ?? '123456789012', options.stateFile);
  const zone = options.zone ?? new DnsZone();
  for (const record of state.savedDnsRecords) {
    try {
      zone.add(record);
    } catch {
      // A zone handed in may already hold a record that conflicts; the live zone wins.
    }
  }
  const faults = new FaultQueue();
  const defaultRegion = options.defaultRegion ?? 'eu-west-1';
  const now = () => new Date();
  const save = () => state.save(zone.list());
  const pending = new Set<Promise<void>>();

  let published: SesEventBridgeEvent[] = [];
  const publish = (events: SesEventBridgeEvent[]) => {
    published.push(...events);
    if (published.length > MAX_KEPT_EVENTS) published.splice(0, published.length - MAX_KEPT_EVENTS);
    const onEvent = options.onEvent;
    if (!onEvent || events.length === 0) return;
    // After the answer, as SES publishes asynchronously; a failing receiver never fails a send.
    const delivery = (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      for (const event of events) {
        try {
          await onEvent(event);
        } catch (error) {
          options.log?.(`ses-sandbox event ${event['detail-type']} not delivered: ${(error as Error).message}`);
        }
      }
    })();
    pending.add(delivery);
    void delivery.finally(() => pending.delete(delivery));
  };

  const timing = {
    delayMs: options.verificationDelayMs ?? 3_000,
    windowMs: options.detectionWindowMs ?? 72 * 3_600_000,
  };
  const checker = options.dnsServers?.length ? new DnsChecker(options.dnsServers) : undefined;
  let checking: Promise<void> | undefined;
  const checkNow = async (): Promise<void> => {
    if (!checker) return;
    // One round at a time; a caller arriving mid-round waits for it and then runs its own.
    while (checking) await checking;
    checking = checkIdentities(state, checker, timing, now).then((changed) => {
      if (changed) save();
    });
    try {
      await checking;
    } finally {
      checking = undefined;
    }
  };
  const timer = checker
    ? setInterval(() => void checkNow().catch(() => undefined), options.checkIntervalMs ?? 1_000)
    : undefined;
  timer?.unref();
  const stopWatching = zone.onChange(() => void checkNow().catch(() => undefined));

  const deps = {
    model,
    binder,
    state,
    zone,
    faults,
    defaultRegion,
    now,
    publish,
    publishedEvents: () => structuredClone(published),
    clearEvents: () => {
      published = [];
    },
    isErrorShape: (name: string) => model.errorStatus(name) !== undefined,
    changed: save,
  };
  const server = createServer((request, response) => {
    serve(request, response, deps).then(
      (line) => options.log?.(`ses-sandbox ${line}`),
      () => {
        if (!response.headersSent) write(response, sesErrorReply(500, 'InternalFailure', 'The SES sandbox failed.'));
        else response.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;

  return {
    url: `http://${address.address}:${address.port}`,
    accountId: state.accountId,
    zone,
    messages: () => state.messages(),
    events: () => structuredClone(published),
    publish: (record) => zone.add(record),
    recordsFor: (region, name) => {
      const identity = state.region(region).identities[name.toLowerCase()];
      return identity ? identityRecords(region, identity) : [];
    },
    checkNow,
    setAccount: (settings) => {
      state.account = { ...state.account, ...settings };
      save();
      return { ...state.account };
    },
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    reset: () => {
      state.reset();
      zone.remove();
      faults.clear();
      published = [];
      save();
    },
    close: async () => {
      if (timer) clearInterval(timer);
      stopWatching();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await checking?.catch(() => undefined);
      await Promise.all(pending);
    },
  };
}

type ServeDeps = Parameters<typeof answerSes>[1] & Parameters<typeof answerControl>[3];

/** Serves one request; resolves to a log line (method, operation or path, status — never a body). */
async function serve(request: IncomingMessage, response: ServerResponse, deps: ServeDeps): Promise<string> {
  const url = new URL(request.url ?? '/', 'http://sandbox');
  const method = request.method ?? 'GET';
  const body = await readBody(request, MAX_BODY_BYTES);
  if (body === 'too_large') {
    return `${method} ${url.pathname} ${write(response, sesErrorReply(413, 'RequestEntityTooLargeException', 'The request is too large.'))}`;
  }
  if (url.pathname === CONTROL_PREFIX || url.pathname.startsWith(`${CONTROL_PREFIX}/`)) {
    const refusal = localRequestRefusal(request, request.socket.localPort ?? 0); // other sites, DNS rebinding
    return `${method} ${url.pathname} ${write(response, refusal ?? answerControl(method, url, body, deps))}`;
  }
  const outcome = await answerSes(
    { method, path: url.pathname, query: url.searchParams, body, authorization: request.headers.authorization },
    deps,
  );
  if ('reset' in outcome) {
    request.socket.destroy();
    return `${outcome.operation} reset`;
  }
  return `${outcome.operation} ${write(response, outcome.reply)}`;
}

function write(response: ServerResponse, reply: Reply): number {
  if (response.destroyed) return reply.status;
  response.writeHead(reply.status, reply.headers);
  response.end(reply.body);
  return reply.status;
}
