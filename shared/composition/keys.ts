import { EnvelopeCipher } from '../crypto/envelope.js';
import { KmsDataKeys } from '../crypto/kms-data-keys.js';
import { LocalKeyring } from '../crypto/local-keyring.js';
import { type KeySettings, keySettings } from './environment.js';

/** Envelope encryption under KMS (`KMS_KEY_ID`), or under the local keyring file (`LOCAL_KEYRING_FILE`). */
export function envelopeCipher(settings: KeySettings = keySettings()): EnvelopeCipher {
  return new EnvelopeCipher(
    'kmsKeyId' in settings ? new KmsDataKeys(settings.kmsKeyId) : LocalKeyring.fromFile(settings.keyringFile),
  );
}
