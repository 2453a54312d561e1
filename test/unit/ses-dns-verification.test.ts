import { describe, expect, it } from 'vitest';
import { nextDkimStatus, nextMailFromStatus } from '../../local/ses-sandbox/dns-verification.js';
import type { CheckedStatus } from '../../local/ses-sandbox/ses-state.js';

const timing = { delayMs: 3_000, windowMs: 72 * 3_600_000 };
const start = new Date('2026-01-02T03:00:00Z');
const at = (ms: number) => new Date(start.getTime() + ms);
const pending: CheckedStatus = { status: 'PENDING', startedAt: start.toISOString() };
const found = { correct: true };
const missing = { correct: false, errorType: 'HOST_NOT_FOUND' as const };

/** Applies look-ups one after another, as the checker's rounds do. */
function run(
  next: typeof nextDkimStatus,
  from: CheckedStatus,
  rounds: [number, { correct: boolean; errorType?: 'HOST_NOT_FOUND' | 'DNS_SERVER_ERROR' }][],
) {
  return rounds.reduce((status, [ms, seen]) => next(status, seen, at(ms), timing), from);
}

describe('nextDkimStatus', () => {
  it('stays pending while the records were found only just now', () => {
    expect(run(nextDkimStatus, pending, [[1_000, found]]).status).toBe('PENDING');
  });

  it('turns SUCCESS once the records resolved correctly for the delay', () => {
    const status = run(nextDkimStatus, pending, [
      [1_000, found],
      [4_000, found],
    ]);
    expect(status).toMatchObject({ status: 'SUCCESS', lastSuccessAt: at(4_000).toISOString() });
    expect(status.errorType).toBeUndefined();
  });

  it('starts the delay again when the records went missing in between', () => {
    const status = run(nextDkimStatus, pending, [
      [1_000, found],
      [2_000, missing],
      [3_000, found],
      [4_500, found],
    ]);
    expect(status.status).toBe('PENDING');
  });

  it('reports why it is still pending', () => {
    expect(run(nextDkimStatus, pending, [[1_000, missing]]).errorType).toBe('HOST_NOT_FOUND');
  });

  it('fails for good when the records were not found within the detection window', () => {
    const failed = run(nextDkimStatus, pending, [[timing.windowMs, missing]]);
    expect(failed.status).toBe('FAILED');
    expect(nextDkimStatus(failed, found, at(timing.windowMs + 10_000), timing).status).toBe('FAILED');
  });

  it('turns a verified domain TEMPORARY_FAILURE when its records stay removed for the delay', () => {
    const verified = run(nextDkimStatus, pending, [
      [0, found],
      [3_000, found],
    ]);
    expect(run(nextDkimStatus, verified, [[5_000, missing]]).status).toBe('SUCCESS');
    expect(
      run(nextDkimStatus, verified, [
        [5_000, missing],
        [8_000, missing],
      ]).status,
    ).toBe('TEMPORARY_FAILURE');
  });

  it('turns a temporary failure FAILED after the window, or SUCCESS when the records come back', () => {
    const broken = run(nextDkimStatus, pending, [
      [0, found],
      [3_000, found],
      [5_000, missing],
      [8_000, missing],
    ]);
    expect(run(nextDkimStatus, broken, [[5_000 + timing.windowMs, missing]]).status).toBe('FAILED');
    expect(
      run(nextDkimStatus, broken, [
        [9_000, found],
        [12_000, found],
      ]).status,
    ).toBe('SUCCESS');
  });

  it('turns a verified domain TEMPORARY_FAILURE when the DNS server fails', () => {
    const verified = run(nextDkimStatus, pending, [
      [0, found],
      [3_000, found],
    ]);
    expect(
      nextDkimStatus(verified, { correct: false, errorType: 'DNS_SERVER_ERROR' }, at(4_000), timing),
    ).toMatchObject({
      status: 'TEMPORARY_FAILURE',
      errorType: 'DNS_SERVER_ERROR',
    });
  });
});

describe('nextMailFromStatus', () => {
  it('turns SUCCESS once the MX resolved correctly for the delay', () => {
    expect(
      run(nextMailFromStatus, pending, [
        [0, found],
        [3_000, found],
      ]).status,
    ).toBe('SUCCESS');
  });

  it('turns FAILED when the MX is gone for the delay, and SUCCESS again when it is back', () => {
    const gone = run(nextMailFromStatus, pending, [
      [0, found],
      [3_000, found],
      [4_000, missing],
      [7_000, missing],
    ]);
    expect(gone.status).toBe('FAILED');
    expect(
      run(nextMailFromStatus, gone, [
        [8_000, found],
        [11_000, found],
      ]).status,
    ).toBe('SUCCESS');
  });

  it('turns TEMPORARY_FAILURE when the DNS server fails', () => {
    expect(nextMailFromStatus(pending, { correct: false, errorType: 'DNS_SERVER_ERROR' }, at(1), timing).status).toBe(
      'TEMPORARY_FAILURE',
    );
  });
});
