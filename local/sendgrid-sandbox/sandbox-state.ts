import { demoAccounts, demoKeySpecs } from './accounts.js';
import { API_KEY_PATTERN, demoApiKey, keyIdOf, randomApiKey } from './api-keys.js';
import { EventWebhooks, type EventWebhookTiming } from './event-webhooks.js';
import { FaultQueue } from './faults.js';
import { RateLimitWindows } from './rate-limits.js';
import type { AcceptedMessage, NewSandboxKey, SandboxAccount, SandboxKey } from './sandbox-types.js';

/** Why a change to the sandbox's state was refused; `reason` picks the control endpoint's status. */
export class SandboxStateError extends Error {
  override readonly name = 'SandboxStateError';

  constructor(
    readonly reason: 'invalid' | 'not_found' | 'conflict',
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

/** An account with the numeric user id SendGrid reports as `user_id`. */
export interface StoredAccount extends SandboxAccount {
  userId: number;
}

/** Accepted messages kept, newest last; a long-running `npm start` must not grow without bound. */
const MAX_STORED_MESSAGES = 10_000;

/**
 * Everything both listeners share: accounts, keys, accepted mail, injected faults, rate-limit windows
 * and each account's Event Webhook.
 */
export class SandboxState {
  readonly faults = new FaultQueue();
  readonly rateLimits = new RateLimitWindows();
  readonly eventWebhooks: EventWebhooks;
  private readonly accounts = new Map<string, StoredAccount>();
  private readonly keysByApiKey = new Map<string, SandboxKey>();
  private accepted: AcceptedMessage[] = [];
  private demoKeyNames: string[] = [];
  private nextUserId = 1;

  constructor(eventWebhookTiming: EventWebhookTiming = {}) {
    this.eventWebhooks = new EventWebhooks(eventWebhookTiming);
    this.reset();
  }

  /** Back to the demo accounts and keys, with no messages, faults, rate-limit history or webhooks. */
  reset(): void {
    this.eventWebhooks.reset();
    this.accounts.clear();
    this.keysByApiKey.clear();
    this.accepted = [];
    this.faults.clear();
    this.rateLimits.clear();
    this.nextUserId = 1;
    for (const account of demoAccounts()) this.addAccount(account);
    const specs = demoKeySpecs();
    for (const spec of specs) this.addKey({ ...spec, apiKey: demoApiKey(spec.name) });
    this.demoKeyNames = specs.map((spec) => spec.name);
  }

  addAccount(account: SandboxAccount): void {
    if (this.accounts.has(account.id)) {
      throw new SandboxStateError('conflict', `Account "${account.id}" already exists.`, 'id');
    }
    this.accounts.set(account.id, { ...structuredClone(account), userId: this.nextUserId++ });
  }

  /** Marks an authenticated domain valid or not, as when its DNS records break or are fixed. */
  setDomainValid(accountId: string, domainName: string, valid: boolean): void {
    const domain = this.accounts.get(accountId)?.domains.find((entry) => entry.domain === domainName);
    if (!domain)
      throw new SandboxStateError('not_found', `Account "${accountId}" has no domain "${domainName}".`, 'domain');
    domain.valid = valid;
  }

  /** The stored account (not a copy): callers only read it. */
  account(id: string): StoredAccount | undefined {
    return this.accounts.get(id);
  }

  addKey(input: NewSandboxKey): SandboxKey {
    if (input.name.trim() === '') throw new SandboxStateError('invalid', 'A key needs a name.', 'name');
    if (!this.accounts.has(input.accountId)) {
      throw new SandboxStateError('invalid', `Unknown account "${input.accountId}".`, 'accountId');
    }
    if (this.findByName(input.name)) {
      throw new SandboxStateError('conflict', `A key named "${input.name}" already exists.`, 'name');
    }
    const apiKey = input.apiKey ?? randomApiKey();
    const keyId = keyIdOf(apiKey);
    if (!keyId || !API_KEY_PATTERN.test(apiKey)) {
      throw new SandboxStateError(
        'invalid',
        'apiKey must be "SG." + 22-character id + "." + 43-character secret.',
        'apiKey',
      );
    }
    if (this.keysByApiKey.has(apiKey) || this.findByKeyId(keyId)) {
      throw new SandboxStateError('conflict', 'A key with this id already exists.', 'apiKey');
    }
    const key: SandboxKey = {
      name: input.name,
      apiKey,
      keyId,
      accountId: input.accountId,
      scopes: [...input.scopes],
      revoked: input.revoked,
      canReadVerifiedSenders: input.canReadVerifiedSenders,
      description: input.description,
    };
    this.keysByApiKey.set(apiKey, key);
    return structuredClone(key);
  }

  revokeKey(keyId: string): void {
    const key = this.findByKeyId(keyId);
    if (!key) throw new SandboxStateError('not_found', `No key with id "${keyId}".`, 'keyId');
    key.revoked = true;
  }

  /** A copy of the named key as it is now; throws if there is none. */
  key(name: string): SandboxKey {
    const key = this.findByName(name);
    if (!key) throw new SandboxStateError('not_found', `No sandbox key named "${name}".`, 'name');
    return structuredClone(key);
  }

  /** Copies of every key, demo keys first. */
  keys(): SandboxKey[] {
    return [...this.keysByApiKey.values()].map((key) => structuredClone(key));
  }

  /** Copies of the demo keys as they are now (a revoked demo key shows as revoked). */
  demoKeys(): SandboxKey[] {
    return this.demoKeyNames.map((name) => this.key(name));
  }

  /** The stored key a request presented (not a copy), revoked or not. */
  keyForApiKey(apiKey: string): SandboxKey | undefined {
    return this.keysByApiKey.get(apiKey);
  }

  /** Keeps accepted mail and queues its Event Webhook events (none for sandbox mode, which delivers nothing). */
  recordMessage(message: AcceptedMessage): void {
    if (!message.sandboxMode) this.eventWebhooks.accepted(message.accountId, message.messageId, message.body);
    this.accepted.push(message);
    if (this.accepted.length > MAX_STORED_MESSAGES) this.accepted.splice(0, this.accepted.length - MAX_STORED_MESSAGES);
  }

  /** Copies of the accepted messages, oldest first. */
  messages(): AcceptedMessage[] {
    return structuredClone(this.accepted);
  }

  clearMessages(): void {
    this.accepted = [];
  }

  private findByName(name: string): SandboxKey | undefined {
    return [...this.keysByApiKey.values()].find((key) => key.name === name);
  }

  private findByKeyId(keyId: string): SandboxKey | undefined {
    return [...this.keysByApiKey.values()].find((key) => key.keyId === keyId);
  }
}
