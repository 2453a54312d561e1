import { describe, expect, it } from 'vitest';
import { statusText } from '../../shared/message-catalog.js';
import { chooseSender, requireVerifiedSenderDomain, SendRuleError } from '../../shared/sending/sender-rules.js';

const registered = ['sales@acme.example', 'info@acme.example', 'noreply@acme.example'];

describe('chooseSender', () => {
  it('defaults customer mail to info@, internal mail to noreply@', () => {
    expect(chooseSender(registered, 'customer')).toBe('info@acme.example');
    expect(chooseSender(registered, 'internal')).toBe('noreply@acme.example');
  });

  it('falls back to the first sender that is not noreply@ when info@ is not registered', () => {
    expect(chooseSender(['noreply@acme.example', 'hello@acme.example'], 'customer')).toBe('hello@acme.example');
  });

  it('accepts a registered from in any case and returns the stored spelling', () => {
    expect(chooseSender(registered, 'customer', 'Sales@ACME.example')).toBe('sales@acme.example');
    expect(chooseSender(registered, 'internal', 'NoReply@acme.example')).toBe('noreply@acme.example');
  });

  it.each([
    ['an unregistered from', registered, 'customer', 'ceo@acme.example'],
    ['internal mail from info@', registered, 'internal', 'info@acme.example'],
    ['internal mail without noreply@', ['info@acme.example'], 'internal', undefined],
    ['customer mail with only noreply@', ['noreply@acme.example'], 'customer', undefined],
  ] as const)('refuses %s with sender_not_registered', (_name, senders, audience, from) => {
    const attempt = () => chooseSender(senders, audience, from);
    expect(attempt).toThrow(SendRuleError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'sender_not_registered' }));
  });
});

describe('requireVerifiedSenderDomain', () => {
  it('refuses a sender at a failed SES domain with sender_domain_failed, naming the domain', () => {
    expect(() => requireVerifiedSenderDomain(['acme.example'], 'info@acme.example')).toThrow(
      expect.objectContaining({ code: 'sender_domain_failed', detail: expect.stringContaining('acme.example') }),
    );
  });

  it('lets senders at other domains through', () => {
    expect(() => requireVerifiedSenderDomain(['acme.example'], 'info@news.acme.example')).not.toThrow();
    expect(() => requireVerifiedSenderDomain(undefined, 'info@acme.example')).not.toThrow();
  });
});

describe('statusText for domain_failed', () => {
  it('says which domain failed and what to do, in each language', () => {
    for (const language of ['en', 'de'] as const) {
      const words = statusText('domain_failed', language, { domains: ['acme.example'] });
      expect(words.label).toContain('acme.example');
      expect(words.nextStep).toContain('acme.example');
    }
  });
});
