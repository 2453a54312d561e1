import { randomUUID } from 'node:crypto';

/** An answer the server writes as is. */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body?: string;
}

/** A JSON answer, with the request id header every AWS answer carries. */
export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'Content-Type': 'application/json', 'x-amzn-RequestId': randomUUID(), ...headers },
    body: JSON.stringify(value),
  };
}

/** An answer without a body (204 from control endpoints). */
export function emptyReply(status: number, headers: Record<string, string> = {}): Reply {
  return { status, headers };
}

/**
 * An error as restJson1 services answer it: the error's shape name in `x-amzn-ErrorType`
 * (which the SDK turns into the exception class) and `{"message": …}` as the body.
 */
export function sesErrorReply(status: number, errorName: string, message: string): Reply {
  return jsonReply(status, { message }, { 'x-amzn-ErrorType': errorName });
}
