/**
 * The HTTP API's routes and the handler file serving each: one list read by the CDK stack
 * (one function per route) and by the local runtime (same handlers, same paths).
 */
export const API_ROUTES = [
  { method: 'POST', path: '/integrations/sendgrid/verify', handler: 'verify-sendgrid-key' },
  { method: 'PUT', path: '/integrations/sendgrid', handler: 'save-sendgrid-integration' },
  { method: 'GET', path: '/integrations/sendgrid', handler: 'get-sendgrid-integration' },
  { method: 'POST', path: '/integrations/sendgrid/rotate', handler: 'rotate-sendgrid-key' },
  { method: 'PUT', path: '/integrations/sendgrid/emails', handler: 'update-sendgrid-senders' },
  { method: 'DELETE', path: '/integrations/sendgrid', handler: 'delete-sendgrid-integration' },
  { method: 'POST', path: '/integrations/sendgrid/test', handler: 'send-test-email' },
  { method: 'GET', path: '/messages', handler: 'list-messages' },
  { method: 'GET', path: '/messages/{messageId}', handler: 'get-message' },
  { method: 'POST', path: '/integrations/ses/domains', handler: 'add-ses-domain' },
  { method: 'GET', path: '/integrations/ses/domains', handler: 'list-ses-domains' },
  { method: 'GET', path: '/integrations/ses/domains/{domain}', handler: 'get-ses-domain' },
  { method: 'POST', path: '/integrations/ses/domains/{domain}/check', handler: 'check-ses-domain' },
  { method: 'DELETE', path: '/integrations/ses/domains/{domain}', handler: 'delete-ses-domain' },
  { method: 'POST', path: '/integrations/ses/activate', handler: 'activate-ses' },
  { method: 'GET', path: '/suppressions', handler: 'list-suppressions' },
  { method: 'PUT', path: '/suppressions/{email}', handler: 'add-suppression' },
  { method: 'DELETE', path: '/suppressions/{email}', handler: 'remove-suppression' },
  { method: 'PUT', path: '/integrations/sendgrid/event-webhook', handler: 'put-sendgrid-event-webhook' },
  { method: 'GET', path: '/integrations/sendgrid/event-webhook', handler: 'get-sendgrid-event-webhook' },
  { method: 'DELETE', path: '/integrations/sendgrid/event-webhook', handler: 'delete-sendgrid-event-webhook' },
  {
    method: 'POST',
    path: '/integrations/sendgrid/event-webhook/rotate-url',
    handler: 'rotate-sendgrid-event-webhook-url',
  },
  { method: 'POST', path: '/webhooks/sendgrid/{webhookId}', handler: 'receive-sendgrid-events' },
] as const;

/** One route of {@link API_ROUTES}. */
export type ApiRoute = (typeof API_ROUTES)[number];

/** The name of a handler file in `functions/` (without `.ts`). */
export type HandlerName = ApiRoute['handler'];

/**
 * Routes a provider calls, not the console: no JWT authorizer (each checks its caller itself,
 * e.g. SendGrid's signature) and a throttle of their own. Every other route needs the JWT.
 */
export const PUBLIC_ROUTE_HANDLERS: ReadonlySet<HandlerName> = new Set<HandlerName>(['receive-sendgrid-events']);
