import { createHash } from 'node:crypto';

/**
 * Entity tags of an integration and the RFC 9110 preconditions (§13.1.1 If-Match, §13.1.2
 * If-None-Match) that writes may carry, so a client acting on a stale view is refused with 412
 * instead of overwriting what someone else changed.
 */

/** The preconditions a write request carried (header values as sent; absent = no condition). */
export interface Preconditions {
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
}

/**
 * The strong entity tag of the tenant's integration as stored: it changes with every write
 * (revision) and after a delete and re-create (createdAt, as revisions start again at 1).
 */
export function integrationETag(tenantId: string, version: { createdAt: string; revision: number }): string {
  const digest = createHash('sha256')
    .update(`${tenantId}\n${version.createdAt}\n${version.revision}`)
    .digest('base64url')
    .slice(0, 22);
  return `"${digest}"`;
}

/** The entity tags listed in an If-Match / If-None-Match value, or '*' for "any". */
function listedTags(value: string): '*' | Array<{ weak: boolean; tag: string }> {
  if (value.trim() === '*') return '*';
  const tags: Array<{ weak: boolean; tag: string }> = [];
  for (const match of value.matchAll(/(W\/)?("[^"]*")/g))
    tags.push({ weak: match[1] !== undefined, tag: match[2] ?? '' });
  return tags;
}

/**
 * Whether a state-changing request may proceed given the current entity tag (undefined: the
 * integration does not exist). If-Match uses the strong comparison, If-None-Match the weak one
 * (RFC 9110 §13.1.1, §13.1.2); If-None-Match is ignored when If-Match is present (§13.2.2).
 */
export function preconditionsHold(current: string | undefined, preconditions: Preconditions): boolean {
  const { ifMatch, ifNoneMatch } = preconditions;
  if (ifMatch !== undefined) {
    if (current === undefined) return false;
    const tags = listedTags(ifMatch);
    return tags === '*' || tags.some((entry) => !entry.weak && entry.tag === current);
  }
  if (ifNoneMatch !== undefined) {
    if (current === undefined) return true;
    const tags = listedTags(ifNoneMatch);
    return tags !== '*' && !tags.some((entry) => entry.tag === current);
  }
  return true;
}

/** Whether a GET may answer 304 Not Modified: If-None-Match lists the current tag (weakly) or is '*'. */
export function notModified(current: string, ifNoneMatch: string | undefined): boolean {
  if (ifNoneMatch === undefined) return false;
  const tags = listedTags(ifNoneMatch);
  return tags === '*' || tags.some((entry) => entry.tag === current);
}
