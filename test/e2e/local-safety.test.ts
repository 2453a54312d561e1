import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalService, startLocalService } from './local-service.js';

let service: LocalService;
let port: number;

beforeAll(async () => {
  service = await startLocalService();
  port = Number(new URL(service.runtime.url).port);
  await service.as('safe-tenant').save(service.sandbox.key('good').apiKey, ['info@acme.example']);
});
afterAll(() => service?.close());

/** A raw request with exactly the headers a browser (or a rebinding page) would send. */
function send(
  url: string,
  options: { method: string; path: string; headers?: Record<string, string>; body?: unknown },
): Promise<{ status: number; contentType: string | undefined; body: Record<string, unknown> }> {
  const target = new URL(options.path, url);
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: options.method,
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: response.headers['content-type'],
            body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

function sendEvent(messageId: string) {
  return {
    Entries: [
      {
        Source: 'app.automations',
        DetailType: 'Email Send Requested',
        Detail: JSON.stringify({
          tenantId: 'safe-tenant',
          messageId,
          audience: 'customer',
          to: [{ email: 'jane@customer.example' }],
          subject: 'Hello',
          text: 'Hi',
        }),
      },
    ],
  };
}

const sentWith = (messageId: string) =>
  service.sandbox.messages().filter((message) => JSON.stringify(message).includes(messageId));

describe('local runtime: requests from other sites', () => {
  it('refuses POST /local/events from a foreign Origin with a 403 problem, and sends nothing', async () => {
    const answer = await send(service.runtime.url, {
      method: 'POST',
      path: '/local/events',
      headers: { origin: 'https://evil.example' },
      body: sendEvent('csrf-1'),
    });

    expect(answer.status).toBe(403);
    expect(answer.contentType).toBe('application/problem+json');
    expect(answer.body).toMatchObject({ code: 'cross_site_request', status: 403 });
    expect(answer.body.detail).toContain('https://evil.example');
    expect(sentWith('csrf-1')).toEqual([]);
  });

  it.each([
    ['the null origin of a sandboxed frame or file page', 'null'],
    ['another local port', 'http://127.0.0.1:1'],
    ['https on the same host and port', `https://127.0.0.1:PORT`],
  ])('refuses a state change from %s', async (_label, origin) => {
    const answer = await send(service.runtime.url, {
      method: 'DELETE',
      path: '/integrations/sendgrid',
      headers: { origin: origin.replace('PORT', String(port)), 'x-tenant-id': 'safe-tenant' },
    });

    expect(answer).toMatchObject({ status: 403, body: { code: 'cross_site_request' } });
    expect((await service.as('safe-tenant').card()).status).toBe(200);
  });

  it.each([
    ['a public name pointed at 127.0.0.1', 'rebind.evil.example'],
    ['a look-alike', '127.0.0.1.evil.example'],
    ['a LAN address', '192.168.1.20'],
  ])('refuses a request addressed to %s (DNS rebinding), reads included', async (_label, hostname) => {
    const host = `${hostname}:${port}`;
    const read = await send(service.runtime.url, {
      method: 'GET',
      path: '/local/sandbox/messages',
      headers: { host },
    });
    const change = await send(service.runtime.url, {
      method: 'POST',
      path: '/local/events',
      headers: { host, origin: `http://${host}` },
      body: sendEvent(`rebind-${hostname}`),
    });

    expect(read).toMatchObject({ status: 403, contentType: 'application/problem+json' });
    expect(read.body).toMatchObject({ code: 'host_not_loopback' });
    expect(change).toMatchObject({ status: 403, body: { code: 'host_not_loopback' } });
    expect(sentWith(`rebind-${hostname}`)).toEqual([]);
  });

  it.each([
    ['127.0.0.1', `http://127.0.0.1:PORT`],
    ['localhost', `http://localhost:PORT`],
  ])('answers the console page’s own requests on %s', async (hostname, origin) => {
    const headers = { host: `${hostname}:${port}`, origin: origin.replace('PORT', String(port)) };

    const page = await send(service.runtime.url, { method: 'GET', path: '/openapi.json', headers });
    const event = await send(service.runtime.url, {
      method: 'POST',
      path: '/local/events',
      headers,
      body: sendEvent(`own-${hostname}`),
    });
    const card = await send(service.runtime.url, {
      method: 'PUT',
      path: '/integrations/sendgrid/emails',
      headers: { ...headers, 'x-tenant-id': 'safe-tenant' },
      body: { emails: ['info@acme.example'] },
    });

    expect(page.status).toBe(200);
    expect(event.status).toBe(200);
    expect(event.body).toMatchObject({ Entries: [{ outcome: 'sent' }] });
    expect(card.status).toBe(200);
  });

  it('answers tools that send no Origin (curl, scripts)', async () => {
    const answer = await send(service.runtime.url, {
      method: 'POST',
      path: '/local/events',
      body: sendEvent('tool-1'),
    });

    expect(answer.status).toBe(200);
    expect(sentWith('tool-1')).toHaveLength(1);
  });
});

describe('SendGrid sandbox control API: requests from other sites', () => {
  it('refuses a foreign Origin and a rebinding Host, and changes nothing', async () => {
    const sandboxPort = Number(new URL(service.sandbox.globalUrl).port);
    const before = service.sandbox.messages().length;
    expect(before).toBeGreaterThan(0);

    const foreign = await send(service.sandbox.globalUrl, {
      method: 'DELETE',
      path: '/__sandbox/messages',
      headers: { origin: 'https://evil.example' },
    });
    const rebound = await send(service.sandbox.globalUrl, {
      method: 'GET',
      path: '/__sandbox/messages',
      headers: { host: `rebind.evil.example:${sandboxPort}` },
    });

    expect(foreign).toMatchObject({ status: 403, body: { code: 'cross_site_request' } });
    expect(rebound).toMatchObject({ status: 403, body: { code: 'host_not_loopback' } });
    expect(service.sandbox.messages()).toHaveLength(before);
  });
});

describe('SES sandbox control API: requests from other sites', () => {
  it('refuses a foreign Origin and a rebinding Host', async () => {
    const sesUrl = service.runtime.ses.endpoint as string;
    const sesPort = Number(new URL(sesUrl).port);

    const foreign = await send(sesUrl, {
      method: 'POST',
      path: '/__ses/account',
      headers: { origin: 'https://evil.example' },
      body: { sendingEnabled: false },
    });
    const rebound = await send(sesUrl, {
      method: 'GET',
      path: '/__ses/messages',
      headers: { host: `rebind.evil.example:${sesPort}` },
    });
    const own = await send(sesUrl, { method: 'GET', path: '/__ses/account' });

    expect(foreign).toMatchObject({ status: 403, body: { code: 'cross_site_request' } });
    expect(rebound).toMatchObject({ status: 403, body: { code: 'host_not_loopback' } });
    expect(own.body).toMatchObject({ sendingEnabled: true });
  });
});
