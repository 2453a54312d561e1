import { Logger } from '@aws-lambda-powertools/logger';

/** The service's structured logger (Powertools); service name and level come from the environment. */
export function createLogger(): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'email-integrations' });
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
    message: error.message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(typeof status === 'number' ? { status } : {}),
    ...(typeof kind === 'string' ? { kind } : {}),
    ...(error.cause !== undefined && depth < 3 ? { cause: describeError(error.cause, depth + 1) } : {}),
  };
}
