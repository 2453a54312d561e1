/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The Activity view: the tenant's messages, newest first, with what became of each (a status
 * chip) and, on opening one, the provider events that moved it. Pages through the API's
 * cursor ("Load more") and filters by status.
 */
import { api, session } from './console-api.js';
import { $, button, chip, element, formatDate, hide, label, show, showProblem, t } from './console-dom.js';
import { isTextKey } from './console-texts.js';

/** One provider event on a message. */
interface TimelineEntry {
  type: string;
  at: string;
  recipient?: string;
  reason?: string;
}

/** A message as the API answers it. */
interface MessageView {
  messageId: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  attempts: number;
  /** The stable code of a failure (a send outcome code); its words come from the console's texts. */
  failureCode?: string | null;
  /** The stored failure, in the API's own (English) words. */
  failureDetail: string | null;
  timeline: TimelineEntry[];
  /** When bounced: hard (permanent) or soft. */
  bounceType?: 'hard' | 'soft' | null;
  /** The recipients with how far each got, where the API records them on the message. */
  recipients?: Array<{ email: string; status?: string; reason?: string | null; bounceType?: string | null }>;
}

/** The statuses, in the order a message moves through them (the API's list). */
const STATUSES = [
  'sending',
  'accepted',
  'delivered',
  'deferred',
  'bounced',
  'complained',
  'dropped',
  'suppressed',
  'failed',
  'delivery_unknown',
] as const;

const TONE: Record<string, 'ok' | 'wait' | 'bad' | 'none'> = {
  sending: 'wait',
  accepted: 'wait',
  delivered: 'ok',
  deferred: 'wait',
  bounced: 'bad',
  complained: 'bad',
  dropped: 'bad',
  suppressed: 'none',
  failed: 'bad',
  delivery_unknown: 'none',
};

/** How many messages one page asks for. */
export const ACTIVITY_PAGE_SIZE = 10;

/** A status chip for a message status; a bounce says whether it was permanent. */
export function statusChip(status: string, bounceType?: string | null): HTMLElement {
  const kind = bounceType === 'hard' || bounceType === 'soft' ? ` (${t(`bounce_${bounceType}`)})` : '';
  const node = chip(`${label('msgStatus', status, 'status_unknown')}${kind}`, TONE[status] ?? 'none');
  node.dataset.status = status;
  return node;
}

/** The words for a provider event type; an unknown type is shown in plain words, not as a code. */
function eventWords(type: string): string {
  const key = `event_${type.toLowerCase()}`;
  return isTextKey(key) ? t(key) : type.replace(/[_-]+/g, ' ').toLowerCase();
}

/**
 * Why a message failed, in the session's language: the words for its stable code (the stored
 * detail is English, written when the send failed). The stored detail follows as secondary
 * text when it says more than those words (the sender used, the provider's own reason).
 */
function failureNote(message: Pick<MessageView, 'failureCode' | 'failureDetail'>): HTMLElement {
  const key = `failure_${message.failureCode ?? ''}`;
  const words = isTextKey(key) ? t(key) : t('failure_other');
  const note = element('div', [element('p', words, 'bad failure')], 'failure-note');
  if (message.failureCode) note.dataset.code = message.failureCode;
  if (message.failureDetail && message.failureDetail !== words) {
    const detail = element('span', message.failureDetail);
    detail.lang = 'en';
    note.append(element('p', [`${t('activityFailureDetail')}: `, detail], 'hint failure-detail'));
  }
  return note;
}

/** The tenant's messages and their timelines. */
export class ActivityView {
  private messages: MessageView[] = [];
  private nextCursor: string | null = null;
  /** The message ids whose timeline is open. */
  private readonly open = new Set<string>();
  private readonly details = new Map<string, MessageView>();
  private serial = 0;
  /** Bumped per fetch: an answer to an older fetch (another filter, another tenant) is dropped. */
  private request = 0;

  constructor() {
    const filter = $<HTMLSelectElement>('activity-status');
    filter.addEventListener('change', () => void this.load());
    $('activity-refresh').addEventListener('click', () => void this.load());
    $('activity-more').addEventListener('click', () => void this.more());
    this.renderFilter();
  }

  /** Loads the first page for the tenant and the chosen status. */
  async load(): Promise<void> {
    this.open.clear();
    this.details.clear();
    await this.fetchPage(undefined);
  }

  /** Re-renders every text in the session's language. */
  applyLanguage(): void {
    this.renderFilter();
    this.render();
  }

  private renderFilter(): void {
    const filter = $<HTMLSelectElement>('activity-status');
    const chosen = filter.value;
    filter.replaceChildren(
      new Option(t('activityAll'), ''),
      ...STATUSES.map((status) => new Option(label('msgStatus', status, 'status_unknown'), status)),
    );
    filter.value = chosen;
  }

  private async more(): Promise<void> {
    if (!this.nextCursor) return;
    const first = this.messages.length;
    await this.fetchPage(this.nextCursor);
    // Focus the first message the page added, so the keyboard continues where the list grew.
    $('activity-rows').querySelectorAll<HTMLButtonElement>('button.toggle')[first]?.focus();
  }

  /**
   * Fetches one page after `cursor` (the first page without one). A filtered page can still come
   * back short with a cursor (the API looks at a bounded number of messages per request), so it
   * reads on until the page is full or the list ends, at most a few requests per press.
   */
  private async fetchPage(cursor: string | undefined): Promise<void> {
    const box = $('activity-problem');
    hide(box);
    const list = $('activity-rows');
    const more = $<HTMLButtonElement>('activity-more');
    this.request += 1;
    const request = this.request;
    const generation = session.generation;
    const current = () => request === this.request && generation === session.generation;
    list.setAttribute('aria-busy', 'true');
    more.disabled = true;
    const status = $<HTMLSelectElement>('activity-status').value;
    const found: MessageView[] = [];
    let next = cursor;
    try {
      for (let round = 0; round < 5; round += 1) {
        const query = new URLSearchParams({ limit: String(ACTIVITY_PAGE_SIZE) });
        if (status) query.set('status', status);
        if (next) query.set('cursor', next);
        const answer = await api('GET', `/messages?${query}`);
        if (!current()) return;
        if (answer.status !== 200) {
          if (!cursor) this.messages = [];
          this.nextCursor = null;
          this.render();
          return showProblem({ box }, answer);
        }
        found.push(...((answer.body.messages as MessageView[] | undefined) ?? []));
        next = typeof answer.body.nextCursor === 'string' ? answer.body.nextCursor : undefined;
        if (!next || found.length >= ACTIVITY_PAGE_SIZE) break;
      }
      this.messages = cursor ? [...this.messages, ...found] : found;
      this.nextCursor = next ?? null;
      this.render();
      const count = this.messages.length;
      const words = this.nextCursor ? 'activityShowingMore' : count === 1 ? 'activityShowingOne' : 'activityShowing';
      $('activity-count').textContent = t(words, { count });
    } finally {
      if (current()) {
        list.setAttribute('aria-busy', 'false');
        more.disabled = false;
      }
    }
  }

  private render(): void {
    $('activity-empty').hidden = this.messages.length > 0;
    $('activity-more').hidden = this.nextCursor === null;
    $('activity-rows').replaceChildren(...this.messages.map((message) => this.row(message)));
  }

  private row(message: MessageView): HTMLElement {
    this.serial += 1;
    const panelId = `activity-detail-${this.serial}`;
    const opened = this.open.has(message.messageId);
    const toggle = button(t(opened ? 'activityHide' : 'activityShow'), 'secondary toggle');
    toggle.setAttribute('aria-expanded', String(opened));
    toggle.setAttribute('aria-controls', panelId);
    toggle.setAttribute('aria-label', t(opened ? 'activityHideFor' : 'activityShowFor', { id: message.messageId }));
    const panel = element('div', [], 'timeline');
    panel.id = panelId;
    panel.hidden = !opened;
    const shown = this.details.get(message.messageId);
    if (opened && shown) this.fillDetail(panel, shown);
    toggle.addEventListener('click', () => void this.toggle(message, toggle, panel));
    const item = element('li', [
      element(
        'div',
        [
          statusChip(message.status, message.bounceType),
          element('code', message.messageId, 'message-id'),
          element('span', formatDate(message.createdAt), 'when'),
          toggle,
        ],
        'message-head',
      ),
      panel,
    ]);
    item.dataset.messageId = message.messageId;
    return item;
  }

  private async toggle(message: MessageView, toggle: HTMLButtonElement, panel: HTMLElement): Promise<void> {
    if (this.open.has(message.messageId)) {
      this.open.delete(message.messageId);
      this.setToggle(toggle, message.messageId, false);
      panel.hidden = true;
      return;
    }
    this.open.add(message.messageId);
    this.setToggle(toggle, message.messageId, true);
    show(panel, () => [element('p', t('loading'), 'hint')]);
    const generation = session.generation;
    const answer = await api('GET', `/messages/${encodeURIComponent(message.messageId)}`);
    if (generation !== session.generation || panel.hidden) return;
    if (answer.status !== 200) {
      const box = element('div', [], 'problem');
      box.tabIndex = -1;
      box.setAttribute('role', 'alert');
      panel.replaceChildren(box);
      return showProblem({ box }, answer);
    }
    const detail = answer.body as unknown as MessageView;
    this.details.set(message.messageId, detail);
    this.fillDetail(panel, detail);
  }

  private setToggle(toggle: HTMLButtonElement, id: string, opened: boolean): void {
    toggle.textContent = t(opened ? 'activityHide' : 'activityShow');
    toggle.setAttribute('aria-expanded', String(opened));
    toggle.setAttribute('aria-label', t(opened ? 'activityHideFor' : 'activityShowFor', { id }));
  }

  private fillDetail(panel: HTMLElement, message: MessageView): void {
    const render = () => {
      const parts: Array<Node | string> = [];
      const recipients = message.recipients ?? [];
      if (recipients.length > 0) {
        parts.push(
          element('h4', t('activityRecipientsTitle')),
          element(
            'ul',
            recipients.map((recipient) => {
              const item = element('li', [element('span', recipient.email, 'address')]);
              if (recipient.status) item.append(statusChip(recipient.status, recipient.bounceType));
              if (recipient.reason) item.append(element('span', recipient.reason, 'reason'));
              item.dataset.email = recipient.email;
              return item;
            }),
            'recipients',
          ),
        );
      }
      if (message.failureCode || message.failureDetail) parts.push(failureNote(message));
      parts.push(element('p', t('activityUpdated', { when: formatDate(message.updatedAt) }), 'hint'));
      if (message.timeline.length === 0) {
        parts.push(element('p', t('activityNoEvents'), 'hint'));
        return parts;
      }
      parts.push(
        element(
          'ol',
          message.timeline.map((entry) => {
            const words: Array<Node | string> = [
              element('span', formatDate(entry.at), 'when'),
              element('strong', eventWords(entry.type)),
            ];
            if (entry.recipient) words.push(element('span', entry.recipient, 'address'));
            if (entry.reason) words.push(element('span', entry.reason, 'reason'));
            const item = element('li', words);
            item.dataset.type = entry.type;
            return item;
          }),
          'events',
        ),
      );
      return parts;
    };
    show(panel, render);
  }
}
