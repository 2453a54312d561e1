import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { message } from '../message-catalog.js';
import { DomainProblem } from '../problem-catalog.js';

/** Who a secret belongs to; bound into both the data key and the ciphertext. */
export type EncryptionContext = Readonly<Record<string, string>>;

/**
 * A secret as stored: AES-256-GCM under a one-off data key, which is itself encrypted by a
 * master key (KMS in AWS, the local keyring on a laptop). Same format for both.
 */
export interface EncryptedSecret {
  formatVersion: 1;
  algorithm: 'AES-256-GCM';
  /** Id of the master key that encrypted the data key (a KMS key ARN, or `local:…`). */
  masterKeyId: string;
  encryptedDataKey: string;
  iv: string;
  authTag: string;
  ciphertext: string;
}

/** A fresh data key: the plaintext to use once, and the same key encrypted under the master key. */
export interface DataKey {
  plaintext: Uint8Array;
  encrypted: Uint8Array;
  masterKeyId: string;
}

/** Where data keys come from and go back to: KMS in AWS, a keyring file locally. */
export interface DataKeySource {
  generateDataKey(context: EncryptionContext): Promise<DataKey>;
  decryptDataKey(encrypted: Uint8Array, masterKeyId: string, context: EncryptionContext): Promise<Uint8Array>;
}

/** A stored secret cannot be decrypted: wrong tenant's item, tampered, or the master key is gone. */
export class EnvelopeError extends DomainProblem {
  override readonly name = 'EnvelopeError';

  constructor(options: { cause?: unknown } = {}) {
    super('integration_unreadable', message('integration_undecryptable'), options);
  }
}

const IV_BYTES = 12;
/**
 * GCM's full 16-byte tag, pinned when decrypting: Node otherwise accepts a tag cut down to
 * 4 bytes, and a short tag makes forging a ciphertext that passes far cheaper.
 */
export const AUTH_TAG_BYTES = 16;

/**
 * Envelope encryption of short secrets. The encryption context is passed to the data-key
 * source and used as AES-GCM additional data, so a ciphertext copied into another tenant's
 * item fails to decrypt instead of yielding the other tenant's key.
 */
export class EnvelopeCipher {
  constructor(private readonly dataKeys: DataKeySource) {}

  async encrypt(plaintext: string, context: EncryptionContext): Promise<EncryptedSecret> {
    const dataKey = await this.dataKeys.generateDataKey(context);
    const iv = randomBytes(IV_BYTES);
    try {
      const cipher = createCipheriv('aes-256-gcm', dataKey.plaintext, iv, { authTagLength: AUTH_TAG_BYTES });
      cipher.setAAD(additionalData(context));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return {
        formatVersion: 1,
        algorithm: 'AES-256-GCM',
        masterKeyId: dataKey.masterKeyId,
        encryptedDataKey: Buffer.from(dataKey.encrypted).toString('base64'),
        iv: iv.toString('base64'),
        authTag: cipher.getAuthTag().toString('base64'),
        ciphertext: ciphertext.toString('base64'),
      };
    } finally {
      dataKey.plaintext.fill(0);
    }
  }

  async decrypt(secret: EncryptedSecret, context: EncryptionContext): Promise<string> {
    if (secret.formatVersion !== 1 || secret.algorithm !== 'AES-256-GCM') throw new EnvelopeError();
    const key = await this.dataKeys.decryptDataKey(
      Buffer.from(secret.encryptedDataKey, 'base64'),
      secret.masterKeyId,
      context,
    );
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(secret.iv, 'base64'), {
        authTagLength: AUTH_TAG_BYTES,
      });
      decipher.setAAD(additionalData(context));
      decipher.setAuthTag(Buffer.from(secret.authTag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(secret.ciphertext, 'base64')), decipher.final()]).toString(
        'utf8',
      );
    } catch (error) {
      throw new EnvelopeError({ cause: error });
    } finally {
      key.fill(0);
    }
  }
}

/** The context as canonical bytes (keys sorted), so the same context always gives the same AAD. */
export function additionalData(context: EncryptionContext): Buffer {
  const sorted = Object.keys(context)
    .sort()
    .map((key) => [key, context[key]]);
  return Buffer.from(JSON.stringify(sorted), 'utf8');
}
