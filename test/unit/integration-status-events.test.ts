import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { EnvelopeCipher } from '../../shared/crypto/envelope.js';
import { LocalKeyring } from '../../shared/crypto/local-keyring.js';
import { checkIntegration } from '../../shared/integrations/health-check.js';
import { deleteIntegration, rotateKey, saveIntegration } from '../../shared/integrations/integration-use-cases.js';
import type { IntegrationStatusChange, IntegrationStatusEvents } from '../../shared/outcome-events/outcome-events.js';
import {
  type CredentialProvider,
  CredentialsProblem,
  type ProviderVerification,
} from '../../shared/providers/email-provider.js';
import { CountingKeyChecks } from '../support/counting-key-checks.js';
import { InMemoryIntegrationStore } from '../support/in-memory-integration-store.js';

const firstKey = `SG.${'a'.repeat(22)}.${'1'.repeat(43)}`;
const secondKey = `SG.${'b'.repeat(22)}.${'2'.repeat(43)}`;

class RecordingStatusEvents implements IntegrationStatusEvents {
  changes: IntegrationStatusChange[] = [];
  async changed(change: IntegrationStatusChange) {
    this.changes.push(change);
  }
}

/** Accepts every key unless told to refuse. */
class FakeProvider implements CredentialProvider {
  readonly name = 'sendgrid' as const;
  refuse = false;
  async verify(credentials: { apiKey: string }): Promise<ProviderVerification> {
    if (this.refuse) throw new CredentialsProblem('key_rejected', 'refused');
    return {
      provider: 'sendgrid',
      region: 'global',
      keyId: credentials.apiKey.trim().slice(3, 25),
      scopes: { granted: [], required: [], ignored: [] },
      domains: [{ domain: 'acme.example', valid: true }],
      senders: [],
    };
  }
  async senderDomains() {
    return [{ domain: 'acme.example', valid: true }];
  }
  async send(): Promise<never> {
    throw new Error('not used');
  }
}

describe('integration status events', () => {
  let store: InMemoryIntegrationStore;
  let events: RecordingStatusEvents;
  let provider: FakeProvider;
  let cipher: EnvelopeCipher;
  const deps = () => ({
    provider,
    repository: store,
    cipher,
    keyChecks: new CountingKeyChecks(),
    statusEvents: events,
  });

  beforeEach(() => {
    store = new InMemoryIntegrationStore({ now: () => new Date('2026-11-26T03:00:00.000Z') });
    events = new RecordingStatusEvents();
    provider = new FakeProvider();
    cipher = new EnvelopeCipher(new LocalKeyring(randomBytes(32)));
  });

  it('announces a created integration, and not a replacement that keeps it active', async () => {
    await saveIntegration(deps(), 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example'] });
    await saveIntegration(deps(), 'tenant-a', { apiKey: secondKey, emails: ['info@acme.example'] });
    expect(events.changes).toEqual([
      expect.objectContaining({ tenantId: 'tenant-a', status: 'active', previousStatus: null, cause: 'saved' }),
    ]);
  });

  it('announces the health check blocking a refused key and a rotation unblocking it', async () => {
    await saveIntegration(deps(), 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example'] });
    provider.refuse = true;
    const checkDeps = {
      repository: store,
      cipher,
      providers: { sendgrid: provider, ses: provider },
      statusEvents: events,
    };
    expect(await checkIntegration(checkDeps, store.peek('tenant-a') as never)).toBe('key_rejected');
    // Checked again while still refused: no change, nothing announced.
    expect(await checkIntegration(checkDeps, store.peek('tenant-a') as never)).toBe('key_rejected');
    provider.refuse = false;
    await rotateKey(deps(), 'tenant-a', { apiKey: secondKey });
    expect(events.changes.map(({ status, previousStatus, cause }) => ({ status, previousStatus, cause }))).toEqual([
      { status: 'active', previousStatus: null, cause: 'saved' },
      { status: 'key_rejected', previousStatus: 'active', cause: 'health_check' },
      { status: 'active', previousStatus: 'key_rejected', cause: 'rotated' },
    ]);
    // Each change names the revision that carries it.
    expect(events.changes.map((change) => change.card.revision)).toEqual([1, 2, 4]);
  });

  it('announces a deletion with the status the card had', async () => {
    await saveIntegration(deps(), 'tenant-a', { apiKey: firstKey, emails: ['info@acme.example'] });
    await deleteIntegration(deps(), 'tenant-a');
    expect(events.changes.at(-1)).toMatchObject({ status: 'deleted', previousStatus: 'active', cause: 'deleted' });
  });
});
