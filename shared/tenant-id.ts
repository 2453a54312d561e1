/**
 * What a tenant id may look like, wherever one arrives (the authorizer's claim, a send event):
 * printable ASCII that starts with a letter or digit, at most 128 characters. One rule, so an id
 * the API would refuse can never be sent for, stored or logged through another door.
 */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/** Whether a value is a well-formed tenant id. */
export function isTenantId(value: unknown): value is string {
  return typeof value === 'string' && TENANT_ID_PATTERN.test(value);
}
