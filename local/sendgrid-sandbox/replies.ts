import { STATUS_CODES } from 'node:http';

/** An answer the server writes as is. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

/** One entry of SendGrid's error body. `help` is left out unless given, as SendGrid does on most endpoints. */
export interface SendGridErrorItem {
  message: string;
  field: string | null;
  help?: string | null;
}

/** SendGrid's error messages, word for word where known (see docs/sendgrid-facts.md). */
export const SENDGRID_MESSAGES = {
  invalidGrant: 'The provided authorization grant is invalid, expired, or revoked',
  wrongRegionForMail: 'User is not authorized to send mail based on their regional attribute',
  notAuthorizedToSend: 'Authenticated user is not authorized to send mail',
  accessForbidden: 'access forbidden',
  tooManyRequests: 'too many requests',
  notFound: 'not found',
  methodNotAllowed: 'method not allowed',
  contentTooLarge: 'content too large',
  badRequest: 'Bad Request',
  unverifiedSender:
    'The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ to see the Sender Identity requirements',
} as const;

/** A JSON answer. */
export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

/** An answer without a body (202/200 from mail send, 204 from control endpoints). */
export function emptyReply(status: number, headers: Record<string, string> = {}): Reply {
  return { status, headers };
}

/** SendGrid's `{"errors":[…]}` answer. */
export function errorReply(status: number, items: SendGridErrorItem[], headers: Record<string, string> = {}): Reply {
  return jsonReply(status, { errors: items }, headers);
}

/** SendGrid's error answer with one message and no field. */
export function messageReply(status: number, message: string, headers: Record<string, string> = {}): Reply {
  return errorReply(status, [{ field: null, message }], headers);
}

/** The lower-case message SendGrid puts in the body of a bare status (500 "internal server error" …). */
export function statusMessage(status: number): string {
  if (status === 429) return SENDGRID_MESSAGES.tooManyRequests;
  return (STATUS_CODES[status] ?? 'error').toLowerCase();
}
