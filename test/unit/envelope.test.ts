import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  InvalidCiphertextException,
  KMSClient,
  KMSInvalidStateException,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EnvelopeCipher, EnvelopeError } from '../../shared/crypto/envelope.js';
import { KmsDataKeys } from '../../shared/crypto/kms-data-keys.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import { UpstreamUnavailableError } from '../../shared/problem-catalog.js';

const secretKey = `SG.${'a'.repeat(22)}.${'b'.repeat(43)}`;
const tenantA = { tenantId: 'tenant-a', provider: 'sendgrid' };
const tenantB = { tenantId: 'tenant-b', provider: 'sendgrid' };

describe('EnvelopeCipher with the local keyring', () => {
  const cipher = new EnvelopeCipher(new LocalKeyring(randomBytes(32)));

  it('round-trips a secret under the same context', async () => {
    const stored = await cipher.encrypt(secretKey, tenantA);

    expect(await cipher.decrypt(stored, tenantA)).toBe(secretKey);
  });

  it('stores no plaintext and uses a fresh IV and data key each time', async () => {
    const first = await cipher.encrypt(secretKey, tenantA);
    const second = await cipher.encrypt(secretKey, tenantA);

    expect(JSON.stringify(first)).not.toContain(secretKey.slice(3, 25));
    expect(first.iv).not.toBe(second.iv);
    expect(first.encryptedDataKey).not.toBe(second.encryptedDataKey);
    expect(first).toMatchObject({ formatVersion: 1, algorithm: 'AES-256-GCM' });
    expect(Buffer.from(first.iv, 'base64')).toHaveLength(12);
  });

  it('refuses to decrypt under another tenant’s context', async () => {
    const stored = await cipher.encrypt(secretKey, tenantA);

    await expect(cipher.decrypt(stored, tenantB)).rejects.toBeInstanceOf(EnvelopeError);
  });

  it('refuses a tampered ciphertext', async () => {
    const stored = await cipher.encrypt(secretKey, tenantA);
    const bytes = Buffer.from(stored.ciphertext, 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 1;

    await expect(cipher.decrypt({ ...stored, ciphertext: bytes.toString('base64') }, tenantA)).rejects.toMatchObject({
      code: 'integration_unreadable',
    });
  });

  it('refuses an auth tag cut short, even one that is a true prefix of the real tag', async () => {
    const stored = await cipher.encrypt(secretKey, tenantA);
    const truncated = { ...stored, authTag: Buffer.from(stored.authTag, 'base64').subarray(0, 4).toString('base64') };

    await expect(cipher.decrypt(truncated, tenantA)).rejects.toBeInstanceOf(EnvelopeError);
  });

  it('refuses a secret wrapped by another master key', async () => {
    const other = new EnvelopeCipher(new LocalKeyring(randomBytes(32)));
    const stored = await other.encrypt(secretKey, tenantA);

    await expect(cipher.decrypt(stored, tenantA)).rejects.toBeInstanceOf(EnvelopeError);
  });
});

describe('LocalKeyring.fromFile', () => {
  it('creates a private master key file once and reuses it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keyring-')), 'nested', 'keyring.json');

    const first = LocalKeyring.fromFile(path);
    const stored = await new EnvelopeCipher(first).encrypt(secretKey, tenantA);
    const second = LocalKeyring.fromFile(path);

    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toContain('masterKey');
    expect(second.masterKeyId).toBe(first.masterKeyId);
    expect(await new EnvelopeCipher(second).decrypt(stored, tenantA)).toBe(secretKey);
  });
});

describe('EnvelopeCipher with KMS', () => {
  const kms = mockClient(KMSClient);
  const keyArn = 'arn:aws:kms:eu-central-1:111122223333:key/1234';
  const dataKey = randomBytes(32);
  const wrapped = Buffer.from('wrapped-data-key');
  const cipher = new EnvelopeCipher(new KmsDataKeys(keyArn, { client: new KMSClient({}) }));

  afterEach(() => kms.reset());

  it('asks KMS for an AES-256 data key bound to the tenant and provider, and decrypts with the same context', async () => {
    kms
      .on(GenerateDataKeyCommand)
      .resolves({ Plaintext: Uint8Array.from(dataKey), CiphertextBlob: wrapped, KeyId: keyArn });
    kms.on(DecryptCommand).resolves({ Plaintext: Uint8Array.from(dataKey) });

    const stored = await cipher.encrypt(secretKey, tenantA);
    const plaintext = await cipher.decrypt(stored, tenantA);

    expect(plaintext).toBe(secretKey);
    expect(kms.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input).toEqual({
      KeyId: keyArn,
      KeySpec: 'AES_256',
      EncryptionContext: tenantA,
    });
    expect(kms.commandCalls(DecryptCommand)[0]?.args[0].input).toMatchObject({
      KeyId: keyArn,
      EncryptionContext: tenantA,
      CiphertextBlob: wrapped,
    });
    expect(stored.masterKeyId).toBe(keyArn);
  });

  it('turns a context mismatch into a clean integration_unreadable error', async () => {
    kms
      .on(GenerateDataKeyCommand)
      .resolves({ Plaintext: Uint8Array.from(dataKey), CiphertextBlob: wrapped, KeyId: keyArn });
    kms.on(DecryptCommand).rejects(new InvalidCiphertextException({ message: 'context mismatch', $metadata: {} }));
    const stored = await cipher.encrypt(secretKey, tenantA);

    await expect(cipher.decrypt(stored, tenantB)).rejects.toBeInstanceOf(EnvelopeError);
  });

  it('reports throttling and outages as retryable upstream failures', async () => {
    kms.on(GenerateDataKeyCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    kms.on(DecryptCommand).rejects(new KMSInvalidStateException({ message: 'pending', $metadata: {} }));

    await expect(cipher.encrypt(secretKey, tenantA)).rejects.toBeInstanceOf(UpstreamUnavailableError);
    await expect(
      cipher.decrypt(
        {
          formatVersion: 1,
          algorithm: 'AES-256-GCM',
          masterKeyId: keyArn,
          encryptedDataKey: wrapped.toString('base64'),
          iv: '',
          authTag: '',
          ciphertext: '',
        },
        tenantA,
      ),
    ).rejects.toMatchObject({ code: 'upstream_unavailable', extensions: { retryable: true } });
  });
});
