import type { NewSandboxKey, SandboxAccount, SandboxDomain } from './sandbox-types.js';
import {
  ALL_NON_BILLING_SCOPES,
  BILLING_SCOPES,
  MAIL_SEND_FULL_ACCESS_SCOPES,
  PSEUDO_SCOPES,
  SENDER_AUTHENTICATION_READ_SCOPES,
} from './scopes.js';

/** The scopes of a key made exactly as the product asks: Mail Send full, Sender Authentication read. */
const GOOD_SCOPES = [...MAIL_SEND_FULL_ACCESS_SCOPES, ...SENDER_AUTHENTICATION_READ_SCOPES, ...PSEUDO_SCOPES];

function domain(id: number, name: string, username: string, valid: boolean, isDefault = false): SandboxDomain {
  return { id, domain: name, subdomain: 'em', valid, default: isDefault, username };
}

/** The demo accounts; a fresh copy on every call so tests cannot change the originals. */
export function demoAccounts(): SandboxAccount[] {
  return [
    {
      id: 'acme',
      username: 'acme',
      region: 'global',
      domains: [
        domain(101, 'acme.example', 'acme', true, true),
        domain(102, 'news.acme.example', 'acme', true),
        domain(103, 'old.acme.example', 'acme', false),
      ],
      verifiedSenders: [
        {
          id: 5001,
          from_email: 'billing@acme.example',
          from_name: 'Acme Billing',
          nickname: 'Billing',
          verified: true,
        },
        // Verified, but not at an authenticated domain: SendGrid lets it send, our service does not offer it.
        {
          id: 5002,
          from_email: 'founder@gmail.example',
          from_name: 'Acme Founder',
          nickname: 'Founder',
          verified: true,
        },
        {
          id: 5003,
          from_email: 'pending@acme.example',
          from_name: 'Acme Pending',
          nickname: 'Pending',
          verified: false,
        },
      ],
    },
    {
      id: 'globex',
      username: 'globex',
      region: 'global',
      domains: [domain(201, 'globex.example', 'globex', true, true)],
      verifiedSenders: [],
    },
    {
      id: 'euro',
      username: 'euro',
      region: 'eu',
      domains: [domain(301, 'euro.example', 'euro', true, true)],
      verifiedSenders: [],
    },
    { id: 'blank', username: 'blank', region: 'global', domains: [], verifiedSenders: [] },
  ];
}

function demoKey(
  name: string,
  accountId: string,
  scopes: readonly string[],
  description: string,
  extra: Partial<Pick<NewSandboxKey, 'revoked' | 'canReadVerifiedSenders'>> = {},
): NewSandboxKey {
  return {
    name,
    accountId,
    scopes: [...scopes],
    revoked: extra.revoked ?? false,
    canReadVerifiedSenders: extra.canReadVerifiedSenders ?? false,
    description,
  };
}

/** The demo keys (their key strings derive from the names); a fresh copy on every call. */
export function demoKeySpecs(): NewSandboxKey[] {
  return [
    demoKey('good', 'acme', GOOD_SCOPES, 'valid: verifies and saves'),
    demoKey('good-second', 'acme', GOOD_SCOPES, 'valid, same account as "good": use it to rotate'),
    demoKey(
      'good-with-senders',
      'acme',
      GOOD_SCOPES,
      'valid and can read verified senders: also offers billing@acme.example',
      { canReadVerifiedSenders: true },
    ),
    demoKey(
      'missing-whitelabel-read',
      'acme',
      [...MAIL_SEND_FULL_ACCESS_SCOPES, ...PSEUDO_SCOPES],
      'missing whitelabel.read → 422 missing_scopes',
    ),
    demoKey(
      'missing-mail-send',
      'acme',
      [...SENDER_AUTHENTICATION_READ_SCOPES, ...PSEUDO_SCOPES],
      'missing mail.send → 422 missing_scopes',
    ),
    demoKey('full-access', 'acme', [...ALL_NON_BILLING_SCOPES, ...PSEUDO_SCOPES], 'full access → 422 excess_scopes', {
      canReadVerifiedSenders: true,
    }),
    demoKey('billing', 'acme', BILLING_SCOPES, 'billing key → 422 billing_key'),
    demoKey('eu', 'euro', GOOD_SCOPES, 'EU subuser key: works only on the EU host'),
    demoKey('revoked', 'acme', GOOD_SCOPES, 'revoked → 422 key_rejected', { revoked: true }),
    demoKey('other-account', 'globex', GOOD_SCOPES, 'valid, another account (globex.example)'),
    demoKey('no-domain', 'blank', GOOD_SCOPES, 'no authenticated domain → 422 no_authenticated_domain'),
  ];
}
