import { describe, expect, it } from 'vitest';
import { integrationETag, notModified, preconditionsHold } from '../../shared/integrations/integration-etag.js';

const version = { createdAt: '2026-11-26T00:00:00.000Z', revision: 3 };
const current = integrationETag('tenant-a', version);

describe('integrationETag', () => {
  it('is a quoted strong tag, stable for the same tenant and version', () => {
    expect(current).toMatch(/^"[\w-]{22}"$/);
    expect(integrationETag('tenant-a', { ...version })).toBe(current);
  });

  it('changes with the revision, the tenant and a re-created item', () => {
    expect(integrationETag('tenant-a', { ...version, revision: 4 })).not.toBe(current);
    expect(integrationETag('tenant-b', version)).not.toBe(current);
    expect(integrationETag('tenant-a', { ...version, createdAt: '2026-11-26T01:00:00.000Z' })).not.toBe(current);
  });
});

describe('preconditionsHold', () => {
  it('lets requests without preconditions through, whether or not the integration exists', () => {
    expect(preconditionsHold(current, {})).toBe(true);
    expect(preconditionsHold(undefined, {})).toBe(true);
  });

  it('passes If-Match only for the current tag (strong comparison) or *', () => {
    expect(preconditionsHold(current, { ifMatch: current })).toBe(true);
    expect(preconditionsHold(current, { ifMatch: `"other", ${current}` })).toBe(true);
    expect(preconditionsHold(current, { ifMatch: '*' })).toBe(true);
    expect(preconditionsHold(current, { ifMatch: '"other"' })).toBe(false);
    expect(preconditionsHold(current, { ifMatch: `W/${current}` })).toBe(false);
  });

  it('fails If-Match when there is no integration', () => {
    expect(preconditionsHold(undefined, { ifMatch: '*' })).toBe(false);
    expect(preconditionsHold(undefined, { ifMatch: current })).toBe(false);
  });

  it('fails If-None-Match: * when an integration exists, and passes it when none does', () => {
    expect(preconditionsHold(current, { ifNoneMatch: '*' })).toBe(false);
    expect(preconditionsHold(undefined, { ifNoneMatch: '*' })).toBe(true);
  });

  it('fails If-None-Match listing the current tag (weak comparison)', () => {
    expect(preconditionsHold(current, { ifNoneMatch: `W/${current}` })).toBe(false);
    expect(preconditionsHold(current, { ifNoneMatch: '"other"' })).toBe(true);
  });

  it('ignores If-None-Match when If-Match is present', () => {
    expect(preconditionsHold(current, { ifMatch: current, ifNoneMatch: '*' })).toBe(true);
  });
});

describe('notModified', () => {
  it('is true only when If-None-Match lists the current tag or is *', () => {
    expect(notModified(current, current)).toBe(true);
    expect(notModified(current, '*')).toBe(true);
    expect(notModified(current, '"other"')).toBe(false);
    expect(notModified(current, undefined)).toBe(false);
  });
});
