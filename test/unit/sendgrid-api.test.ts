import type { Client } from '@sendgrid/client';
import { describe, expect, it } from 'vitest';
import { describeError } from '../../shared/observability/logger.js';
import { SendGridApi, SendGridApiError } from '../../shared/providers/sendgrid/sendgrid-api.js';

const apiKey = `SG.${'k'.repeat(22)}.${'s'.repeat(43)}`;

/** A stand-in for `@sendgrid/client` that fails the way it does: errors carrying the request and its headers. */
function failingClient(error: unknown) {
  const requests: unknown[] = [];
  const client = {
    setDefaultRequest: () => client,
    request: async (data: unknown) => {
      requests.push(data);
      throw error;
    },
  };
  return { client: client as unknown as Client, requests };
}

describe('SendGridApi', () => {
  it('sends the key per request to the region’s base URL', async () => {
    const requests: unknown[] = [];
    const client = {
      setDefaultRequest: () => client,
      request: async (data: unknown) => {
        requests.push(data);
        return [{ statusCode: 200, body: { scopes: [] }, headers: { 'X-RateLimit-Remaining': '5' } }, {}];
      },
    };
    const api = new SendGridApi({ client: client as unknown as Client, baseUrls: { eu: 'http://eu.local' } });

    const response = await api.get('eu', apiKey, '/v3/scopes');

    expect(requests[0]).toMatchObject({
      baseUrl: 'http://eu.local',
      url: '/v3/scopes',
      method: 'GET',
      headers: { Authorization: `Bearer ${apiKey}` },
    });
    expect(response).toEqual({ status: 200, body: { scopes: [] }, headers: { 'x-ratelimit-remaining': '5' } });
  });

  it('turns an HTTP error into a SendGridApiError without the request or its headers', async () => {
    const upstream = Object.assign(new Error('Unauthorized'), {
      code: 401,
      response: {
        headers: { 'x-ratelimit-reset': '1700000000' },
        body: { errors: [{ message: 'bad key', field: null }] },
      },
      config: { headers: { Authorization: `Bearer ${apiKey}` } },
    });
    const { client } = failingClient(upstream);

    const error = await new SendGridApi({ client }).get('global', apiKey, '/v3/scopes').then(
      () => {
        throw new Error('expected a failure');
      },
      (caught: unknown) => caught as SendGridApiError,
    );

    expect(error).toBeInstanceOf(SendGridApiError);
    expect(error).toMatchObject({ kind: 'http', status: 401, rateLimitReset: 1700000000 });
    expect(error.errors).toEqual([{ message: 'bad key', field: null }]);
    expect(JSON.stringify({ ...error, message: error.message, log: describeError(error) })).not.toContain(
      apiKey.slice(3),
    );
  });

  it.each([
    ['timeout', { code: 'ECONNABORTED' }],
    ['network', { code: 'ECONNRESET' }],
  ])('classifies a %s by its kind, without a status', async (kind, fields) => {
    const { client } = failingClient(
      Object.assign(new Error('boom'), fields, { config: { headers: { Authorization: `Bearer ${apiKey}` } } }),
    );

    const error = await new SendGridApi({ client }).post('global', apiKey, '/v3/mail/send', {}).then(
      () => {
        throw new Error('expected a failure');
      },
      (caught: unknown) => caught as SendGridApiError,
    );

    expect(error).toMatchObject({ kind, status: undefined });
    expect(error.message).not.toContain(apiKey);
  });
});
