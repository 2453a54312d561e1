import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { FeedbackKind, NeutralFeedback } from '../../feedback/provider-feedback.js';

/** Provider-neutral feedback (re-exported: its home is shared/feedback/provider-feedback.ts). */
export type { NeutralFeedback } from '../../feedback/provider-feedback.js';

/**
 * SendGrid's signed Event Webhook, checked as SendGrid documents it: an ECDSA P-256 / SHA-256
 * signature (base64 DER) in `X-Twilio-Email-Event-Webhook-Signature` over
 * `X-Twilio-Email-Event-Webhook-Timestamp` + the raw body, with the base64 DER
 * SubjectPublicKeyInfo the tenant copies from SendGrid's settings. Pure: no I/O.
 */

/** The signature header (lower case, as Node and API Gateway deliver headers). */
export const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
/** The timestamp header (epoch seconds). */
export const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';
/** How far the timestamp may be from our clock before a batch is refused as stale or replayed. */
export const MAX_TIMESTAMP_SKEW_SECONDS = 5 * 60;

/** Why a public key was refused. */
export class EventWebhookKeyError extends Error {
  override readonly name = 'EventWebhookKeyError';
}

/**
 * Reads the verification key the tenant pasted: base64 DER SubjectPublicKeyInfo of an EC key on
 * P-256 (prime256v1). Throws {@link EventWebhookKeyError} with a plain reason otherwise.
 */
export function parseEventWebhookPublicKey(base64: string): KeyObject {
  const trimmed = base64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length > 1024) {
    throw new EventWebhookKeyError('is not base64: copy the "Verification Key" from SendGrid as shown');
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new EventWebhookKeyError('is not a public key: copy the whole "Verification Key" from SendGrid');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new EventWebhookKeyError('is not an ECDSA P-256 key, which is what SendGrid signs with');
  }
  return key;
}

/** What checking one signed request found. */
export type SignatureCheck = 'valid' | 'missing_headers' | 'stale_timestamp' | 'bad_signature';

/**
 * Checks one delivery: headers present, the timestamp within {@link MAX_TIMESTAMP_SKEW_SECONDS}
 * of `nowMs`, and the signature over timestamp + raw body (bytes exactly as received).
 */
export function checkEventWebhookSignature(input: {
  key: KeyObject;
  signature: string | undefined;
  timestamp: string | undefined;
  rawBody: Buffer;
  nowMs: number;
}): SignatureCheck {
  const { key, signature, timestamp, rawBody, nowMs } = input;
  if (!signature || !timestamp) return 'missing_headers';
  if (!/^[0-9]{1,12}$/.test(timestamp)) return 'stale_timestamp';
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > MAX_TIMESTAMP_SKEW_SECONDS) return 'stale_timestamp';
  let valid = false;
  try {
    valid = verify(
      'sha256',
      Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]),
      key,
      Buffer.from(signature, 'base64'),
    );
  } catch {
    valid = false;
  }
  return valid ? 'valid' : 'bad_signature';
}

const KINDS: Record<string, FeedbackKind> = {
  processed: 'processed',
  delivered: 'delivered',
  deferred: 'deferred',
  bounce: 'bounced',
  blocked: 'bounced',
  dropped: 'dropped',
  spamreport: 'complained',
};

/**
 * Parses a batch (a JSON array of SendGrid events) into neutral feedback; events without the
 * fields we need are skipped. Throws `SyntaxError` on malformed JSON or a non-array body.
 */
export function parseSendGridEvents(rawBody: Buffer): NeutralFeedback[] {
  const parsed: unknown = JSON.parse(rawBody.toString('utf8'));
  if (!Array.isArray(parsed)) throw new SyntaxError('An Event Webhook batch is a JSON array');
  const feedback: NeutralFeedback[] = [];
  for (const event of parsed) {
    if (typeof event !== 'object' || event === null) continue;
    const record = event as Record<string, unknown>;
    const type = typeof record.event === 'string' ? record.event : undefined;
    const eventId = typeof record.sg_event_id === 'string' ? record.sg_event_id : undefined;
    const email = typeof record.email === 'string' ? record.email : undefined;
    const timestamp = typeof record.timestamp === 'number' ? record.timestamp : undefined;
    if (!type || !eventId || !email || timestamp === undefined) continue;
    const kind = KINDS[type] ?? 'other';
    const reason =
      typeof record.reason === 'string'
        ? record.reason
        : typeof record.response === 'string'
          ? record.response
          : undefined;
    feedback.push({
      messageId: typeof record.messageId === 'string' ? record.messageId : undefined,
      claimedTenantId: typeof record.tenantId === 'string' ? record.tenantId : undefined,
      eventId,
      kind,
      ...(kind === 'bounced' ? { bounceType: bounceTypeOf(type, record.type) } : {}),
      providerEventType: type,
      at: new Date(timestamp * 1000).toISOString(),
      recipient: email.toLowerCase(),
      ...(reason === undefined ? {} : { reason: reason.slice(0, 500) }),
    });
  }
  return feedback;
}

/**
 * Hard or soft: SendGrid reports both with `event: "bounce"` and tells them apart by `type`
 * (`bounce`: permanent; `blocked`: a temporary refusal). Without a `type`, a bounce counts as hard.
 */
function bounceTypeOf(event: string, type: unknown): 'hard' | 'soft' {
  if (event === 'blocked' || type === 'blocked') return 'soft';
  return 'hard';
}
