import {
  DecryptCommand,
  GenerateDataKeyCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSClient,
} from '@aws-sdk/client-kms';
import { UpstreamUnavailableError } from '../problem-catalog.js';
import { type DataKey, type DataKeySource, type EncryptionContext, EnvelopeError } from './envelope.js';

/** Data keys from AWS KMS under one customer-managed key. */
export class KmsDataKeys implements DataKeySource {
  private readonly client: KMSClient;

  constructor(
    private readonly keyId: string,
    options: { client?: KMSClient } = {},
  ) {
    // Short timeouts and few attempts: every caller's own deadline (API 15 s, send 30 s) stays ahead.
    this.client =
      options.client ??
      new KMSClient({ maxAttempts: 3, requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 } });
  }

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    try {
      const result = await this.client.send(
        new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: { ...context } }),
      );
      if (!result.Plaintext || !result.CiphertextBlob) throw new Error('KMS returned no data key');
      return { plaintext: result.Plaintext, encrypted: result.CiphertextBlob, masterKeyId: result.KeyId ?? this.keyId };
    } catch (error) {
      throw new UpstreamUnavailableError('AWS KMS', { cause: error });
    }
  }

  async decryptDataKey(encrypted: Uint8Array, masterKeyId: string, context: EncryptionContext): Promise<Uint8Array> {
    try {
      const result = await this.client.send(
        new DecryptCommand({ CiphertextBlob: encrypted, KeyId: masterKeyId, EncryptionContext: { ...context } }),
      );
      if (!result.Plaintext) throw new Error('KMS returned no plaintext');
      return result.Plaintext;
    } catch (error) {
      // A context or key mismatch is permanent; anything else (throttling, outage) may pass.
      if (error instanceof InvalidCiphertextException || error instanceof IncorrectKeyException) {
        throw new EnvelopeError({ cause: error });
      }
      throw new UpstreamUnavailableError('AWS KMS', { cause: error });
    }
  }
}
