import { createECDH, createHash, createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';

/** The headers SendGrid's signed Event Webhook sets (docs/sendgrid-event-webhook.md, section 5). */
export const SIGNATURE_HEADER = 'X-Twilio-Email-Event-Webhook-Signature';
export const TIMESTAMP_HEADER = 'X-Twilio-Email-Event-Webhook-Timestamp';

/** An account's Event Webhook signing key: the private half signs, the public half is shown as SendGrid shows it. */
export interface WebhookSigningKey {
  privateKey: KeyObject;
  /** Base64 of the DER SubjectPublicKeyInfo (a PEM "PUBLIC KEY" without its lines), curve P-256. */
  publicKey: string;
}

/** The order of P-256: a private scalar must lie in [1, n-1]. */
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/**
 * The account's ECDSA P-256 key pair, derived from its id so it is the same after a restart of the
 * sandbox: a public key a developer registered once keeps verifying. Sandbox only; nothing secret.
 */
export function accountSigningKey(accountId: string): WebhookSigningKey {
  let scalar = createHash('sha256').update(`sendgrid-sandbox event webhook ${accountId}`).digest();
  for (let round = 1; !isValidScalar(scalar); round++) {
    scalar = createHash('sha256').update(scalar).update(String(round)).digest();
  }
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(scalar);
  const point = ecdh.getPublicKey(null, 'uncompressed'); // 0x04 ‖ x ‖ y
  const privateKey = createPrivateKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      d: scalar.toString('base64url'),
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
  const publicKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
  return { privateKey, publicKey };
}

/** SendGrid's signature: ECDSA over SHA-256 of `timestamp ‖ raw body`, DER-encoded (r, s), in base64. */
export function signPayload(privateKey: KeyObject, timestamp: string, body: Buffer): string {
  return sign('sha256', Buffer.concat([Buffer.from(timestamp, 'utf8'), body]), privateKey).toString('base64');
}

function isValidScalar(bytes: Buffer): boolean {
  const value = BigInt(`0x${bytes.toString('hex')}`);
  return value > 0n && value < P256_ORDER;
}
