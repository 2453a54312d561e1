import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** What the benchmark's stand-in for SendGrid counts. */
export interface Sink {
  url: string;
  /** Delay before every answer, changeable between runs. */
  delayMs: number;
  requests: number;
  /** When each mail arrived (epoch ms), by the `messageId` custom arg: the moment of the provider call. */
  arrivals: Map<string, number>;
  close(): Promise<void>;
}

/** Notes when a mail carrying our `messageId` custom arg arrived. */
function noteArrival(sink: Sink, chunks: Buffer[], arrivedAt: number): void {
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      personalizations?: Array<{ custom_args?: { messageId?: unknown } }>;
    };
    const messageId = body.personalizations?.[0]?.custom_args?.messageId;
    if (typeof messageId === 'string') sink.arrivals.set(messageId, arrivedAt);
  } catch {
    // Not JSON: nothing to note.
  }
}

/** Scopes of a key made as the product asks, so verify passes. */
const SCOPES = ['mail.send', 'whitelabel.read', '2fa_required', 'sender_verification_eligible'];

/**
 * A local HTTP sink answering like SendGrid's endpoints the service calls, after a fixed delay:
 * `POST /v3/mail/send` → 202 with `X-Message-Id`, `GET /v3/scopes`, `GET /v3/whitelabel/domains`,
 * and `GET /v3/verified_senders` → 403 (restricted keys, as observed). No validation: the
 * benchmark measures our overhead, not SendGrid's rules.
 */
export async function startSink(delayMs = 0): Promise<Sink> {
  const sink = { url: '', delayMs, requests: 0, arrivals: new Map(), close: async () => undefined } as Sink;
  const server: Server = createServer((request, response) => {
    const arrivedAt = Date.now();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      sink.requests += 1;
      if (request.method === 'POST' && request.url === '/v3/mail/send') noteArrival(sink, chunks, arrivedAt);
      if (sink.delayMs > 0 && !request.url?.startsWith('/__bench/')) await sleep(sink.delayMs);
      const url = new URL(request.url ?? '/', 'http://sink');
      const path = url.pathname;
      if (path === '/__bench/arrivals') {
        // Control: when the given messages arrived (epoch ms), for the noisy-neighbour figures.
        sink.requests -= 1;
        const ids = JSON.parse(Buffer.concat(chunks).toString('utf8') || '[]') as string[];
        const found = Object.fromEntries(
          ids.flatMap((id) => (sink.arrivals.has(id) ? [[id, sink.arrivals.get(id)]] : [])),
        );
        response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(found));
        return;
      }
      if (path === '/__bench/delay') {
        // Control: the benchmark sets the delay between runs (not counted as a request).
        sink.requests -= 1;
        sink.delayMs = Number(url.searchParams.get('ms') ?? 0);
        response.writeHead(204).end();
        return;
      }
      if (request.method === 'POST' && path === '/v3/mail/send') {
        response.writeHead(202, { 'X-Message-Id': randomBytes(16).toString('base64url') }).end();
      } else if (path === '/v3/scopes') {
        response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ scopes: SCOPES }));
      } else if (path === '/v3/whitelabel/domains') {
        const body = [
          { id: 1, domain: 'bench.example', subdomain: 'em', valid: true, default: true, username: 'bench' },
        ];
        response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      } else if (path === '/v3/verified_senders') {
        response
          .writeHead(403, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ errors: [{ field: null, message: 'access forbidden' }] }));
      } else {
        response.writeHead(404).end();
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sink.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return sink;
}
