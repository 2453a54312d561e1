import type { DomainRecord, DomainStatus, SesDomainItem } from './domain-store.js';

/** SES looks for a new domain's DKIM records for up to 72 hours (docs/ses-facts.md 2.3); so do we. */
export const VERIFICATION_WINDOW_MS = 72 * 3_600_000;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * How long after a check a domain is looked at again (before `scale`), or undefined when it is no
 * longer watched. A new domain is checked often while its owner is likely publishing records and
 * less as it ages (10 min in the first hour, 30 min up to 6 h, 1 h up to a day, then 2 h), never
 * past the end of its 72-hour window; a verified domain hourly, to notice records removed; a
 * domain that failed after it had verified every 30 min, so a repair shows soon. A domain that
 * never verified within its window is not watched any more (the tenant's "Check now" still works).
 */
export function nextCheckDelayMs(
  item: Pick<SesDomainItem, 'status' | 'createdAt' | 'verifiedAt'>,
  now: Date,
): number | undefined {
  if (item.verifiedAt) return item.status === 'verified' ? HOUR : 30 * MINUTE;
  if (item.status === 'verified') return HOUR;
  if (item.status === 'failed') return undefined;
  const age = now.getTime() - Date.parse(item.createdAt);
  const delay = age < HOUR ? 10 * MINUTE : age < 6 * HOUR ? 30 * MINUTE : age < 24 * HOUR ? HOUR : 2 * HOUR;
  // The check that marks the domain failed comes right when its window ends.
  return Math.max(MINUTE, Math.min(delay, Date.parse(item.createdAt) + VERIFICATION_WINDOW_MS - now.getTime()));
}

/** When the domain is next due, on a clock whose intervals are multiplied by `scale` (the local runtime compresses them). */
export function nextCheckAt(
  item: Pick<SesDomainItem, 'status' | 'createdAt' | 'verifiedAt'>,
  now: Date,
  scale = 1,
): string | undefined {
  const delay = nextCheckDelayMs(item, now);
  return delay === undefined
    ? undefined
    : new Date(now.getTime() + Math.max(1, Math.round(delay * scale))).toISOString();
}

/**
 * Our verdict on a domain from SES's and our own DNS look-up: SES's, except that a domain that
 * never verified is `failed` once its 72 hours are over, and a verified domain whose DKIM records
 * we no longer find (removed or changed) is `failed` as soon as SES stops calling it verified —
 * before SES itself gives up on it and refuses its mail.
 */
export function judgeStatus(
  item: Pick<SesDomainItem, 'createdAt' | 'verifiedAt'>,
  sesStatus: DomainStatus,
  records: readonly DomainRecord[],
  now: Date,
): DomainStatus {
  if (sesStatus === 'verified' || sesStatus === 'failed') return sesStatus;
  if (!item.verifiedAt) {
    return now.getTime() - Date.parse(item.createdAt) >= VERIFICATION_WINDOW_MS ? 'failed' : sesStatus;
  }
  const dkimGone = records.some(
    (record) => record.purpose === 'dkim' && (record.status === 'missing' || record.status === 'wrong_value'),
  );
  return dkimGone ? 'failed' : sesStatus;
}
