import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  AUTH_TAG_BYTES,
  additionalData,
  type DataKey,
  type DataKeySource,
  type EncryptionContext,
  EnvelopeError,
} from './envelope.js';

const IV_BYTES = 12;

/**
 * Stand-in for KMS in the local runtime: a 256-bit master key in a file (created on first
 * use, mode 0600) wraps data keys with AES-256-GCM, binding the encryption context as
 * additional data exactly as KMS does. Records use the same envelope format as in AWS.
 */
export class LocalKeyring implements DataKeySource {
  private readonly masterKey: Buffer;
  readonly masterKeyId: string;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('The local keyring needs a 32-byte master key');
    this.masterKey = masterKey;
    this.masterKeyId = `local:${createHash('sha256').update(masterKey).digest('hex').slice(0, 16)}`;
  }

  /** Opens the keyring file, creating it with a random master key when it does not exist. */
  static fromFile(path: string): LocalKeyring {
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `${JSON.stringify({ masterKey: randomBytes(32).toString('base64') })}\n`, { mode: 0o600 });
    }
    const { masterKey } = JSON.parse(readFileSync(path, 'utf8')) as { masterKey: string };
    return new LocalKeyring(Buffer.from(masterKey, 'base64'));
  }

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    const plaintext = randomBytes(32);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv, { authTagLength: AUTH_TAG_BYTES });
    cipher.setAAD(additionalData(context));
    const wrapped = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      plaintext,
      encrypted: Buffer.concat([iv, cipher.getAuthTag(), wrapped]),
      masterKeyId: this.masterKeyId,
    };
  }

  async decryptDataKey(encrypted: Uint8Array, masterKeyId: string, context: EncryptionContext): Promise<Uint8Array> {
    if (masterKeyId !== this.masterKeyId) throw new EnvelopeError();
    const blob = Buffer.from(encrypted);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.masterKey, blob.subarray(0, IV_BYTES), {
        authTagLength: AUTH_TAG_BYTES,
      });
      decipher.setAAD(additionalData(context));
      decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + AUTH_TAG_BYTES));
      return Buffer.concat([decipher.update(blob.subarray(IV_BYTES + AUTH_TAG_BYTES)), decipher.final()]);
    } catch (error) {
      throw new EnvelopeError({ cause: error });
    }
  }
}
