import { domainToASCII } from 'node:url';
import { SesDomainError } from './ses-domain-error.js';

/** Public mailbox providers: nobody can prove they own these, so nobody may onboard them. */
export const PUBLIC_MAILBOX_DOMAINS: ReadonlySet<string> = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'msn.com',
  'yahoo.com',
  'ymail.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'aol.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  't-online.de',
  'mail.com',
  'proton.me',
  'protonmail.com',
  'zoho.com',
  'yandex.com',
]);

/** A DNS label: letters, digits and inner hyphens, 1–63 characters. */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** A top-level domain: letters, or an IDN A-label. */
const TOP_LEVEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/**
 * The domain as SES and DNS know it: lower-cased, IDNs in A-label form (`domainToASCII`), no
 * trailing dot; refused with a fix when it is not a registrable name of at least two labels,
 * carries a scheme, path or address, or belongs to a public mailbox provider.
 */
export function normalizeDomain(input: string): string {
  const trimmed = input.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) || /[/@:?#\s]/.test(trimmed)) {
    throw new SesDomainError(
      'invalid_domain',
      `"${input.slice(0, 100)}" is not a domain: give the bare domain, like acme.example (no https://, path or address).`,
      { extensions: { field: 'domain' } },
    );
  }
  const ascii = domainToASCII(trimmed.replace(/\.$/, '').toLowerCase());
  const labels = ascii.split('.');
  if (
    ascii === '' ||
    ascii.length > 253 ||
    labels.length < 2 ||
    !labels.every((label) => LABEL.test(label)) ||
    !TOP_LEVEL.test(labels[labels.length - 1] ?? '')
  ) {
    throw new SesDomainError(
      'invalid_domain',
      `"${input.slice(0, 100)}" is not a valid domain name: use letters, digits and hyphens in dot-separated parts, like acme.example.`,
      { extensions: { field: 'domain' } },
    );
  }
  if (PUBLIC_MAILBOX_DOMAINS.has(ascii)) {
    throw new SesDomainError(
      'public_mailbox_domain',
      `${ascii} belongs to a public mailbox provider; only its owner can publish DNS records there. Use your company's own domain.`,
      { extensions: { field: 'domain' } },
    );
  }
  return ascii;
}

/** The region to onboard in: the one asked for when the stack allows it, else the first allowed. */
export function allowedRegion(requested: string | undefined, allowed: readonly string[]): string {
  if (requested === undefined) return allowed[0] ?? 'eu-west-1';
  if (!allowed.includes(requested)) {
    throw new SesDomainError(
      'region_not_allowed',
      `Amazon SES region ${requested.slice(0, 40)} is not offered here. Pick one of: ${allowed.join(', ')}.`,
      { extensions: { field: 'region', allowed } },
    );
  }
  return requested;
}
