/** Anything shaped like an email address (local part @ domain), wherever it sits in a text. */
const EMAIL_LIKE = /[^\s@<>"'(),;:[\]]+@[^\s@<>"'(),;:[\]]+\.[^\s@<>"'(),;:[\]]+/g;

/**
 * A text with every email address replaced, for what the send path stores (ledger
 * `failureDetail`) and logs: recipients' addresses never leave the message itself. Providers'
 * error texts and our own reasons go through it; they name the field and its index instead.
 */
export function withoutAddresses(text: string): string {
  return text.replace(EMAIL_LIKE, '[address]');
}
