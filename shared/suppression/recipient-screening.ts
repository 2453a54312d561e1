import type { EmailAddress, OutboundEmail } from '../sending/outbound-email.js';
import { normaliseAddress } from './suppression-address.js';

/** A message with the tenant's suppressed recipients taken out. */
export interface ScreenedMessage {
  /** What is still sent; undefined when no addressee (`to`) is left: then nothing is sent. */
  message: OutboundEmail | undefined;
  /** The normalised addresses taken out (to, cc and bcc), in the message's order. */
  suppressed: string[];
}

/** Every recipient of a message (to, cc, bcc), as given. */
export function recipientsOf(message: Pick<OutboundEmail, 'to' | 'cc' | 'bcc'>): string[] {
  return [...message.to, ...(message.cc ?? []), ...(message.bcc ?? [])].map((recipient) => recipient.email);
}

/**
 * Takes the suppressed recipients out of to, cc and bcc. When no `to` recipient is left the
 * message is not sent at all, even if copies remain: cc and bcc are copies of mail addressed to
 * someone, and a copy whose addressees were all held back is not what the automation meant to send.
 */
export function screenRecipients(message: OutboundEmail, suppressed: ReadonlySet<string>): ScreenedMessage {
  if (suppressed.size === 0) return { message, suppressed: [] };
  const taken: string[] = [];
  const keep = (list: EmailAddress[] | undefined) =>
    (list ?? []).filter((recipient) => {
      const address = normaliseAddress(recipient.email);
      if (!suppressed.has(address)) return true;
      taken.push(address);
      return false;
    });
  const to = keep(message.to);
  const cc = keep(message.cc);
  const bcc = keep(message.bcc);
  if (to.length === 0) return { message: undefined, suppressed: taken };
  const { cc: _cc, bcc: _bcc, ...rest } = message;
  return {
    message: { ...rest, to, ...(cc.length > 0 ? { cc } : {}), ...(bcc.length > 0 ? { bcc } : {}) },
    suppressed: taken,
  };
}
