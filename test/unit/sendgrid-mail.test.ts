import { describe, expect, it } from 'vitest';
import { validateMailBody } from '../../local/sendgrid-sandbox/mail-validation.js';
import { SendFailure } from '../../shared/providers/email-provider.js';
import { SendGridApiError } from '../../shared/providers/sendgrid/sendgrid-api.js';
import {
  classifySendError,
  SendGridMailTransport,
  toSendGridMailBody,
} from '../../shared/providers/sendgrid/sendgrid-mail.js';

const now = Date.UTC(2026, 10, 24, 12, 0, 0);
const httpError = (status: number, errors: Array<{ message: string; field?: string | null }> = [], reset?: number) =>
  new SendGridApiError('http', 'global', '/v3/mail/send', status, errors, reset);

describe('toSendGridMailBody', () => {
  it('maps a template message with sandbox mode onto SendGrid’s fields', () => {
    expect(
      toSendGridMailBody({
        from: { email: 'info@acme.example', name: 'Acme' },
        to: [{ email: 'a@customer.example' }],
        bcc: [{ email: 'audit@acme.example' }],
        replyTo: { email: 'help@acme.example' },
        templateId: 'd-123',
        templateData: { name: 'Jane' },
        customArgs: { messageId: 'm-1' },
        sandbox: true,
      }),
    ).toEqual({
      personalizations: [
        {
          to: [{ email: 'a@customer.example' }],
          bcc: [{ email: 'audit@acme.example' }],
          dynamic_template_data: { name: 'Jane' },
          custom_args: { messageId: 'm-1' },
        },
      ],
      from: { email: 'info@acme.example', name: 'Acme' },
      reply_to: { email: 'help@acme.example' },
      template_id: 'd-123',
      mail_settings: { sandbox_mode: { enable: true } },
    });
  });

  it('puts our messageId, the tenant and the event’s args in every personalization, none at message level', () => {
    const body = toSendGridMailBody(
      {
        from: { email: 'info@acme.example' },
        to: [{ email: 'a@customer.example' }],
        subject: 'Hello',
        text: 'Hi',
        customArgs: { orderId: '42', messageId: 'm-2' },
      },
      'tenant-7',
    );
    expect(body).not.toHaveProperty('custom_args');
    for (const personalization of body.personalizations) {
      expect(personalization.custom_args).toEqual({ orderId: '42', messageId: 'm-2', tenantId: 'tenant-7' });
    }
  });

  it('builds bodies that SendGrid’s OpenAPI document (PostMailSend) accepts', () => {
    const plain = toSendGridMailBody(
      {
        from: { email: 'info@acme.example', name: 'Acme' },
        to: [{ email: 'a@customer.example', name: 'A' }],
        cc: [{ email: 'b@customer.example' }],
        replyTo: { email: 'help@acme.example' },
        subject: 'Hello',
        text: 'Hi',
        html: '<p>Hi</p>',
        categories: ['welcome'],
        customArgs: { messageId: 'm-3' },
      },
      'tenant-7',
    );
    const template = toSendGridMailBody(
      {
        from: { email: 'info@acme.example' },
        to: [{ email: 'a@customer.example' }],
        templateId: 'd-123',
        templateData: { name: 'Jane' },
        customArgs: { messageId: 'm-4' },
        sandbox: true,
      },
      'tenant-7',
    );
    expect(validateMailBody(plain)).toEqual([]);
    expect(validateMailBody(template)).toEqual([]);
  });
});

describe('classifySendError', () => {
  it.each([
    ['400', httpError(400, [{ message: 'The subject is required.', field: 'subject' }]), 'message_rejected'],
    ['413', httpError(413, [{ message: 'content too large' }]), 'message_rejected'],
    [
      '401',
      httpError(401, [{ message: 'The provided authorization grant is invalid, expired, or revoked' }]),
      'key_rejected',
    ],
    ['403 on from', httpError(403, [{ message: 'The from address does not match', field: 'from' }]), 'sender_rejected'],
    ['403 elsewhere', httpError(403, [{ message: 'access forbidden' }]), 'key_rejected'],
    [
      '500 (reached the mail send application: unknown)',
      httpError(500, [{ message: 'internal server error' }]),
      'outcome_unknown',
    ],
    ['502 (a gateway lost the answer)', httpError(502), 'outcome_unknown'],
    ['504 (a gateway timed out)', httpError(504), 'outcome_unknown'],
    ['503 (refused to process)', httpError(503), 'transient'],
    ['404 (refused before processing)', httpError(404), 'transient'],
    [
      'a refused connection',
      new SendGridApiError('network', 'global', '/v3/mail/send', undefined, [], undefined, 'ECONNREFUSED'),
      'transient',
    ],
    [
      'a reset connection',
      new SendGridApiError('network', 'global', '/v3/mail/send', undefined, [], undefined, 'ECONNRESET'),
      'outcome_unknown',
    ],
    [
      'a timeout',
      new SendGridApiError('timeout', 'global', '/v3/mail/send', undefined, [], undefined),
      'outcome_unknown',
    ],
  ])('classifies %s', (_name, error, failureClass) => {
    expect(classifySendError(error, now).failureClass).toBe(failureClass);
  });

  it('waits until X-RateLimit-Reset after a 429', () => {
    const failure = classifySendError(httpError(429, [{ message: 'too many requests' }], now / 1000 + 42), now);
    expect(failure).toMatchObject({ failureClass: 'throttled', options: { retryAfterSeconds: 42 } });
  });
});

describe('SendGridMailTransport', () => {
  it('posts to the tenant’s region with its key and returns X-Message-Id', async () => {
    const calls: unknown[][] = [];
    const transport = new SendGridMailTransport({
      get: async () => ({ status: 200, body: {} as never, headers: {} }),
      post: async (...args: unknown[]) => {
        calls.push(args);
        return { status: 202, body: '' as never, headers: { 'x-message-id': 'sg-1' } };
      },
    });
    const receipt = await transport.send(
      { region: 'eu', apiKey: 'SG.key' },
      { from: { email: 'info@euro.example' }, to: [{ email: 'a@b.example' }], subject: 'Hi', text: 'Hi' },
    );
    expect(receipt).toEqual({ providerMessageId: 'sg-1' });
    expect(calls[0]?.slice(0, 3)).toEqual(['eu', 'SG.key', '/v3/mail/send']);
  });

  it('refuses an unknown region without calling SendGrid', async () => {
    const transport = new SendGridMailTransport({
      get: async () => {
        throw new Error('no call expected');
      },
      post: async () => {
        throw new Error('no call expected');
      },
    });
    await expect(
      transport.send({ region: 'mars', apiKey: 'SG.key' }, { from: { email: 'a@b.example' }, to: [], text: 'x' }),
    ).rejects.toBeInstanceOf(SendFailure);
  });

  const message = { from: { email: 'info@acme.example' }, to: [{ email: 'jane@customer.example' }], text: 'Hi' };
  /** A SendGrid that answers the send with `post` and the scopes call with `scopes`. */
  const sendGrid = (post: () => Promise<unknown>, scopes: () => Promise<unknown> = async () => ({})) => {
    const calls: string[] = [];
    const api = {
      get: async (_region: string, _key: string, path: string) => {
        calls.push(`GET ${path}`);
        return (await scopes()) as never;
      },
      post: async (_region: string, _key: string, path: string) => {
        calls.push(`POST ${path}`);
        return (await post()) as never;
      },
    };
    return { transport: new SendGridMailTransport(api, () => now), calls };
  };
  const failureOf = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SendFailure);
    return error as SendFailure;
  };

  it.each([200, 201, 204])('counts a %i answer to a real send as an unknown outcome, not as sent', async (status) => {
    const { transport } = sendGrid(async () => ({ status, body: '', headers: { 'x-message-id': 'sg-1' } }));
    const failure = await failureOf(transport.send({ region: 'global', apiKey: 'SG.key' }, message));
    expect(failure.failureClass).toBe('outcome_unknown');
  });

  it('counts 200 as sent for a sandbox-mode send', async () => {
    const { transport } = sendGrid(async () => ({ status: 200, body: '', headers: {} }));
    const receipt = await transport.send({ region: 'global', apiKey: 'SG.key' }, { ...message, sandbox: true });
    expect(receipt).toEqual({ providerMessageId: null });
  });

  it('confirms a 401 with the same key: refused again, the key is rejected', async () => {
    const { transport, calls } = sendGrid(
      async () => {
        throw httpError(401, [{ message: 'The provided authorization grant is invalid, expired, or revoked' }]);
      },
      async () => {
        throw new SendGridApiError(
          'http',
          'global',
          '/v3/scopes',
          401,
          [{ message: 'authorization required' }],
          undefined,
        );
      },
    );
    const failure = await failureOf(transport.send({ region: 'global', apiKey: 'SG.key' }, message));
    expect(failure).toMatchObject({ failureClass: 'key_rejected', options: { status: 401 } });
    expect(calls).toEqual(['POST /v3/mail/send', 'GET /v3/scopes']);
  });

  it('confirms a 401 with the same key: a key that lost Mail Send is rejected', async () => {
    const { transport } = sendGrid(
      async () => {
        throw httpError(401, [{ message: 'Authenticated user is not authorized to send mail' }]);
      },
      async () => ({ status: 200, body: { scopes: ['whitelabel.read'] }, headers: {} }),
    );
    const failure = await failureOf(transport.send({ region: 'global', apiKey: 'SG.key' }, message));
    expect(failure.failureClass).toBe('key_rejected');
  });

  it.each([
    [
      'accepts the key with Mail Send',
      async () => ({ status: 200, body: { scopes: ['mail.send', 'whitelabel.read'] }, headers: {} }),
    ],
    [
      'cannot be reached',
      async () => {
        throw new SendGridApiError('network', 'global', '/v3/scopes', undefined, [], undefined, 'ECONNREFUSED');
      },
    ],
    [
      'answers 503',
      async () => {
        throw new SendGridApiError('http', 'global', '/v3/scopes', 503, [], undefined);
      },
    ],
  ])('retries a send refused with 401 when SendGrid then %s', async (_case, scopes) => {
    const { transport } = sendGrid(async () => {
      throw httpError(401, [{ message: 'authorization required' }]);
    }, scopes);
    const failure = await failureOf(transport.send({ region: 'global', apiKey: 'SG.key' }, message));
    expect(failure.failureClass).toBe('transient');
  });

  it('keeps recipient addresses out of the reason it reports, naming the field instead', () => {
    const failure = classifySendError(
      httpError(400, [
        { message: 'Invalid email address jane@customer.example', field: 'personalizations.0.to.0.email' },
      ]),
      now,
    );
    expect(failure.reason).not.toContain('jane@customer.example');
    expect(failure.reason).toContain('personalizations.0.to.0.email');
  });
});
