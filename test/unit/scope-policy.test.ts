import { describe, expect, it } from 'vitest';
import { assessScopes, settingsToSwitchOff } from '../../shared/providers/sendgrid/scope-policy.js';
import { SCOPE_CATALOG } from '../../shared/providers/sendgrid/sendgrid-facts.js';

const mailSendFullAccess = [
  'mail.send',
  'mail.batch.create',
  'mail.batch.delete',
  'mail.batch.read',
  'mail.batch.update',
  'user.scheduled_sends.create',
  'user.scheduled_sends.delete',
  'user.scheduled_sends.read',
  'user.scheduled_sends.update',
];
const exactKey = [...mailSendFullAccess, 'whitelabel.read', '2fa_required', 'sender_verification_eligible'];

describe('assessScopes', () => {
  it('accepts exactly Mail Send full access plus Sender Authentication read access', () => {
    const assessment = assessScopes(exactKey);

    expect(assessment.missing).toEqual([]);
    expect(assessment.excess).toEqual([]);
    expect(assessment.isBillingKey).toBe(false);
    expect(assessment.required).toEqual(['mail.send', 'whitelabel.read']);
  });

  it('sets SendGrid pseudo-scopes aside instead of counting them as excess', () => {
    const assessment = assessScopes([...exactKey, '2fa_exempt', 'sender_verification_exempt']);

    expect(assessment.ignored).toEqual([
      '2fa_exempt',
      '2fa_required',
      'sender_verification_eligible',
      'sender_verification_exempt',
    ]);
    expect(assessment.granted).not.toContain('2fa_required');
    expect(assessment.excess).toEqual([]);
  });

  it('names each missing scope with the UI setting that grants it', () => {
    const assessment = assessScopes(mailSendFullAccess);

    expect(assessment.missing).toEqual([
      { scope: 'whitelabel.read', grantedBy: 'Sender Authentication → Read Access' },
    ]);
  });

  it('reports a key with only whitelabel.read as lacking mail.send', () => {
    expect(assessScopes(['whitelabel.read']).missing.map((entry) => entry.scope)).toEqual(['mail.send']);
  });

  it('reports extra scopes with the UI setting to switch off', () => {
    const assessment = assessScopes([...exactKey, 'stats.read', 'whitelabel.update']);

    expect(assessment.excess).toEqual([
      { scope: 'stats.read', setting: 'Stats' },
      { scope: 'whitelabel.update', setting: 'Sender Authentication (set it to Read Access, not Full Access)' },
    ]);
    expect(assessment.isFullAccessKey).toBe(false);
    expect(settingsToSwitchOff(assessment.excess)).toEqual([
      'Stats',
      'Sender Authentication (set it to Read Access, not Full Access)',
    ]);
  });

  it('treats scopes SendGrid does not list as excess', () => {
    expect(assessScopes([...exactKey, 'brand_new.feature']).excess[0]?.scope).toBe('brand_new.feature');
  });

  it('recognises a full-access key', () => {
    const everything = SCOPE_CATALOG.flatMap((entry) => entry.scopes);

    const assessment = assessScopes([...exactKey, ...everything]);

    expect(assessment.isFullAccessKey).toBe(true);
    expect(assessment.excess.length).toBeGreaterThan(100);
  });

  it('recognises a billing key', () => {
    const assessment = assessScopes(['billing.create', 'billing.delete', 'billing.read', 'billing.update']);

    expect(assessment.isBillingKey).toBe(true);
    expect(assessment.excess).toEqual([]);
  });
});
