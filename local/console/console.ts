/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The reference console page (Settings → Integrations), as the product's console would drive
 * this API. Plain DOM code, bundled by esbuild when the local runtime serves it. This module is
 * the SendGrid view (key wizard and card) and the page's wiring; the other views live in their
 * own modules and share the API and screen helpers (console-api.ts, console-dom.ts).
 *
 * What it guarantees a person: a pasted key stays in its field until it is saved (a failed
 * check never costs the key, which SendGrid shows only once); one request per action however
 * often a button is pressed; every message belongs to the tenant and step it was shown for;
 * tenant, language and view live in the URL; focus lands on each action's result.
 */
import { ActivityView } from './activity-view.js';
import { type Answer, api, consoleConfig, type Json, session } from './console-api.js';
import {
  $,
  announce,
  busy,
  clearMessages,
  definitionList,
  element,
  formatDate,
  hide,
  label,
  link,
  onReload,
  refreshMessages,
  registerPicker,
  show,
  showProblem,
  t,
  tieError,
} from './console-dom.js';
import { isTextKey, languageFrom, SENDGRID_LINKS, type TextKey } from './console-texts.js';
import { defaultCustomerSender, type SenderChoice, SenderPicker } from './sender-picker.js';
import { SesDomainsView } from './ses-domains-view.js';
import { SuppressionsView } from './suppressions-view.js';
import { WebhookPanel } from './webhook-panel.js';

/** The integration card as the API answers it. */
export interface Card {
  provider: string;
  keyId: string;
  region: string;
  status: string;
  emails: string[];
  keyVersion: number;
  createdAt: string;
  rotatedAt: string | null;
  lastVerifiedAt: string;
  lastSendError: string | null;
  /** The status in words, in the language the page asked for (the API's message catalog). */
  statusLabel?: string;
  statusNextStep?: string | null;
}

interface Verification {
  region: string;
  keyId: string;
  senders: Array<{ email: string; source: string }>;
  domains: Array<{ domain: string; valid: boolean }>;
}

const state: {
  card: Card | undefined;
  /** The card's entity tag, sent back as If-Match so a stale window cannot overwrite. */
  etag: string | undefined;
  verification: Verification | undefined;
} = {
  card: undefined,
  etag: undefined,
  verification: undefined,
};

const config = consoleConfig();
const wizardPicker = registerPicker(new SenderPicker($('wizard-senders'), 'wizard', () => session.language));
const editPicker = registerPicker(new SenderPicker($('edit-senders'), 'edit', () => session.language));
const sesView = new SesDomainsView(config, {
  card: () => state.card,
  cardChanged: (answer) => {
    const card = acceptCard(answer);
    editPicker.show(editChoices(card.emails));
    renderCard(card);
  },
});
const activityView = new ActivityView();
const suppressionsView = new SuppressionsView();
const webhookPanel = new WebhookPanel();
onReload(() => void loadIntegration({ focus: true }));
// ---------------------------------------------------------------------------------------------
// Rendering

function applyLanguage(): void {
  document.documentElement.lang = session.language;
  for (const node of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const key = node.dataset.i18n;
    if (key && isTextKey(key)) node.textContent = t(key);
  }
  for (const node of document.querySelectorAll<HTMLElement>('[data-i18n-label]')) {
    const key = node.dataset.i18nLabel;
    if (key && isTextKey(key)) node.setAttribute('aria-label', t(key));
  }
  refreshMessages();
  if (state.verification) renderFound(state.verification);
  if (state.card) renderCard(state.card);
  for (const view of Object.values(views)) view.applyLanguage();
  webhookPanel.applyLanguage();
  void loadMessages();
}

/** Keeps tenant, language and view in the address, so a reload (or a shared link) keeps them. */
function writeUrl(): void {
  const url = new URL(window.location.href);
  url.searchParams.set('tenant', session.tenant);
  url.searchParams.set('lang', session.language);
  url.searchParams.set('view', currentView);
  window.history.replaceState(null, '', url);
  // The view links carry tenant and language too, so one opened in a new tab shows the same.
  for (const name of VIEW_NAMES) {
    const target = new URL(url);
    target.searchParams.set('view', name);
    $<HTMLAnchorElement>(`nav-${name}`).href = `${target.pathname}${target.search}`;
  }
}

/** The page's views, each a part of <main> with its own link in the view navigation. */
type ViewName = 'sending' | 'activity' | 'suppressions';
const VIEW_NAMES: readonly ViewName[] = ['sending', 'activity', 'suppressions'];
const views: Record<Exclude<ViewName, 'sending'>, { load(): Promise<void>; applyLanguage(): void }> = {
  activity: activityView,
  suppressions: suppressionsView,
};
let currentView: ViewName = 'sending';

function viewFrom(value: string | null): ViewName {
  return VIEW_NAMES.find((name) => name === value) ?? 'sending';
}

/** Shows one view, marks its link as current, and loads what it shows for the tenant. */
function openView(name: ViewName, options: { focus?: boolean } = {}): void {
  currentView = name;
  for (const candidate of VIEW_NAMES) {
    $(`view-${candidate}`).hidden = candidate !== name;
    const anchor = $(`nav-${candidate}`);
    if (candidate === name) anchor.setAttribute('aria-current', 'page');
    else anchor.removeAttribute('aria-current');
  }
  writeUrl();
  if (name === 'sending') void loadIntegration(options);
  else void views[name].load().then(() => options.focus && $(`${name}-title`).focus());
}

for (const name of VIEW_NAMES) {
  $(`nav-${name}`).addEventListener('click', (event) => {
    event.preventDefault();
    openView(name, { focus: true });
  });
}

function renderFound(verification: Verification): void {
  const domains = element(
    'ul',
    verification.domains.length === 0
      ? [element('li', t('noDomains'))]
      : verification.domains.map((domain) =>
          element('li', [
            element('span', domain.domain, 'address'),
            element('span', ` — ${t(domain.valid ? 'domainValid' : 'domainInvalid')}`, domain.valid ? 'ok' : 'bad'),
          ]),
        ),
    'domains',
  );
  definitionList($('found-fields'), [
    ['apiKeyId', verification.keyId, 'keyId'],
    ['region', label('region', verification.region, 'region'), 'region'],
    ['domains', domains, 'domains'],
  ]);
}

function showStep(step: 1 | 2): void {
  $('verify-form').hidden = step !== 1;
  $('senders-form').hidden = step !== 2;
  $('step-1-marker').toggleAttribute('aria-current', step === 1);
  $('step-2-marker').toggleAttribute('aria-current', step === 2);
  if (step === 1) $('step-1-marker').setAttribute('aria-current', 'step');
  else $('step-2-marker').setAttribute('aria-current', 'step');
}

function renderWizard(): void {
  state.card = undefined;
  state.etag = undefined;
  state.verification = undefined;
  $('card').hidden = true;
  $('wizard').hidden = false;
  showStep(1);
  sesView.cardShown();
  void webhookPanel.cardShown(undefined);
}

function renderCard(card: Card): void {
  $('wizard').hidden = true;
  $('card').hidden = false;
  const healthy = card.status === 'active';
  const status = element('span', card.statusLabel ?? t('status_unknown'), healthy ? 'ok' : 'bad');
  const sendGrid = card.provider === 'sendgrid';
  $('card-title').textContent = label('provider', card.provider, 'provider_sendgrid');
  definitionList($('card-fields'), [
    ['status', status, 'status'],
    ['provider', label('provider', card.provider, 'provider_sendgrid'), 'provider'],
    // An SES card's key id is our own tenant name in SES: nothing the person can look up.
    ...(sendGrid ? ([['apiKeyId', card.keyId, 'keyId']] as Array<[TextKey, string, string]>) : []),
    ['region', sendGrid ? label('region', card.region, 'region') : card.region, 'region'],
    ['created', formatDate(card.createdAt), 'created'],
    ...(sendGrid ? ([['rotated', formatDate(card.rotatedAt), 'rotated']] as Array<[TextKey, string, string]>) : []),
    ['lastVerified', formatDate(card.lastVerifiedAt), 'lastVerified'],
  ]);
  $('card-emails').replaceChildren(...card.emails.map((email) => element('li', email)));
  renderEmergency(card);
  $('rotate-form').hidden = !sendGrid;
  // SendGrid's sandbox mode ("check only") has no Amazon SES counterpart.
  $('test-mode').hidden = !sendGrid;
  if (!sendGrid) $<HTMLInputElement>('test-mode-sandbox').checked = true;
  sesView.cardShown();
  void webhookPanel.cardShown(card.provider);
  const from = $<HTMLSelectElement>('test-from');
  const chosen = from.value;
  const fallback = defaultCustomerSender(card.emails);
  from.replaceChildren(
    ...(fallback ? [new Option(t('defaultFrom', { email: fallback }), '')] : []),
    ...card.emails.map((email) => new Option(email, email)),
  );
  if ([...from.options].some((option) => option.value === chosen)) from.value = chosen;
}

/** A broken integration as an emergency: what is wrong in plain words (the API's) and the next step. */
function renderEmergency(card: Card): void {
  const box = $('emergency');
  if (card.status === 'active') {
    box.hidden = true;
    return;
  }
  $('emergency-title').textContent = card.statusLabel ?? t('status_unknown');
  $('emergency-step').textContent = card.statusNextStep ?? '';
  const keyProblem = !['sender_unauthenticated', 'sender_rejected'].includes(card.status);
  // Amazon SES paused the tenant: nothing here fixes it (the next step says what does).
  if (card.status === 'paused') {
    $('emergency-actions').replaceChildren();
    return;
  }
  $('emergency-actions').replaceChildren(
    ...(keyProblem
      ? [link(SENDGRID_LINKS.apiKeys, t('openApiKeys')), jumpButton('goRotate', 'rotate-key')]
      : [link(SENDGRID_LINKS.senderAuthentication, t('openSenderAuth')), jumpButton('goEdit', 'edit-title')]),
  );
  $('emergency-details').hidden = !card.lastSendError;
  $('emergency-detail-text').textContent = card.lastSendError ?? '';
  box.hidden = false;
}

function jumpButton(words: TextKey, target: string): HTMLButtonElement {
  const button = element('button', t(words));
  button.type = 'button';
  button.addEventListener('click', () => {
    const destination = $(target);
    if (!destination.hasAttribute('tabindex') && destination.tagName.startsWith('H')) {
      destination.setAttribute('tabindex', '-1');
    }
    destination.focus();
    destination.scrollIntoView({ block: 'center' });
  });
  return button;
}

/** The sender choices for editing: the registered ones, plus info@/noreply@ at their domains. */
function editChoices(emails: readonly string[]): SenderChoice[] {
  const choices: SenderChoice[] = emails.map((email) => ({ email, checked: true }));
  const domains = [...new Set(emails.map((email) => email.slice(email.lastIndexOf('@') + 1)))];
  for (const domain of domains) {
    for (const local of ['info', 'noreply']) {
      const email = `${local}@${domain}`;
      if (!emails.includes(email)) choices.push({ email, checked: false, note: 'source_suggested' });
    }
  }
  return choices;
}

function acceptCard(answer: Answer): Card {
  const card = answer.body as unknown as Card;
  state.card = card;
  state.etag = answer.etag ?? undefined;
  return card;
}

async function loadIntegration(options: { focus?: boolean } = {}): Promise<void> {
  const generation = session.generation;
  clearMessages(document.querySelector('main') ?? document);
  $('loading').hidden = false;
  const [answer] = await Promise.all([api('GET', '/integrations/sendgrid'), sesView.load()]);
  if (generation !== session.generation) return;
  $('loading').hidden = true;
  if (answer.status === 200) {
    const card = acceptCard(answer);
    editPicker.show(editChoices(card.emails));
    renderCard(card);
    if (options.focus) $('card-title').focus();
  } else if (answer.status === 404) {
    renderWizard();
    if (options.focus) $('step-1-title').focus();
  } else {
    $('card').hidden = true;
    $('wizard').hidden = true;
    showProblem({ box: $('page-problem') }, answer);
  }
}

// ---------------------------------------------------------------------------------------------
// Actions

async function onVerify(form: HTMLFormElement): Promise<void> {
  clearMessages($('wizard'));
  const keyField = $<HTMLInputElement>('api-key');
  const apiKey = keyField.value.trim();
  if (!apiKey) return tieError(keyField, () => [t('keyRequired')]);
  const region = $<HTMLSelectElement>('region').value;
  await busy(form, async (current) => {
    const answer = await api('POST', '/integrations/sendgrid/verify', {
      body: { apiKey, ...(region ? { region } : {}) },
    });
    if (!current()) return;
    if (answer.status !== 200) {
      // The key stays in its field: most problems are fixed in SendGrid, then verified again.
      return showProblem({ box: $('verify-problem'), keyField, fields: { apiKey: keyField } }, answer);
    }
    const verification = answer.body as unknown as Verification;
    state.verification = verification;
    renderFound(verification);
    wizardPicker.show(
      verification.senders.map((sender) => {
        const local = sender.email.split('@')[0];
        return {
          email: sender.email,
          checked: local === 'info' || local === 'noreply',
          note: sender.source === 'verified_sender' ? 'source_verified_sender' : 'source_suggested',
        };
      }),
      verification.domains.filter((domain) => domain.valid).map((domain) => domain.domain),
    );
    showStep(2);
    $('step-2-title').focus();
  });
}

async function onSave(form: HTMLFormElement): Promise<void> {
  clearMessages($('wizard'));
  const verification = state.verification;
  const keyField = $<HTMLInputElement>('api-key');
  if (!verification || !keyField.value.trim()) {
    showStep(1);
    return keyField.focus();
  }
  if (!wizardPicker.readyToSave()) return;
  const emails = wizardPicker.selected();
  await busy(form, async (current) => {
    const answer = await api('PUT', '/integrations/sendgrid', {
      body: { apiKey: keyField.value.trim(), emails, region: verification.region },
      ...(state.etag ? { ifMatch: state.etag } : { ifNoneMatch: '*' }),
      idempotent: 'save',
    });
    if (!current()) return;
    if (answer.status !== 200 && answer.status !== 201) {
      return showProblem({ box: $('save-problem'), picker: wizardPicker, sentEmails: emails }, answer);
    }
    keyField.value = '';
    resetReveal(keyField);
    state.verification = undefined;
    const card = acceptCard(answer);
    editPicker.show(editChoices(card.emails));
    renderCard(card);
    announce($('card-notice'), () => [t('saved')]);
  });
}

function onBack(): void {
  clearMessages($('wizard'));
  state.verification = undefined;
  showStep(1);
  $('api-key').focus();
}

async function onRotate(form: HTMLFormElement): Promise<void> {
  clearMessages($('card'));
  const keyField = $<HTMLInputElement>('rotate-key');
  const apiKey = keyField.value.trim();
  if (!apiKey) return tieError(keyField, () => [t('keyRequired')]);
  await busy(form, async (current) => {
    const answer = await api('POST', '/integrations/sendgrid/rotate', { body: { apiKey }, ifMatch: state.etag });
    if (!current()) return;
    if (answer.status !== 200) {
      return showProblem({ box: $('rotate-problem'), keyField, fields: { apiKey: keyField } }, answer);
    }
    keyField.value = '';
    resetReveal(keyField);
    const card = acceptCard(answer);
    renderCard(card);
    announce($('rotate-notice'), () => [t('rotatedOk', { keyId: card.keyId })]);
  });
}

async function onEditSenders(form: HTMLFormElement): Promise<void> {
  clearMessages($('card'));
  if (!editPicker.readyToSave()) return;
  const emails = editPicker.selected();
  await busy(form, async (current) => {
    const answer = await api('PUT', '/integrations/sendgrid/emails', { body: { emails }, ifMatch: state.etag });
    if (!current()) return;
    if (answer.status !== 200) {
      return showProblem({ box: $('edit-problem'), picker: editPicker, sentEmails: emails }, answer);
    }
    const card = acceptCard(answer);
    editPicker.show(editChoices(card.emails));
    renderCard(card);
    announce($('edit-notice'), () => [t('sendersSaved', { emails: card.emails.join(', ') })]);
  });
}

const EMAIL_PATTERN = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

async function onTest(form: HTMLFormElement): Promise<void> {
  clearMessages($('card'));
  const toField = $<HTMLInputElement>('test-to');
  const to = toField.value.trim();
  if (!to) return tieError(toField, () => [t('toRequired')]);
  if (!EMAIL_PATTERN.test(to)) return tieError(toField, () => [t('toInvalid')]);
  const fromField = $<HTMLSelectElement>('test-from');
  const from = fromField.value;
  const sandbox =
    state.card?.provider === 'sendgrid' &&
    form.querySelector<HTMLInputElement>('input[name="test-mode"]:checked')?.value !== 'deliver';
  await busy(form, async (current) => {
    const answer = await api('POST', '/integrations/sendgrid/test', {
      body: { to, ...(from ? { from } : {}), sandbox },
      idempotent: 'test',
    });
    if (!current()) return;
    if (answer.status !== 200) {
      return showProblem({ box: $('test-problem'), fields: { to: toField, from: fromField } }, answer);
    }
    const sent = { from: String(answer.body.from), to: String(answer.body.to) };
    const words = answer.body.sandbox === true ? 'testChecked' : 'testDelivered';
    announce($('test-notice'), () => [t(words, sent)]);
    await loadMessages();
  });
}

function openDeleteDialog(): void {
  const card = state.card;
  if (!card) return;
  clearMessages($('card'));
  hide($('delete-problem'));
  const render = () => [
    element('p', t('deleteLoses', { tenant: session.tenant })),
    element('ul', [
      ...(card.provider === 'sendgrid' ? [element('li', t('deleteLoseKey', { keyId: card.keyId }))] : []),
      element('li', t('deleteLoseSenders', { emails: card.emails.join(', ') })),
      element('li', t('deleteLoseMail')),
    ]),
    ...(card.provider === 'sendgrid'
      ? [
          element('p', t('deleteRevoke', { keyId: card.keyId }), 'warning'),
          element('p', [link(SENDGRID_LINKS.apiKeys, t('openApiKeys'))]),
        ]
      : []),
  ];
  show($('delete-dialog-body'), render);
  $<HTMLDialogElement>('delete-dialog').showModal();
}

async function onDeleteConfirmed(form: HTMLFormElement): Promise<void> {
  const card = state.card;
  if (!card) return;
  hide($('delete-problem'));
  await busy(form, async (current) => {
    const answer = await api('DELETE', '/integrations/sendgrid', { ifMatch: state.etag });
    if (!current()) return;
    if (answer.status !== 204) return showProblem({ box: $('delete-problem') }, answer);
    $<HTMLDialogElement>('delete-dialog').close('deleted');
    hide($('delete-dialog-body'));
    renderWizard();
    announce($('wizard-notice'), () =>
      card.provider === 'sendgrid' ? [t('deleted', { keyId: card.keyId })] : [t('deletedSes')],
    );
  });
}

async function loadMessages(): Promise<void> {
  let messages: Array<{ sandboxMode: boolean; body: Json }> = [];
  try {
    const response = await fetch('/local/sandbox/messages');
    if (!response.ok) return;
    ({ messages } = (await response.json()) as { messages: typeof messages });
  } catch {
    return;
  }
  $('no-messages').hidden = messages.length > 0;
  $('message-rows').replaceChildren(
    ...messages
      .slice(-20)
      .reverse()
      .map((message) => {
        const body = message.body as {
          from?: { email?: string };
          subject?: string;
          personalizations?: Array<{ to?: Array<{ email?: string }> }>;
        };
        const to = (body.personalizations?.[0]?.to ?? []).map((entry) => entry.email).join(', ');
        return element('li', [
          element('span', `${body.from?.email ?? ''} → ${to}`, 'address'),
          element('span', body.subject ?? '', 'subject'),
          element('span', message.sandboxMode ? t('mailChecked') : t('mailDelivered'), 'mode'),
        ]);
      }),
  );
}

// ---------------------------------------------------------------------------------------------
// Wiring

function resetReveal(field: HTMLInputElement): void {
  field.type = 'password';
  const button = document.querySelector<HTMLButtonElement>(`button.reveal[aria-controls="${field.id}"]`);
  if (!button) return;
  button.setAttribute('aria-pressed', 'false');
  button.dataset.i18n = 'show';
  button.textContent = t('show');
}

for (const button of document.querySelectorAll<HTMLButtonElement>('button.reveal')) {
  button.addEventListener('click', () => {
    const field = $<HTMLInputElement>(button.getAttribute('aria-controls') ?? '');
    const visible = field.type === 'password';
    field.type = visible ? 'text' : 'password';
    button.setAttribute('aria-pressed', String(visible));
    button.dataset.i18n = visible ? 'hide' : 'show';
    button.textContent = t(visible ? 'hide' : 'show');
  });
}

function bind(id: string, handler: (form: HTMLFormElement) => Promise<void>): void {
  const form = $<HTMLFormElement>(id);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    handler(form).catch(() => showProblem({ box: $('page-problem') }, { status: 500, body: {}, etag: null }));
  });
}

bind('verify-form', onVerify);
bind('senders-form', onSave);
bind('rotate-form', onRotate);
bind('edit-form', onEditSenders);
bind('test-form', onTest);
bind('delete-form', async () => openDeleteDialog());
$('back').addEventListener('click', onBack);
$('refresh-messages').addEventListener('click', () => void loadMessages());

const deleteDialog = $<HTMLDialogElement>('delete-dialog');
const deleteDialogForm = $<HTMLFormElement>('delete-dialog-form');
deleteDialogForm.addEventListener('submit', (event) => {
  if ((event.submitter as HTMLButtonElement | null)?.value !== 'delete') return; // Cancel closes it.
  event.preventDefault();
  void onDeleteConfirmed(deleteDialogForm);
});
deleteDialog.addEventListener('cancel', (event) => {
  if (deleteDialogForm.getAttribute('aria-busy') === 'true') event.preventDefault();
});
deleteDialog.addEventListener('close', () => {
  if (deleteDialog.returnValue !== 'deleted') $('delete-form').querySelector('button')?.focus();
});

function switchTenant(): void {
  const tenant = $<HTMLInputElement>('tenant').value.trim();
  if (!tenant || tenant === session.tenant) return;
  session.tenant = tenant;
  session.generation += 1;
  session.attempts.clear();
  // A key pasted for one tenant is never saved for another.
  for (const id of ['api-key', 'rotate-key']) {
    const field = $<HTMLInputElement>(id);
    field.value = '';
    resetReveal(field);
  }
  openView(currentView);
}

$('tenant').addEventListener('change', switchTenant);
$('language').addEventListener('change', () => {
  session.language = languageFrom($<HTMLSelectElement>('language').value);
  writeUrl();
  applyLanguage();
  void refreshCardWords();
});

/** Fetches the card again for its status words in the new language; messages on screen stay. */
async function refreshCardWords(): Promise<void> {
  if (!state.card) return;
  const generation = session.generation;
  const answer = await api('GET', '/integrations/sendgrid');
  if (generation !== session.generation || answer.status !== 200 || !state.card) return;
  renderCard(acceptCard(answer));
}
$('context').addEventListener('submit', (event) => {
  event.preventDefault();
  switchTenant();
});

const params = new URL(window.location.href).searchParams;
session.language = languageFrom(params.get('lang') ?? navigator.language);
session.tenant = params.get('tenant')?.trim() || $<HTMLInputElement>('tenant').value.trim();
$<HTMLInputElement>('tenant').value = session.tenant;
$<HTMLSelectElement>('language').value = session.language;
applyLanguage();
openView(viewFrom(params.get('view')));
