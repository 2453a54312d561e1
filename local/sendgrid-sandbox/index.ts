import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { readBody } from '../http-body.js';
import { localRequestRefusal } from '../local-request-guard.js';
import { answerControl, CONTROL_PREFIX } from './control-api.js';
import { faultOutcome } from './faults.js';
import { MAX_MAIL_BODY_BYTES } from './mail-validation.js';
import { messageReply, type Reply, SENDGRID_MESSAGES } from './replies.js';
import { SandboxState } from './sandbox-state.js';
import type { SandboxRegion, SendGridSandbox, SendGridSandboxOptions } from './sandbox-types.js';
import { answerV3 } from './v3-api.js';

export type * from './sandbox-types.js';

/**
 * A stand-in for SendGrid's v3 API that speaks its shapes (docs/sendgrid-facts.md, and the
 * OpenAPI documents in ./openapi/) for the endpoints this service calls: `/v3/scopes`,
 * `/v3/whitelabel/domains`, `/v3/verified_senders` and `/v3/mail/send`, and posts signed Event
 * Webhook batches for the mail it accepts. Two listeners play the global and the EU host over one
 * state, so region detection is exercised for real.
 */
export async function startSendGridSandbox(options: SendGridSandboxOptions = {}): Promise<SendGridSandbox> {
  const host = options.host ?? '127.0.0.1';
  const state = new SandboxState(options.eventWebhook);
  const global = await listen(host, options.globalPort ?? 0, 'global', state, options.log);
  const eu = await listen(host, options.euPort ?? 0, 'eu', state, options.log);
  return {
    globalUrl: urlOf(global),
    euUrl: urlOf(eu),
    get demoKeys() {
      return state.demoKeys();
    },
    key: (name) => state.key(name),
    addAccount: (account) => state.addAccount(account),
    addKey: (key) => state.addKey(key),
    revokeKey: (keyId) => state.revokeKey(keyId),
    setDomainValid: (accountId, domain, valid) => state.setDomainValid(accountId, domain, valid),
    messages: () => state.messages(),
    injectFault: (fault) => state.faults.add(fault),
    clearFaults: () => state.faults.clear(),
    reset: () => state.reset(),
    setEventWebhook: (accountId, webhook) => {
      if (!state.account(accountId)) throw new Error(`No sandbox account "${accountId}".`);
      return state.eventWebhooks.configure(accountId, webhook);
    },
    eventWebhook: (accountId) => state.eventWebhooks.get(accountId),
    flushEventWebhooks: () => state.eventWebhooks.flush(),
    eventWebhookDeliveries: () => state.eventWebhooks.deliveries(),
    close: async () => {
      state.eventWebhooks.close();
      await Promise.all([close(global), close(eu)]);
    },
  };
}

/** The demo keys as lines of a table (name, key, what it shows), for `npm start` and the README. */
export function demoKeyTable(sandbox: Pick<SendGridSandbox, 'demoKeys'>): string {
  const keys = sandbox.demoKeys;
  const width = Math.max(...keys.map((key) => key.name.length));
  return keys.map((key) => `  ${key.name.padEnd(width)}  ${key.apiKey}  ${key.description}`).join('\n');
}

async function listen(
  host: string,
  port: number,
  region: SandboxRegion,
  state: SandboxState,
  log: ((line: string) => void) | undefined,
): Promise<Server> {
  const server = createServer((request, response) => {
    serve(request, response, region, state).then(
      (status) => log?.(`sandbox ${region} ${request.method} ${pathOf(request)} ${status}`),
      () => {
        if (!response.headersSent) write(response, messageReply(500, 'internal server error'));
        else response.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** Serves one request; resolves to the status written ('reset' when the socket was destroyed). */
async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  region: SandboxRegion,
  state: SandboxState,
): Promise<number | 'reset'> {
  const url = new URL(request.url ?? '/', 'http://sandbox');
  const method = request.method ?? 'GET';
  const body = await readBody(request, MAX_MAIL_BODY_BYTES);
  if (body === 'too_large') return write(response, messageReply(413, SENDGRID_MESSAGES.contentTooLarge));

  if (url.pathname === CONTROL_PREFIX || url.pathname.startsWith(`${CONTROL_PREFIX}/`)) {
    const refusal = localRequestRefusal(request, request.socket.localPort ?? 0); // other sites, DNS rebinding
    return write(response, refusal ?? (await answerControl(method, url.pathname, body, state)));
  }

  const fault = state.faults.take(url.pathname);
  if (fault) {
    if (fault.delayMs) await sleep(fault.delayMs);
    const outcome = faultOutcome(fault);
    if (outcome.kind === 'destroy') {
      request.socket.destroy();
      return 'reset';
    }
    if (outcome.kind === 'reply') return write(response, outcome.reply);
  }
  const authorization = request.headers.authorization;
  return write(
    response,
    answerV3({ region, method, path: url.pathname, query: url.searchParams, authorization, body }, state),
  );
}

function write(response: ServerResponse, reply: Reply): number {
  if (response.destroyed) return reply.status;
  response.writeHead(reply.status, reply.headers);
  response.end(reply.body);
  return reply.status;
}

/** Only the path: queries of the endpoints we play carry no secrets, but a log line never needs them. */
function pathOf(request: IncomingMessage): string {
  return new URL(request.url ?? '/', 'http://sandbox').pathname;
}

function urlOf(server: Server): string {
  const address = server.address() as AddressInfo;
  return `http://${address.address}:${address.port}`;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
