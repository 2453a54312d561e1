import type { NewDnsRecord } from '../dns/index.js';
import type { StoredIdentity } from './ses-state.js';

/** Where Easy DKIM CNAMEs point (docs/ses-facts.md 2.2). */
export const DKIM_HOSTED_ZONE = 'dkim.amazonses.com';

/** The SPF record SES asks for on a custom MAIL FROM domain (FACTS.md 2.4). */
export const MAIL_FROM_SPF = 'v=spf1 include:amazonses.com ~all';

/** The three Easy DKIM CNAMEs: `<token>._domainkey.<domain>` → `<token>.dkim.amazonses.com`. */
export function dkimRecords(identity: StoredIdentity): NewDnsRecord[] {
  return identity.dkimTokens.map((token) => ({
    type: 'CNAME',
    name: `${token}._domainkey.${identity.name}`,
    value: `${token}.${DKIM_HOSTED_ZONE}`,
  }));
}

/** The MX SES looks for on the MAIL FROM domain: its feedback host in the region. */
export function mailFromMxRecord(region: string, mailFromDomain: string): NewDnsRecord {
  return { type: 'MX', name: mailFromDomain, value: `10 feedback-smtp.${region}.amazonses.com` };
}

/** Every record SES asks the owner of a domain identity to publish (DKIM; MAIL FROM MX and SPF when set). */
export function identityRecords(region: string, identity: StoredIdentity): NewDnsRecord[] {
  if (identity.type !== 'DOMAIN') return [];
  const mailFrom = identity.mailFrom
    ? [
        mailFromMxRecord(region, identity.mailFrom.domain),
        { type: 'TXT' as const, name: identity.mailFrom.domain, value: MAIL_FROM_SPF },
      ]
    : [];
  return [...dkimRecords(identity), ...mailFrom];
}
