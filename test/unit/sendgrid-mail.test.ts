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
    ['500', httpError(500, [{ message: 'internal server error' }]), 'transient'],
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
});
