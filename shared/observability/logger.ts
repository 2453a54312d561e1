import { Logger } from '@aws-lambda-powertools/logger';

/** A SendGrid key, or enough of one (its id part and more) to matter. */
const SENDGRID_KEY_LIKE = /SG\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]*)?/g;
const BEARER = /\b(Bearer|Basic)\s+[^\s"',]+/gi;
/** Field names whose values are secrets whatever they hold. */
const SECRET_FIELDS = /^(authorization|apikey|api_key|x-api-key|password|secret|plaintext|datakey)$/i;

/**
 * Last line of defence, applied to every key and value of every log entry: secret-named fields
 * are replaced, anything shaped like a SendGrid key or a bearer credential is masked, and errors
 * are reduced to {@link describeError} (HTTP clients' errors carry request headers).
 */
export function redactLogValue(key: string, value: unknown): unknown {
  if (SECRET_FIELDS.test(key) && value !== undefined && value !== null) return '[REDACTED]';
  if (typeof value === 'string')
    return value.replace(SENDGRID_KEY_LIKE, 'SG.[REDACTED]').replace(BEARER, '$1 [REDACTED]');
  if (value instanceof Error) return describeError(value);
  return value;
}

/** A new structured logger (Powertools) with redaction; service name and level come from the environment. */
export function createLogger(): Logger {
  return new Logger({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'email-integrations',
    jsonReplacerFn: redactLogValue,
  });
}

let processLogger: Logger | undefined;

/**
 * The process's one logger, shared by the edge and every use case: the Lambda context and the
 * tenant the edge adds to it reach every line of a request. (A Lambda process serves one
 * invocation at a time; the local runtime, serving several, may mix them up.)
 */
export function serviceLogger(): Logger {
  processLogger ??= createLogger();
  return processLogger;
}

/**
 * What may be logged about an error: its class, code and message, walking `cause` — never the
 * raw object, since HTTP clients' errors carry request headers (and so the API key).
 */
export function describeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { value: typeof error };
  const { code, status, kind } = error as { code?: unknown; status?: unknown; kind?: unknown };
  return {
    name: error.name,
    message: String(redactLogValue('message', error.message)),
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(typeof status === 'number' ? { status } : {}),
    ...(typeof kind === 'string' ? { kind } : {}),
    ...(error.cause !== undefined && depth < 3 ? { cause: describeError(error.cause, depth + 1) } : {}),
  };
}
