import { randomUUID } from 'node:crypto';
import { eventsForAcceptedMail, type WebhookEvent } from './webhook-events.js';
import { accountSigningKey, SIGNATURE_HEADER, signPayload, TIMESTAMP_HEADER } from './webhook-signing.js';

/** The event toggles of SendGrid's webhook settings (EventWebhookRequest) and the event each one lets through. */
export const EVENT_TOGGLES = {
  processed: 'processed',
  delivered: 'delivered',
  deferred: 'deferred',
  bounce: 'bounce',
  dropped: 'dropped',
  spam_report: 'spamreport',
  open: 'open',
  click: 'click',
  unsubscribe: 'unsubscribe',
  group_unsubscribe: 'group_unsubscribe',
  group_resubscribe: 'group_resubscribe',
} as const;

/** One of SendGrid's event toggles. */
export type EventToggle = keyof typeof EVENT_TOGGLES;

/** An account's Event Webhook setting, as the control API and SendGrid's settings endpoints show it. */
export interface SandboxEventWebhook {
  id: string;
  accountId: string;
  url: string;
  enabled: boolean;
  /** Signature Verification: when on, every post carries the signature and timestamp headers. */
  signed: boolean;
  /** Base64 DER SubjectPublicKeyInfo (P-256), what SendGrid's settings page shows as the verification key. */
  publicKey: string;
  friendlyName: string | null;
  /** Which events are posted; the control API turns all on. */
  events: Record<EventToggle, boolean>;
  createdDate: string;
  updatedDate: string;
}

/** One attempt to post a batch, for the control API and tests. */
export interface EventWebhookDelivery {
  accountId: string;
  webhookId: string;
  url: string;
  /** 1 for the first post of the batch, 2 for its first retry … */
  attempt: number;
  /** The receiver's HTTP status; null when no answer came (refused, reset, timed out). */
  status: number | null;
  /** Why there was no answer. */
  error?: string;
  events: number;
  outcome: 'delivered' | 'retrying' | 'dropped';
  at: string;
}

/** How the sandbox posts event batches. */
export interface EventWebhookTiming {
  /** Wait this long after accepting mail before posting its events (SendGrid batches for up to 30 s). Default 1000. */
  delayMs?: number;
  /** After a non-2xx answer, retry after these delays, then drop the batch. Default [2000, 10000, 30000]. */
  retryDelaysMs?: number[];
  /** Give up on one post after this long. Default 5000. */
  timeoutMs?: number;
}

/** Why a webhook change was refused. */
export class EventWebhookError extends Error {
  override readonly name = 'EventWebhookError';

  constructor(
    readonly reason: 'invalid' | 'not_found',
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

interface PendingBatch {
  accountId: string;
  events: WebhookEvent[];
  attempts: number;
  dueAtMs: number;
}

/** SendGrid posts at most 768 KB at once; a count is close enough for the sandbox. */
const MAX_EVENTS_PER_BATCH = 500;
const MAX_DELIVERIES_KEPT = 1_000;

/**
 * Each account's Event Webhook (one per account) and the batches waiting to be posted. Batches are
 * posted asynchronously, `delayMs` after the mail was accepted, signed with the account's key as
 * SendGrid does, retried on anything but 2xx, and can be flushed at once for deterministic tests.
 */
export class EventWebhooks {
  private readonly webhooks = new Map<string, SandboxEventWebhook>();
  private pending: PendingBatch[] = [];
  private deliveryLog: EventWebhookDelivery[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private aborter = new AbortController();
  private readonly delayMs: number;
  private readonly retryDelaysMs: number[];
  private readonly timeoutMs: number;

  constructor(
    timing: EventWebhookTiming = {},
    private readonly now: () => number = Date.now,
  ) {
    this.delayMs = timing.delayMs ?? 1_000;
    this.retryDelaysMs = timing.retryDelaysMs ?? [2_000, 10_000, 30_000];
    this.timeoutMs = timing.timeoutMs ?? 5_000;
  }

  /** Creates or changes the account's webhook; signing stays as it was (on for a new one). */
  configure(
    accountId: string,
    input: {
      url: string;
      enabled?: boolean;
      friendlyName?: string | null;
      signed?: boolean;
      events?: Partial<Record<EventToggle, boolean>>;
    },
  ): SandboxEventWebhook {
    const url = checkedUrl(input.url);
    const at = new Date(this.now()).toISOString();
    const existing = this.webhooks.get(accountId);
    const webhook: SandboxEventWebhook = {
      id: existing?.id ?? randomUUID(),
      accountId,
      url,
      enabled: input.enabled ?? existing?.enabled ?? true,
      signed: input.signed ?? existing?.signed ?? true,
      publicKey: accountSigningKey(accountId).publicKey,
      friendlyName: input.friendlyName === undefined ? (existing?.friendlyName ?? null) : input.friendlyName,
      events: { ...(existing?.events ?? allEventsOn()), ...input.events },
      createdDate: existing?.createdDate ?? at,
      updatedDate: at,
    };
    this.webhooks.set(accountId, webhook);
    return structuredClone(webhook);
  }

  /** Turns Signature Verification on or off. */
  setSigned(accountId: string, signed: boolean): SandboxEventWebhook {
    const webhook = this.webhooks.get(accountId);
    if (!webhook) throw new EventWebhookError('not_found', `Account "${accountId}" has no Event Webhook.`);
    webhook.signed = signed;
    webhook.updatedDate = new Date(this.now()).toISOString();
    return structuredClone(webhook);
  }

  /** A copy of the account's webhook, if it has one. */
  get(accountId: string): SandboxEventWebhook | undefined {
    const webhook = this.webhooks.get(accountId);
    return webhook ? structuredClone(webhook) : undefined;
  }

  /** Removes the account's webhook; its waiting batches are dropped when due. */
  remove(accountId: string): boolean {
    return this.webhooks.delete(accountId);
  }

  /** Queues the events of mail SendGrid accepted, if the account's webhook is on. */
  accepted(accountId: string, xMessageId: string, body: unknown): void {
    const webhook = this.webhooks.get(accountId);
    if (!webhook?.enabled) return;
    const wanted = new Set<string>(
      Object.entries(EVENT_TOGGLES).flatMap(([toggle, event]) =>
        webhook.events[toggle as EventToggle] ? [event] : [],
      ),
    );
    const events = eventsForAcceptedMail(xMessageId, body, this.now()).filter((event) => wanted.has(event.event));
    if (events.length === 0) return;
    const open = this.pending.find(
      (batch) => batch.accountId === accountId && batch.attempts === 0 && batch.events.length < MAX_EVENTS_PER_BATCH,
    );
    if (open) open.events.push(...events);
    else this.pending.push({ accountId, events, attempts: 0, dueAtMs: this.now() + this.delayMs });
    this.schedule();
  }

  /** Posts every waiting batch now, due or not (retries included); resolves with these attempts. */
  flush(): Promise<EventWebhookDelivery[]> {
    return this.serialized(() => this.post(() => true));
  }

  /** Every post attempt so far, oldest first (the latest 1,000). */
  deliveries(): EventWebhookDelivery[] {
    return structuredClone(this.deliveryLog);
  }

  /** Forgets webhooks, waiting batches and the delivery log. */
  reset(): void {
    this.webhooks.clear();
    this.pending = [];
    this.deliveryLog = [];
    this.cancelTimer();
  }

  /** Stops the timer and aborts posts in flight. */
  close(): void {
    this.reset();
    this.aborter.abort();
    this.aborter = new AbortController();
  }

  private schedule(): void {
    this.cancelTimer();
    if (this.pending.length === 0) return;
    const next = Math.min(...this.pending.map((batch) => batch.dueAtMs));
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.serialized(() => this.post((batch) => batch.dueAtMs <= this.now()));
      },
      Math.max(0, next - this.now()),
    );
    this.timer.unref();
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Posting runs one pass at a time, so a flush and the timer never post a batch twice. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.chain.then(work);
    this.chain = result.catch(() => undefined);
    return result;
  }

  private async post(isDue: (batch: PendingBatch) => boolean): Promise<EventWebhookDelivery[]> {
    const due = this.pending.filter(isDue);
    this.pending = this.pending.filter((batch) => !due.includes(batch));
    const attempts: EventWebhookDelivery[] = [];
    for (const batch of due) {
      const webhook = this.webhooks.get(batch.accountId);
      if (!webhook?.enabled) continue; // Turned off or removed meanwhile: SendGrid posts nothing.
      const delivery = await this.postBatch(webhook, batch);
      attempts.push(delivery);
      this.deliveryLog.push(delivery);
      if (delivery.outcome === 'retrying') this.pending.push(batch);
    }
    if (this.deliveryLog.length > MAX_DELIVERIES_KEPT)
      this.deliveryLog.splice(0, this.deliveryLog.length - MAX_DELIVERIES_KEPT);
    this.schedule();
    return attempts;
  }

  private async postBatch(webhook: SandboxEventWebhook, batch: PendingBatch): Promise<EventWebhookDelivery> {
    batch.attempts += 1;
    const body = Buffer.from(JSON.stringify(batch.events), 'utf8');
    const timestamp = String(Math.floor(this.now() / 1000));
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'SendGrid Event API' };
    if (webhook.signed) {
      headers[TIMESTAMP_HEADER] = timestamp;
      headers[SIGNATURE_HEADER] = signPayload(accountSigningKey(webhook.accountId).privateKey, timestamp, body);
    }
    let status: number | null = null;
    let error: string | undefined;
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual', // SendGrid does not follow redirects.
        signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.timeoutMs)]),
      });
      status = response.status;
      await response.arrayBuffer().catch(() => undefined);
    } catch (cause) {
      error = cause instanceof Error ? cause.message : String(cause);
    }
    const delivered = status !== null && status >= 200 && status < 300;
    const retryDelay = this.retryDelaysMs[batch.attempts - 1];
    if (!delivered && retryDelay !== undefined) batch.dueAtMs = this.now() + retryDelay;
    return {
      accountId: webhook.accountId,
      webhookId: webhook.id,
      url: webhook.url,
      attempt: batch.attempts,
      status,
      ...(error === undefined ? {} : { error }),
      events: batch.events.length,
      outcome: delivered ? 'delivered' : retryDelay === undefined ? 'dropped' : 'retrying',
      at: new Date(this.now()).toISOString(),
    };
  }
}

function allEventsOn(): Record<EventToggle, boolean> {
  return Object.fromEntries(Object.keys(EVENT_TOGGLES).map((toggle) => [toggle, true])) as Record<EventToggle, boolean>;
}

function checkedUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new EventWebhookError('invalid', 'url must be an absolute http(s) URL.', 'url');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EventWebhookError('invalid', 'url must be an absolute http(s) URL.', 'url');
  }
  return url.toString();
}
