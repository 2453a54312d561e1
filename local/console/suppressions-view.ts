/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The Suppressions view: the addresses this tenant's mail no longer goes to (hard bounces and
 * spam complaints, added by the provider's feedback; others added by hand), with why and since
 * when; add one by hand, remove one so mail to it is sent again.
 */
import { api, session } from './console-api.js';
import {
  $,
  announce,
  busy,
  button,
  chip,
  clearMessages,
  element,
  focusBox,
  formatDate,
  hide,
  label,
  problemWords,
  show,
  showCommonProblem,
  showProblem,
  t,
  tieError,
} from './console-dom.js';

/** One suppressed address as the API answers it. */
interface Suppression {
  email: string;
  reason: string;
  createdAt: string;
  messageId: string | null;
}

const TONE: Record<string, 'bad' | 'none'> = { hard_bounce: 'bad', complaint: 'bad', manual: 'none' };
const EMAIL_PATTERN = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/** The tenant's suppression list. */
export class SuppressionsView {
  private entries: Suppression[] = [];
  private nextCursor: string | null = null;
  private request = 0;

  constructor() {
    const form = $<HTMLFormElement>('suppression-form');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.add(form);
    });
    $('suppressions-more').addEventListener('click', () => void this.more());
    $('suppressions-refresh').addEventListener('click', () => void this.load());
  }

  /** Loads the first page for the tenant. */
  async load(): Promise<void> {
    await this.fetchPage(undefined);
  }

  /** Re-renders every text in the session's language. */
  applyLanguage(): void {
    this.render();
  }

  private async more(): Promise<void> {
    if (!this.nextCursor) return;
    const first = this.entries.length;
    await this.fetchPage(this.nextCursor);
    $('suppression-rows').querySelectorAll<HTMLButtonElement>('button')[first]?.focus();
  }

  private async fetchPage(cursor: string | undefined): Promise<void> {
    const box = $('suppressions-problem');
    hide(box);
    this.request += 1;
    const request = this.request;
    const generation = session.generation;
    const more = $<HTMLButtonElement>('suppressions-more');
    more.disabled = true;
    const query = cursor ? `?${new URLSearchParams({ cursor })}` : '';
    const answer = await api('GET', `/suppressions${query}`);
    if (request !== this.request || generation !== session.generation) return;
    more.disabled = false;
    if (answer.status !== 200) {
      if (!cursor) this.entries = [];
      this.nextCursor = null;
      this.render();
      return showProblem({ box }, answer);
    }
    const page = (answer.body.suppressions as Suppression[] | undefined) ?? [];
    this.entries = cursor ? [...this.entries, ...page] : page;
    this.nextCursor = typeof answer.body.nextCursor === 'string' ? answer.body.nextCursor : null;
    this.render();
  }

  private render(): void {
    $('suppressions-empty').hidden = this.entries.length > 0;
    $('suppressions-more').hidden = this.nextCursor === null;
    $('suppression-rows').replaceChildren(...this.entries.map((entry) => this.row(entry)));
  }

  private row(entry: Suppression): HTMLElement {
    const remove = button(t('suppressionRemove'), 'secondary');
    remove.setAttribute('aria-label', t('suppressionRemoveFor', { email: entry.email }));
    const item = element('li', [
      element('span', entry.email, 'address'),
      chip(label('suppressionReason', entry.reason, 'status_unknown'), TONE[entry.reason] ?? 'none'),
      element('span', t('suppressionSince', { when: formatDate(entry.createdAt) }), 'when'),
      remove,
    ]);
    item.dataset.email = entry.email;
    remove.addEventListener('click', () => void this.remove(entry, item, remove));
    return item;
  }

  private async add(form: HTMLFormElement): Promise<void> {
    clearMessages($('view-suppressions'));
    const field = $<HTMLInputElement>('suppression-email');
    const email = field.value.trim();
    if (!email) return tieError(field, () => [t('suppressionEmailRequired')]);
    if (!EMAIL_PATTERN.test(email)) return tieError(field, () => [t('toInvalid')]);
    await busy(form, async (current) => {
      const answer = await api('PUT', `/suppressions/${encodeURIComponent(email)}`);
      if (!current()) return;
      if (answer.status !== 200 && answer.status !== 201) {
        if (showCommonProblem($('suppressions-problem'), answer)) return;
        if (answer.body.code === 'invalid_email') return tieError(field, () => problemWords(answer.body));
        show($('suppressions-problem'), () => problemWords(answer.body));
        return focusBox($('suppressions-problem'));
      }
      field.value = '';
      const added = answer.body as unknown as Suppression;
      if (!this.entries.some((known) => known.email === added.email)) {
        this.entries = [...this.entries, added].sort((a, b) => a.email.localeCompare(b.email));
        this.render();
      }
      const words = answer.status === 201 ? 'suppressionAdded' : 'suppressionAlready';
      announce($('suppressions-notice'), () => [t(words, { email: added.email })]);
    });
  }

  private async remove(entry: Suppression, item: HTMLElement, pressed: HTMLButtonElement): Promise<void> {
    clearMessages($('view-suppressions'));
    await busy(
      item,
      async (current) => {
        const answer = await api('DELETE', `/suppressions/${encodeURIComponent(entry.email)}`);
        if (!current()) return;
        const gone = answer.status === 204 || answer.body.code === 'suppression_not_found';
        if (!gone) {
          if (showCommonProblem($('suppressions-problem'), answer)) return;
          show($('suppressions-problem'), () => problemWords(answer.body));
          return focusBox($('suppressions-problem'));
        }
        this.entries = this.entries.filter((known) => known.email !== entry.email);
        this.render();
        announce($('suppressions-notice'), () => [t('suppressionRemoved', { email: entry.email })]);
      },
      pressed,
    );
  }
}
