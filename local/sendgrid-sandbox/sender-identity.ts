import type { SandboxAccount } from './sandbox-types.js';

/**
 * Whether an account may send as this address: its domain is one of the account's valid
 * authenticated domains (exactly; a subdomain needs its own authentication), or the whole
 * address is a verified single sender. Domains compare case-insensitively, as DNS does.
 */
export function maySendAs(account: SandboxAccount, email: string): boolean {
  const address = email.trim().toLowerCase();
  const domain = address.slice(address.lastIndexOf('@') + 1);
  const authenticated = account.domains.some((entry) => entry.valid && entry.domain.toLowerCase() === domain);
  if (authenticated) return true;
  return account.verifiedSenders.some((sender) => sender.verified && sender.from_email.toLowerCase() === address);
}
