import { createHash, randomBytes } from 'node:crypto';

/** SendGrid's key format: `SG.` + 22-character key id + `.` + 43-character secret, 69 characters in all. */
export const API_KEY_PATTERN = /^SG\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

const KEY_ID_LENGTH = 22;
const SECRET_LENGTH = 43;

/** The key id part of a well-formed key, or undefined. */
export function keyIdOf(apiKey: string): string | undefined {
  return API_KEY_PATTERN.exec(apiKey)?.[1];
}

/**
 * The demo key for a name. Deterministic so the README can list the keys and a runtime in another
 * process can be driven with them without asking the sandbox first.
 */
export function demoApiKey(name: string): string {
  const keyId = digest(`sandbox-key-id:${name}`).slice(0, KEY_ID_LENGTH);
  const secret = digest(`sandbox-key-secret:${name}`).slice(0, SECRET_LENGTH);
  return `SG.${keyId}.${secret}`;
}

/** A fresh random key in SendGrid's format. */
export function randomApiKey(): string {
  // 24 bytes encode to 32 base64url characters, 33 bytes to 44: both enough to cut from.
  const keyId = randomBytes(24).toString('base64url').slice(0, KEY_ID_LENGTH);
  const secret = randomBytes(33).toString('base64url').slice(0, SECRET_LENGTH);
  return `SG.${keyId}.${secret}`;
}

/** A random 22-character id in the style of SendGrid's `X-Message-Id`. */
export function randomMessageId(): string {
  return randomBytes(16).toString('base64url');
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
