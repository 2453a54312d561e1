import { createHash, randomBytes } from 'node:crypto';
import { message } from '../message-catalog.js';
import { DomainProblem, type ProblemCode } from '../problem-catalog.js';
import { EventWebhookKeyError, parseEventWebhookPublicKey } from '../providers/sendgrid/sendgrid-event-webhook.js';
import { EventWebhookConflict, type EventWebhookRegistration, type EventWebhookStore } from './event-webhook-store.js';

/** The registration as the tenant sees it: where to point SendGrid, which key, when it last heard. */
export interface EventWebhookView {
  /** Paste this into SendGrid's Event Webhook "Post URL". */
  url: string;
  /** `SHA256:` + base64 of the SHA-256 of the key's DER bytes, to compare with the key SendGrid shows. */
  publicKeyFingerprint: string;
  lastEventAt: string | null;
}

/** Why an Event Webhook request was refused. */
export class EventWebhookRegistrationError extends DomainProblem {
  override readonly name = 'EventWebhookRegistrationError';
}

/** The path of a tenant's public webhook URL; the id is the only secret in it. */
export const SENDGRID_WEBHOOK_PATH = '/webhooks/sendgrid/';

/** A webhook id: 24 random bytes, base64url (32 characters, 192 bits: not guessable). */
export function newWebhookId(): string {
  return randomBytes(24).toString('base64url');
}

/** What an id in a URL must look like before anything is looked up. */
export const WEBHOOK_ID_PATTERN = /^[A-Za-z0-9_-]{32}$/;

/** The fingerprint of a verification key, from its DER bytes. */
export function publicKeyFingerprint(der: Buffer): string {
  return `SHA256:${createHash('sha256').update(der).digest('base64').replace(/=+$/, '')}`;
}

/** What the registration use cases need. */
export interface EventWebhookRegistrationsDeps {
  store: EventWebhookStore;
  /** The API's public origin (the stack's HTTP API URL; locally the local server's origin). */
  publicBaseUrl: string;
  now?: () => Date;
  newId?: () => string;
}

/**
 * The tenant's signed SendGrid Event Webhook: registering SendGrid's verification key gives the
 * tenant a URL with an unguessable id to paste into SendGrid. The id is re-issued on demand
 * (a leaked URL stops working at once); deleting stops accepting events.
 */
export class EventWebhookRegistrations {
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(private readonly deps: EventWebhookRegistrationsDeps) {
    this.now = deps.now ?? (() => new Date());
    this.newId = deps.newId ?? newWebhookId;
  }

  /** Registers (or replaces) the verification key; keeps the URL when there is one. */
  async register(tenantId: string, publicKey: string): Promise<{ created: boolean; view: EventWebhookView }> {
    let der: Buffer;
    try {
      der = parseEventWebhookPublicKey(publicKey).export({ type: 'spki', format: 'der' });
    } catch (error) {
      if (!(error instanceof EventWebhookKeyError)) throw error;
      throw new EventWebhookRegistrationError(
        'invalid_webhook_key',
        message('invalid_webhook_key', { reason: error.message }),
        {
          extensions: { field: 'publicKey' },
        },
      );
    }
    const at = this.now().toISOString();
    const existing = await this.deps.store.registration(tenantId, 'sendgrid');
    const fields = {
      publicKey: der.toString('base64'),
      publicKeyFingerprint: publicKeyFingerprint(der),
      updatedAt: at,
    };
    if (existing) {
      const next = { ...existing, ...fields, revision: existing.revision + 1 };
      await this.guard(() => this.deps.store.putRegistration(next, existing.revision));
      return { created: false, view: this.view(next) };
    }
    const webhookId = this.newId();
    await this.guard(() => this.deps.store.createLookup({ webhookId, tenantId, provider: 'sendgrid' }));
    const registration: EventWebhookRegistration = {
      tenantId,
      provider: 'sendgrid',
      webhookId,
      ...fields,
      createdAt: at,
      lastEventAt: null,
      revision: 1,
    };
    try {
      await this.guard(() => this.deps.store.putRegistration(registration, undefined));
    } catch (error) {
      // A concurrent first registration won: our fresh id leads nowhere; remove it.
      await this.deps.store.deleteLookup(webhookId, tenantId);
      throw error;
    }
    return { created: true, view: this.view(registration) };
  }

  /** The tenant's registration, or 404 `webhook_not_found`. */
  async get(tenantId: string): Promise<EventWebhookView> {
    return this.view(await this.existing(tenantId));
  }

  /** Re-issues the URL: the old one is refused from now on (403, as any unknown id). */
  async rotateUrl(tenantId: string): Promise<EventWebhookView> {
    const existing = await this.existing(tenantId);
    const webhookId = this.newId();
    await this.guard(() => this.deps.store.createLookup({ webhookId, tenantId, provider: 'sendgrid' }));
    const next = { ...existing, webhookId, updatedAt: this.now().toISOString(), revision: existing.revision + 1 };
    try {
      await this.guard(() => this.deps.store.putRegistration(next, existing.revision));
    } catch (error) {
      await this.deps.store.deleteLookup(webhookId, tenantId);
      throw error;
    }
    // Even if this delete were lost, the old id no longer matches the registration and is refused.
    await this.deps.store.deleteLookup(existing.webhookId, tenantId);
    return this.view(next);
  }

  /** Stops accepting the tenant's events: removes the registration, then its URL's lookup. */
  async remove(tenantId: string): Promise<void> {
    const existing = await this.existing(tenantId);
    await this.guard(() => this.deps.store.deleteRegistration(tenantId, 'sendgrid', existing.revision));
    await this.deps.store.deleteLookup(existing.webhookId, tenantId);
  }

  private async existing(tenantId: string): Promise<EventWebhookRegistration> {
    const existing = await this.deps.store.registration(tenantId, 'sendgrid');
    if (!existing) throw refusal('webhook_not_found');
    return existing;
  }

  private view(registration: EventWebhookRegistration): EventWebhookView {
    return {
      url: `${this.deps.publicBaseUrl.replace(/\/+$/, '')}${SENDGRID_WEBHOOK_PATH}${registration.webhookId}`,
      publicKeyFingerprint: registration.publicKeyFingerprint,
      lastEventAt: registration.lastEventAt ?? null,
    };
  }

  private async guard<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof EventWebhookConflict) throw refusal('conflict', error);
      throw error;
    }
  }
}

function refusal(code: Extract<ProblemCode, 'webhook_not_found' | 'conflict'>, cause?: unknown) {
  return new EventWebhookRegistrationError(
    code,
    code === 'conflict' ? message('webhook_conflict') : message('webhook_not_found'),
    cause === undefined ? {} : { cause },
  );
}
