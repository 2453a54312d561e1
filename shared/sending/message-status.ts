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

/** A bounce's kind: `hard` (permanent: the address does not take mail) or `soft` (a block, temporary). */
export type BounceType = 'hard' | 'soft';

/** A status with its bounce kind, as the order below ranks it (`bounced:hard` outranks `bounced:soft`). */
export type RankedStatus = Exclude<MessageStatus, 'bounced'> | `bounced:${BounceType}`;

/**
 * The forward-only order of statuses, for one recipient and for a message alike: a status may
 * replace every status of the rows above its own row, and nothing else. So a late `deferred`
 * never overwrites `delivered`, a soft bounce never overwrites a hard one, and nothing moves a
 * message the provider never took (`failed`, `suppressed`). `delivery_unknown` (our call to the
 * provider was cut off) ranks with `accepted`, so the provider's own word may still settle it.
 */
export const STATUS_ORDER: readonly (readonly RankedStatus[])[] = [
  ['sending'],
  ['accepted', 'delivery_unknown'],
  ['deferred'],
  ['delivered'],
  ['dropped'],
  ['bounced:soft'],
  ['bounced:hard'],
  ['complained'],
  ['failed', 'suppressed'],
];

/** The row of a status in {@link STATUS_ORDER} (a bounce of unknown kind counts as soft). */
export function statusRank(status: MessageStatus, bounceType?: BounceType | null): number {
  const ranked: RankedStatus = status === 'bounced' ? `bounced:${bounceType ?? 'soft'}` : status;
  return STATUS_ORDER.findIndex((row) => row.includes(ranked));
}

/** Whether `next` may replace `current` (strictly later in {@link STATUS_ORDER}). */
export function mayReplace(
  current: { status: MessageStatus; bounceType?: BounceType | null },
  next: { status: MessageStatus; bounceType?: BounceType | null },
): boolean {
  return statusRank(next.status, next.bounceType) > statusRank(current.status, current.bounceType);
}
