import { type MessageRef, message } from '../message-catalog.js';
import { DomainProblem } from '../problem-catalog.js';
import { domainOf } from '../providers/email-provider.js';

/** The codes a broken send rule carries: each is an API problem code and a permanent send outcome. */
export type SendRuleCode = 'sender_not_registered' | 'key_rejected' | 'sender_domain_failed' | 'sending_paused';

/** A send broke a rule before any provider was called: permanent, with a reason to show. */
export class SendRuleError extends DomainProblem {
  override readonly name = 'SendRuleError';
  declare readonly code: SendRuleCode;

  constructor(code: SendRuleCode, detail: MessageRef | string) {
    super(code, detail);
  }
}

/** Who a message is for: customers of the tenant, or the tenant's own staff. */
export type Audience = 'customer' | 'internal';

const localPart = (email: string) => email.slice(0, email.lastIndexOf('@')).toLowerCase();

/**
 * Picks the `from` address for a message, from the tenant's registered senders only:
 * - an explicit `from` must be registered (compared case-insensitively);
 * - internal mail goes only from a registered noreply@ address;
 * - without `from`, customer mail uses info@ when registered, else the first sender that is
 *   not noreply@; internal mail uses noreply@.
 * Returns the registered spelling (lower case, as stored).
 */
export function chooseSender(registered: readonly string[], audience: Audience, requested?: string): string {
  const senders = registered.map((email) => email.toLowerCase());
  if (requested !== undefined) {
    const wanted = requested.trim().toLowerCase();
    if (!senders.includes(wanted)) {
      throw new SendRuleError(
        'sender_not_registered',
        message('sender_not_registered', { sender: wanted, registered: senders }),
      );
    }
    if (audience === 'internal' && localPart(wanted) !== 'noreply') {
      throw new SendRuleError('sender_not_registered', message('internal_only_from_noreply', { sender: wanted }));
    }
    return wanted;
  }
  const noreply = senders.find((email) => localPart(email) === 'noreply');
  if (audience === 'internal') {
    if (!noreply) {
      throw new SendRuleError('sender_not_registered', message('internal_needs_noreply', { registered: senders }));
    }
    return noreply;
  }
  const chosen = senders.find((email) => localPart(email) === 'info') ?? senders.find((email) => email !== noreply);
  if (!chosen) {
    throw new SendRuleError('sender_not_registered', message('customer_needs_sender', { registered: senders }));
  }
  return chosen;
}

/**
 * Refuses a sender at an Amazon SES domain the domain checker found failed (`failedDomains` on
 * the card): before SES would refuse it, with a code that names the cause.
 */
export function requireVerifiedSenderDomain(failedDomains: readonly string[] | undefined, from: string): void {
  const domain = domainOf(from);
  if (failedDomains?.includes(domain)) {
    throw new SendRuleError('sender_domain_failed', message('sender_domain_failed', { sender: from, domain }));
  }
}
