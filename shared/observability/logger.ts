import { AsyncLocalStorage } from 'node:async_hooks';
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

/** The logger of the invocation running now, where a host runs several at once (the local runtime). */
const invocationLoggers = new AsyncLocalStorage<Logger>();

/** The logger the current invocation writes with: its own when it has one, else the process's. */
function currentLogger(): Logger {
  const own = invocationLoggers.getStore();
  if (own) return own;
  processLogger ??= createLogger();
  return processLogger;
}

/** Stands for {@link currentLogger} wherever a module kept the logger it was given at load. */
const sharedLogger = new Proxy(Object.create(Logger.prototype) as Logger, {
  get(_shell, property) {
    const logger = currentLogger();
    const value = Reflect.get(logger, property, logger) as unknown;
    return typeof value === 'function' ? value.bind(logger) : value;
  },
  set(_shell, property, value) {
    return Reflect.set(currentLogger(), property, value);
  },
});

/**
 * The service's logger, shared by the edge and every use case: the Lambda context and the tenant
 * the edge adds to it reach every line of a request. A Lambda process serves one invocation at a
 * time, so it is the process's one logger; a host serving several at once runs each in
 * {@link withOwnLogger}, and lines then carry their own invocation's context.
 */
export function serviceLogger(): Logger {
  return sharedLogger;
}

/**
 * Runs one invocation with a logger of its own (the local runtime runs every function in one
 * process, several at once): the function name, request id and tenant one sets are not
 * another's.
 */
export function withOwnLogger<T>(invocation: () => T): T {
  return invocationLoggers.run(createLogger(), invocation);
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
