/// <reference lib="dom" />
/**
 * The SendGrid Event Webhook set-up panel: walks the tenant through turning on SendGrid's signed
 * Event Webhook (where the setting is, the verification key to paste here, the URL to copy
 * there) and shows when the last event arrived. The pasted key is a field value only: it is
 * cleared once registered and never written into the page; the page shows its fingerprint.
 */
import { type Answer, api, session } from './console-api.js';
import {
  $,
  announce,
  busy,
  button,
  clearMessages,
  copyText,
  definitionList,
  element,
  focusBox,
  formatDate,
  hide,
  problemWords,
  show,
  showCommonProblem,
  t,
  tieError,
} from './console-dom.js';

/** The registration as the API answers it. */
interface EventWebhook {
  url: string;
  publicKeyFingerprint: string;
  lastEventAt: string | null;
}

const PATH = '/integrations/sendgrid/event-webhook';

/** The Event Webhook panel of a tenant that sends through SendGrid. */
export class WebhookPanel {
  private webhook: EventWebhook | undefined;
  /** The session generation (tenant) the registration was loaded for. */
  private loadedFor = -1;

  constructor() {
    const form = $<HTMLFormElement>('webhook-form');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.register(form);
    });
    $('webhook-copy-url').addEventListener('click', () => {
      if (this.webhook) void copyText(this.webhook.url, t('webhookUrl'));
    });
    $('webhook-refresh').addEventListener('click', () => void this.load({ announceIt: true }));
    $('webhook-rotate').addEventListener('click', () => void this.rotate());
    $('webhook-remove').addEventListener('click', () => this.askRemove());
  }

  /** Shows the panel for a SendGrid card and loads the registration; hides it otherwise. */
  async cardShown(provider: string | undefined): Promise<void> {
    const section = $('webhook');
    if (provider !== 'sendgrid') {
      section.hidden = true;
      this.webhook = undefined;
      return;
    }
    section.hidden = false;
    if (this.loadedFor === session.generation) return;
    this.loadedFor = session.generation;
    this.render();
    await this.load();
  }

  /** Loads the registration (404 means "not set up yet"). */
  async load(options: { announceIt?: boolean } = {}): Promise<void> {
    const generation = session.generation;
    const answer = await api('GET', PATH);
    if (generation !== session.generation) return;
    if (answer.status === 200) this.webhook = answer.body as unknown as EventWebhook;
    else if (answer.status === 404) this.webhook = undefined;
    else return this.problem(answer);
    this.render();
    if (options.announceIt) {
      announce($('webhook-notice'), () => [
        this.webhook?.lastEventAt
          ? t('webhookLastEventAt', { when: formatDate(this.webhook.lastEventAt) })
          : t('webhookNoEventYet'),
      ]);
    }
  }

  /** Re-renders every text in the session's language. */
  applyLanguage(): void {
    if (!$('webhook').hidden) this.render();
  }

  private render(): void {
    const webhook = this.webhook;
    $('webhook-state').replaceChildren(
      element('span', t(webhook ? 'webhookOn' : 'webhookOff'), `chip chip-${webhook ? 'ok' : 'none'}`),
    );
    $('webhook-registered').hidden = !webhook;
    const keyLabel = $('webhook-key-label');
    keyLabel.dataset.i18n = webhook ? 'webhookNewKey' : 'webhookKey';
    keyLabel.textContent = t(webhook ? 'webhookNewKey' : 'webhookKey');
    const submit = $('webhook-submit');
    // Not while busy: the button shows "Registering…" until the answer is in.
    if (submit.closest('[aria-busy="true"]') === null) {
      submit.dataset.i18n = webhook ? 'webhookReplace' : 'webhookRegister';
      submit.textContent = t(webhook ? 'webhookReplace' : 'webhookRegister');
    }
    if (!webhook) return;
    $('webhook-url').textContent = webhook.url;
    definitionList($('webhook-facts'), [
      ['webhookFingerprint', webhook.publicKeyFingerprint, 'fingerprint'],
      [
        'webhookLastEvent',
        webhook.lastEventAt ? formatDate(webhook.lastEventAt) : t('webhookNoEventYet'),
        'lastEventAt',
      ],
    ]);
  }

  private async register(form: HTMLFormElement): Promise<void> {
    clearMessages($('webhook'));
    const field = $<HTMLTextAreaElement>('webhook-key');
    const publicKey = field.value.replace(/\s+/g, '');
    if (!publicKey) return tieError(field, () => [t('webhookKeyRequired')]);
    await busy(form, async (current) => {
      const answer = await api('PUT', PATH, { body: { publicKey } });
      if (!current()) return;
      if (answer.status !== 200 && answer.status !== 201) {
        if (showCommonProblem($('webhook-problem'), answer)) return;
        const code = String(answer.body.code ?? '');
        if (code === 'invalid_webhook_key' || code === 'invalid_request') {
          return tieError(field, () => problemWords(answer.body));
        }
        return this.problem(answer);
      }
      field.value = '';
      this.webhook = answer.body as unknown as EventWebhook;
      this.render();
      announce($('webhook-notice'), () => [t(answer.status === 201 ? 'webhookRegistered' : 'webhookKeyReplaced')]);
    });
    this.render(); // The submit button's words follow the registration once it is no longer busy.
  }

  private async rotate(): Promise<void> {
    clearMessages($('webhook'));
    await busy(
      $('webhook-registered'),
      async (current) => {
        const answer = await api('POST', `${PATH}/rotate-url`);
        if (!current()) return;
        if (answer.status !== 200) return this.problem(answer);
        this.webhook = answer.body as unknown as EventWebhook;
        this.render();
        announce($('webhook-notice'), () => [t('webhookUrlRotated')]);
      },
      $<HTMLButtonElement>('webhook-rotate'),
    );
  }

  private askRemove(): void {
    clearMessages($('webhook'));
    const box = $('webhook-confirm');
    const yes = button(t('webhookRemoveConfirm'), 'danger');
    const no = button(t('cancel'), 'secondary');
    const choices = element('div', [yes, no], 'buttons');
    // The same buttons (and listeners) on every re-render; only their words follow the language.
    show(box, () => {
      yes.textContent = t('webhookRemoveConfirm');
      no.textContent = t('cancel');
      return [element('p', t('webhookRemoveQuestion')), choices];
    });
    no.addEventListener('click', () => {
      hide(box);
      $('webhook-remove').focus();
    });
    yes.addEventListener('click', () => void this.remove(yes));
    no.focus();
  }

  private async remove(pressed: HTMLButtonElement): Promise<void> {
    await busy(
      $('webhook-confirm'),
      async (current) => {
        const answer = await api('DELETE', PATH);
        if (!current()) return;
        hide($('webhook-confirm'));
        if (answer.status !== 204 && answer.body.code !== 'webhook_not_found') return this.problem(answer);
        this.webhook = undefined;
        this.render();
        announce($('webhook-notice'), () => [t('webhookRemoved')]);
      },
      pressed,
    );
  }

  private problem(answer: Answer): void {
    const box = $('webhook-problem');
    if (showCommonProblem(box, answer)) return;
    show(box, () => problemWords(answer.body));
    focusBox(box);
  }
}
