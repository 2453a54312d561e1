import type { EventWebhookDelivery, EventWebhookTiming, SandboxEventWebhook } from './event-webhooks.js';

export type { EventWebhookDelivery, EventWebhookTiming, SandboxEventWebhook } from './event-webhooks.js';
export type { WebhookEvent } from './webhook-events.js';

/** SendGrid regions the sandbox plays: one listener each. */
export type SandboxRegion = 'global' | 'eu';

/** An API key the sandbox accepts (or rejects, once revoked). */
export interface SandboxKey {
  name: string;
  apiKey: string;
  keyId: string;
  accountId: string;
  scopes: string[];
  revoked: boolean;
  /** Whether `GET /v3/verified_senders` answers 200; restricted keys get 403 there (observed). */
  canReadVerifiedSenders: boolean;
  /** What the service is expected to do with this key, for people reading the demo table. */
  description: string;
}

/** An authenticated domain of an account. */
export interface SandboxDomain {
  id: number;
  domain: string;
  subdomain: string;
  valid: boolean;
  default: boolean;
  username: string;
}

/** A Single Sender Verification entry of an account. */
export interface SandboxVerifiedSender {
  id: number;
  from_email: string;
  from_name: string;
  nickname: string;
  verified: boolean;
}

/** A SendGrid account (or regional subuser) with its sender identities. */
export interface SandboxAccount {
  id: string;
  username: string;
  region: SandboxRegion;
  domains: SandboxDomain[];
  verifiedSenders: SandboxVerifiedSender[];
}

/** A `POST /v3/mail/send` the sandbox accepted. */
export interface AcceptedMessage {
  messageId: string;
  region: SandboxRegion;
  keyId: string;
  accountId: string;
  sandboxMode: boolean;
  receivedAt: string;
  /** The JSON body as received. */
  body: unknown;
}

/** A failure to inject into the next matching `/v3` request(s). */
export interface FaultSpec {
  /** Exact path, e.g. '/v3/mail/send'; default every /v3 path. */
  path?: string;
  /** 429, 500, 503 …; answered with SendGrid's error body. */
  status?: number;
  /** How many requests the fault hits; default 1. */
  times?: number;
  /** Answer slowly: wait this long, then answer as the rest of the spec says (normally if nothing else). */
  delayMs?: number;
  /** For 429: X-RateLimit-Reset = now + this; default 1. */
  resetInSeconds?: number;
  /** 'reset' destroys the socket, 'non-json' answers 502 with an HTML body. */
  kind?: 'status' | 'non-json' | 'reset';
}

/** Input of {@link SendGridSandbox.addKey}: the key itself is generated when absent. */
export type NewSandboxKey = Omit<SandboxKey, 'apiKey' | 'keyId'> & { apiKey?: string };

/** A running SendGrid sandbox: two listeners (global and EU hosts) over one shared state. */
export interface SendGridSandbox {
  /** Plays https://api.sendgrid.com, e.g. http://127.0.0.1:PORT. */
  globalUrl: string;
  /** Plays https://api.eu.sendgrid.com. */
  euUrl: string;
  demoKeys: SandboxKey[];
  /** The key with this name; throws if unknown. */
  key(name: string): SandboxKey;
  addAccount(account: SandboxAccount): void;
  /** Generates a valid 69-character key if none is given. */
  addKey(key: NewSandboxKey): SandboxKey;
  revokeKey(keyId: string): void;
  /** Marks an account's authenticated domain valid or not (its DNS broke or was fixed). */
  setDomainValid(accountId: string, domain: string, valid: boolean): void;
  messages(): AcceptedMessage[];
  injectFault(fault: FaultSpec): void;
  clearFaults(): void;
  /** Back to demo state: demo accounts and keys, no messages, no faults, no Event Webhooks. */
  reset(): void;
  /** Sets the account's Event Webhook (signed with the account's own P-256 key; enabled unless said otherwise). */
  setEventWebhook(accountId: string, webhook: { url: string; enabled?: boolean }): SandboxEventWebhook;
  eventWebhook(accountId: string): SandboxEventWebhook | undefined;
  /** Posts every waiting event batch now; resolves with these attempts. */
  flushEventWebhooks(): Promise<EventWebhookDelivery[]>;
  /** Every Event Webhook post attempt so far, oldest first. */
  eventWebhookDeliveries(): EventWebhookDelivery[];
  close(): Promise<void>;
}

/** Options for `startSendGridSandbox`. */
export interface SendGridSandboxOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  globalPort?: number;
  euPort?: number;
  /** Receives one line per request: method, path and status only, never a header or body. */
  log?: (line: string) => void;
  /** When and how often Event Webhook batches are posted. */
  eventWebhook?: EventWebhookTiming;
}
