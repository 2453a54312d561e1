import { EnvelopeCipher } from './crypto/envelope.js';
import { KmsDataKeys } from './crypto/kms-data-keys.js';
import { LocalKeyring } from './crypto/local-keyring.js';
import type { Environment } from './service-dependencies.js';

/**
 * Envelope encryption under KMS (`KMS_KEY_ID`), or under the local keyring file
 * (`LOCAL_KEYRING_FILE`) in the local runtime. The stack sets only `KMS_KEY_ID`.
 */
export function envelopeCipher(env: Environment = process.env): EnvelopeCipher {
  const kmsKeyId = env.KMS_KEY_ID;
  if (kmsKeyId) return new EnvelopeCipher(new KmsDataKeys(kmsKeyId));
  const keyringFile = env.LOCAL_KEYRING_FILE;
  if (keyringFile) return new EnvelopeCipher(LocalKeyring.fromFile(keyringFile));
  throw new Error('Set KMS_KEY_ID (in AWS) or LOCAL_KEYRING_FILE (local runtime) so keys can be encrypted.');
}
