/**
 * The message tags that map an SES event back to our message: every send carries our messageId
 * and tenant id as tags, and SES repeats them in each configuration-set event's `mail.tags`
 * (FACTS.md 3.3). Tag names and values may hold only ASCII letters, digits, `_` and `-`, at most
 * 256 characters (the model's MessageTag), so the ids are encoded losslessly: as they are when
 * they fit those letters without `_`, else `_` + base64url. A messageId (≤ 200 printable ASCII)
 * can need more than 256 characters encoded; the rest goes on a second tag.
 */

/** Our messageId (first 256 characters of its encoding). */
export const MESSAGE_ID_TAG = 'ei-message-id';
/** The rest of a long messageId's encoding. */
export const MESSAGE_ID_TAG_CONTINUED = 'ei-message-id-2';
/** Our tenant id. Not trusted alone: the feedback applier matches the event against the tenant's own send. */
export const TENANT_ID_TAG = 'ei-tenant-id';

/** Tag names this service reserves: a tenant's custom args or categories never take them. */
export function isReservedTagName(name: string): boolean {
  return name.startsWith('ei-');
}

/** The longest tag value SES takes. */
const MAX_TAG_VALUE = 256;
/** Values that go in plain: no `_`, which marks an encoded value. */
const PLAIN = /^[A-Za-z0-9-]+$/;
const ENCODED = /^_[A-Za-z0-9_-]+$/;

/** A value as SES tag text (may exceed 256 characters: {@link ourMessageTags} splits it). */
export function encodeTagText(value: string): string {
  return PLAIN.test(value) ? value : `_${Buffer.from(value, 'utf8').toString('base64url')}`;
}

/** The value {@link encodeTagText} encoded; undefined when the text is not such an encoding. */
export function decodeTagText(text: string): string | undefined {
  if (PLAIN.test(text)) return text;
  if (!ENCODED.test(text)) return undefined;
  const decoded = Buffer.from(text.slice(1), 'base64url').toString('utf8');
  // Only the canonical encoding counts, so one id has exactly one tag text.
  return encodeTagText(decoded) === text ? decoded : undefined;
}

/** Our tags for one send: the tenant and the messageId (split over two tags when long). */
export function ourMessageTags(tenantId: string, messageId: string): Array<{ Name: string; Value: string }> {
  const encoded = encodeTagText(messageId);
  return [
    { Name: MESSAGE_ID_TAG, Value: encoded.slice(0, MAX_TAG_VALUE) },
    ...(encoded.length > MAX_TAG_VALUE
      ? [{ Name: MESSAGE_ID_TAG_CONTINUED, Value: encoded.slice(MAX_TAG_VALUE) }]
      : []),
    { Name: TENANT_ID_TAG, Value: encodeTagText(tenantId) },
  ];
}

/** The ids our tags name in an event's `mail.tags` (each tag name → an array of strings); absent when missing or damaged. */
export function readOurTags(tags: Readonly<Record<string, readonly string[]>>): {
  tenantId: string | undefined;
  messageId: string | undefined;
} {
  const single = (name: string) => {
    const values = tags[name];
    return values?.length === 1 ? values[0] : undefined;
  };
  const first = single(MESSAGE_ID_TAG);
  const rest = tags[MESSAGE_ID_TAG_CONTINUED] === undefined ? '' : single(MESSAGE_ID_TAG_CONTINUED);
  const tenant = single(TENANT_ID_TAG);
  return {
    messageId: first === undefined || rest === undefined ? undefined : decodeTagText(first + rest),
    tenantId: tenant === undefined ? undefined : decodeTagText(tenant),
  };
}
