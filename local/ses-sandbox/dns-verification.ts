import { promises as dns } from 'node:dns';
import { canonicalName } from '../dns/index.js';
import { dkimRecords, mailFromMxRecord } from './identity-records.js';
import type { VerificationErrorType } from './sandbox-types.js';
import type { CheckedStatus, SesState, StoredIdentity } from './ses-state.js';

/** What one look-up round found for a set of records. */
export interface Observation {
  correct: boolean;
  /** Why not, when not: the first record's problem. */
  errorType?: VerificationErrorType;
}

/** Timing of the checks: how long a change must hold, and how long SES keeps looking. */
export interface VerificationTiming {
  delayMs: number;
  windowMs: number;
}

/**
 * The next DKIM (or identity) status after a look-up, as SES moves it (docs/ses-facts.md 2.3, 2.5):
 * PENDING → SUCCESS once all records resolve correctly for `delayMs`; still missing after the
 * detection window → FAILED, which is final. A verified domain whose records break for `delayMs`
 * → TEMPORARY_FAILURE (SES keeps looking and the domain still sends), then FAILED after the window;
 * records back in time → SUCCESS. A DNS server failure is a TEMPORARY_FAILURE of a verified domain.
 */
export function nextDkimStatus(
  current: CheckedStatus,
  seen: Observation,
  now: Date,
  timing: VerificationTiming,
): CheckedStatus {
  const next = observe(current, seen, now);
  const heldFor = now.getTime() - Date.parse(next.observedSince ?? now.toISOString());
  const sinceStart = now.getTime() - Date.parse(next.startedAt);
  if (current.status === 'FAILED') return next;
  if (seen.errorType === 'DNS_SERVER_ERROR') {
    return { ...next, status: current.status === 'SUCCESS' ? 'TEMPORARY_FAILURE' : current.status };
  }
  if (seen.correct) {
    if (current.status === 'SUCCESS') return { ...next, lastSuccessAt: now.toISOString() };
    if (heldFor >= timing.delayMs)
      return withoutError({ ...next, status: 'SUCCESS', lastSuccessAt: now.toISOString() });
    return next;
  }
  if (current.status === 'SUCCESS') return heldFor >= timing.delayMs ? { ...next, status: 'TEMPORARY_FAILURE' } : next;
  if (current.status === 'TEMPORARY_FAILURE') return heldFor >= timing.windowMs ? { ...next, status: 'FAILED' } : next;
  return sinceStart >= timing.windowMs ? { ...next, status: 'FAILED' } : next;
}

/**
 * The next MAIL FROM status (FACTS.md 2.4, 2.5): SUCCESS once the MX resolves correctly for
 * `delayMs`; FAILED when it was not found within the window or has gone (for `delayMs`);
 * TEMPORARY_FAILURE when the DNS server failed. SES keeps checking, so FAILED recovers.
 */
export function nextMailFromStatus(
  current: CheckedStatus,
  seen: Observation,
  now: Date,
  timing: VerificationTiming,
): CheckedStatus {
  const next = observe(current, seen, now);
  const heldFor = now.getTime() - Date.parse(next.observedSince ?? now.toISOString());
  const sinceStart = now.getTime() - Date.parse(next.startedAt);
  if (seen.errorType === 'DNS_SERVER_ERROR') return { ...next, status: 'TEMPORARY_FAILURE' };
  if (seen.correct) {
    if (current.status === 'SUCCESS' || heldFor >= timing.delayMs) {
      return withoutError({ ...next, status: 'SUCCESS', lastSuccessAt: now.toISOString() });
    }
    return next;
  }
  if (current.status === 'PENDING') return sinceStart >= timing.windowMs ? { ...next, status: 'FAILED' } : next;
  return heldFor >= timing.delayMs ? { ...next, status: 'FAILED' } : next;
}

function observe(current: CheckedStatus, seen: Observation, now: Date): CheckedStatus {
  const stamp = now.toISOString();
  const changed = current.observedCorrect !== seen.correct || current.observedSince === undefined;
  const next: CheckedStatus = {
    ...current,
    lastCheckedAt: stamp,
    observedCorrect: seen.correct,
    observedSince: changed ? stamp : current.observedSince,
  };
  if (seen.errorType) next.errorType = seen.errorType;
  return next;
}

function withoutError(status: CheckedStatus): CheckedStatus {
  const { errorType: _dropped, ...rest } = status;
  return rest;
}

/** Looks records up through DNS servers, as SES does from outside. */
export class DnsChecker {
  private readonly resolver = new dns.Resolver({ timeout: 1_000, tries: 1 });

  constructor(servers: string[]) {
    this.resolver.setServers(servers);
  }

  /** Whether all three DKIM CNAMEs resolve to their targets. */
  async dkim(identity: StoredIdentity): Promise<Observation> {
    const observations = await Promise.all(
      dkimRecords(identity).map((record) => this.expect('CNAME', record.name, record.value)),
    );
    return observations.find((observation) => !observation.correct) ?? { correct: true };
  }

  /** Whether the MAIL FROM domain's MX points at SES's feedback host for the region. */
  async mailFrom(region: string, mailFromDomain: string): Promise<Observation> {
    const expected = mailFromMxRecord(region, mailFromDomain).value.split(' ')[1] as string;
    return this.expect('MX', mailFromDomain, expected);
  }

  private async expect(type: 'CNAME' | 'MX', name: string, expected: string): Promise<Observation> {
    try {
      const values =
        type === 'CNAME'
          ? await this.resolver.resolveCname(name)
          : (await this.resolver.resolveMx(name)).map((mx) => mx.exchange);
      return values.some((value) => canonicalName(value) === canonicalName(expected))
        ? { correct: true }
        : { correct: false, errorType: 'INVALID_VALUE' };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOTFOUND') return { correct: false, errorType: 'HOST_NOT_FOUND' };
      if (code === 'ENODATA') return { correct: false, errorType: 'TYPE_NOT_FOUND' };
      return { correct: false, errorType: 'DNS_SERVER_ERROR' };
    }
  }
}

/**
 * Re-checks every domain identity of every region through DNS and moves its statuses on;
 * answers whether any status changed (so the caller saves the state).
 */
export async function checkIdentities(
  state: SesState,
  checker: DnsChecker,
  timing: VerificationTiming,
  now: () => Date,
): Promise<boolean> {
  let changed = false;
  for (const [region, regionState] of state.allRegions()) {
    for (const identity of Object.values(regionState.identities)) {
      if (identity.type !== 'DOMAIN') continue;
      const dkim = await checker.dkim(identity);
      const before = identity.verification.status;
      identity.verification = nextDkimStatus(identity.verification, dkim, now(), timing);
      changed ||= before !== identity.verification.status;
      const mailFrom = identity.mailFrom;
      if (mailFrom) {
        const seen = await checker.mailFrom(region, mailFrom.domain);
        // Only if MAIL FROM was not changed while we looked.
        if (identity.mailFrom !== mailFrom) continue;
        const previous = mailFrom.check.status;
        mailFrom.check = nextMailFromStatus(mailFrom.check, seen, now(), timing);
        changed ||= previous !== mailFrom.check.status;
      }
    }
  }
  return changed;
}
