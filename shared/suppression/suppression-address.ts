import * as z from 'zod';

/** Why an address is on a tenant's suppression list. */
export const SUPPRESSION_REASONS = ['hard_bounce', 'complaint', 'manual'] as const;

/** Why an address is on a tenant's suppression list. */
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/** The longest address SMTP carries (RFC 5321 path limit less the brackets). */
export const MAX_ADDRESS_LENGTH = 254;

const plainAddress = z.email().max(MAX_ADDRESS_LENGTH);

/**
 * The form an address is stored and compared in: surrounding whitespace removed, then the whole
 * address lower-cased. RFC 5321 lets a mailbox's local part be case-sensitive, but no mailbox
 * provider in practice treats `Jane@` and `jane@` as different people, and SendGrid and SES keep
 * their own suppression lists case-insensitively; one list entry per person is what a tenant expects.
 */
export function normaliseAddress(email: string): string {
  return email.trim().toLowerCase();
}

/** Whether a (normalised) address is a plain addr-spec we would send to: no display name, ≤ 254 characters. */
export function isPlainAddress(email: string): boolean {
  return plainAddress.safeParse(email).success;
}
