/**
 * A message's statuses, in the order a message moves through them: the one list the ledger, the
 * message history and the API's schemas use (no AWS SDK here, so every route can import it).
 */
export const MESSAGE_STATUSES = [
  'sending',
  'accepted',
  'delivered',
  'deferred',
  'bounced',
  'complained',
  'dropped',
  'suppressed',
  'failed',
  'delivery_unknown',
] as const;

/** Where a send request stands. */
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
