/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The reference console page (Settings → Integrations → SendGrid), as the product's console
 * would drive this API. Plain DOM code, bundled by esbuild when the local runtime serves it.
 *
 * What it guarantees a person: a pasted key stays in its field until it is saved (a failed
 * check never costs the key, which SendGrid shows only once); one request per action however
 * often a button is pressed; every message belongs to the tenant and step it was shown for;
 * tenant and language live in the URL; focus lands on each action's result.
 */
import { isTextKey, type Language, languageFrom, SENDGRID_LINKS, type TextKey, text } from './console-texts.js';
import { defaultCustomerSender, type SenderChoice, SenderPicker } from './sender-picker.js';

type Json = Record<string, unknown>;

/** An API answer as the page reads it; status 0 means the request never got an answer. */
interface Answer {
  status: number;
  body: Json;
  etag: string | null;
}

interface Card {
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

/** Problem codes about the pasted key itself: shown at the key field. */
const KEY_PROBLEMS = new Set([
  'invalid_key_format',
  'key_rejected',
  'billing_key',
  'missing_scopes',
  'excess_scopes',
  'no_authenticated_domain',
  'same_key',
  'different_account',
]);
/** Problem codes meaning "someone else changed it first". */
const STALE_PROBLEMS = new Set(['conflict', 'precondition_failed']);

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const state: {
  language: Language;
  tenant: string;
  /** Bumped when the tenant changes: answers to older requests are dropped, not shown. */
  generation: number;
  card: Card | undefined;
  /** The card's entity tag, sent back as If-Match so a stale window cannot overwrite. */
  etag: string | undefined;
  verification: Verification | undefined;
  /** The last write per action, so a retry of the very same request reuses its Idempotency-Key. */
  attempts: Map<string, { body: string; key: string }>;
} = {
  language: 'en',
  tenant: '',
  generation: 0,
  card: undefined,
  etag: undefined,
  verification: undefined,
  attempts: new Map(),
};

const t = (key: TextKey, values?: Record<string, string | number>) => text(state.language, key, values);

/** Messages on screen, re-rendered when the language changes. */
const liveMessages = new Map<HTMLElement, () => Array<Node | string>>();

const wizardPicker = new SenderPicker($('wizard-senders'), 'wizard', () => state.language);
const editPicker = new SenderPicker($('edit-senders'), 'edit', () => state.language);

// ---------------------------------------------------------------------------------------------
// Talking to the API

interface RequestOptions {
  body?: unknown;
  ifMatch?: string | undefined;
  ifNoneMatch?: string;
  /** Sends an Idempotency-Key, the same one while the same body is retried for this action. */
  idempotent?: string;
}

async function api(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = {
    'x-tenant-id': state.tenant,
    'accept-language': state.language,
  };
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (options.ifMatch) headers['if-match'] = options.ifMatch;
  if (options.ifNoneMatch) headers['if-none-match'] = options.ifNoneMatch;
  if (options.idempotent) headers['idempotency-key'] = idempotencyKey(options.idempotent, body ?? '');
  try {
    const response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body }) });
    const raw = await response.text();
    let parsed: Json = {};
    try {
      parsed = raw ? (JSON.parse(raw) as Json) : {};
    } catch {
      parsed = {};
    }
    if (options.idempotent && response.status !== 0) state.attempts.delete(options.idempotent);
    return { status: response.status, body: parsed, etag: response.headers.get('etag') };
  } catch {
    // No answer: keep the attempt, so pressing the button again replays rather than repeats.
    return { status: 0, body: {}, etag: null };
  }
}

function idempotencyKey(action: string, body: string): string {
  const last = state.attempts.get(action);
  if (last && last.body === body) return last.key;
  const key = crypto.randomUUID();
  state.attempts.set(action, { body, key });
  return key;
}

// ---------------------------------------------------------------------------------------------
// Messages, problems and busy state

function show(box: HTMLElement, render: () => Array<Node | string>): void {
  liveMessages.set(box, render);
  box.replaceChildren(...render());
  box.hidden = false;
}

function hide(box: HTMLElement): void {
  liveMessages.delete(box);
  box.replaceChildren();
  box.hidden = true;
}

/** Shows a success message and moves focus to it. */
function announce(box: HTMLElement, render: () => Array<Node | string>): void {
  show(box, render);
  box.focus();
}

/** Hides every message, field error and invalid mark inside `scope`. */
function clearMessages(scope: ParentNode): void {
  for (const box of scope.querySelectorAll<HTMLElement>('.notice, .problem, .field-error')) hide(box);
  for (const field of scope.querySelectorAll<HTMLElement>('input, select, textarea')) untieError(field);
  if (scope.contains($('wizard-senders'))) wizardPicker.clearErrors();
  if (scope.contains($('edit-senders'))) editPicker.clearErrors();
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  content: string | Array<Node | string> = [],
  className?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (typeof content === 'string') node.textContent = content;
  else node.append(...content);
  if (className) node.className = className;
  return node;
}

function link(href: string, label: string): HTMLAnchorElement {
  const anchor = element('a', label);
  anchor.href = href;
  anchor.target = '_blank';
  anchor.rel = 'noopener noreferrer';
  return anchor;
}

function reloadButton(): HTMLButtonElement {
  const button = element('button', t('reload'), 'secondary');
  button.type = 'button';
  button.addEventListener('click', () => void loadIntegration({ focus: true }));
  return button;
}

/** Ties an error message to its field: aria-invalid, aria-describedby, focus. */
function tieError(field: HTMLElement, render: () => Array<Node | string>): void {
  const box = $(`${field.id}-error`);
  show(box, render);
  field.dataset.describedby ??= field.getAttribute('aria-describedby') ?? '';
  field.setAttribute('aria-invalid', 'true');
  field.setAttribute('aria-describedby', `${field.dataset.describedby} ${box.id}`.trim());
  field.focus();
}

function untieError(field: HTMLElement): void {
  if (field.getAttribute('aria-invalid') !== 'true' || field.dataset.describedby === undefined) return;
  field.removeAttribute('aria-invalid');
  if (field.dataset.describedby) field.setAttribute('aria-describedby', field.dataset.describedby);
  else field.removeAttribute('aria-describedby');
}

/** Where a problem answer is shown. */
interface ProblemTarget {
  /** The form-level box for problems that belong to no single field. */
  box: HTMLElement;
  /** Request fields (as the API names them) → the input that holds them. */
  fields?: Partial<Record<string, HTMLElement>>;
  /** The key field, for problems with the pasted key. */
  keyField?: HTMLElement;
  picker?: SenderPicker;
  /** The addresses sent, to name the one an `emails.N` field error points at. */
  sentEmails?: readonly string[];
}

/** The server's own words (already in the request's language where the API speaks it). */
function serverWords(problem: Json): Array<Node | string> {
  const parts: Array<Node | string> = [element('strong', String(problem.title ?? ''))];
  if (problem.detail) parts.push(element('p', String(problem.detail)));
  const missing = (problem.missingScopes as Array<{ grantedBy: string }> | undefined) ?? [];
  const switchOff = (problem.settingsToSwitchOff as string[] | undefined) ?? [];
  if (missing.length > 0 || switchOff.length > 0) {
    const list = element('ul', [], 'fixes');
    for (const entry of new Set(missing.map((item) => item.grantedBy))) {
      list.append(element('li', `${t('setAccess')}: ${entry}`));
    }
    for (const setting of switchOff) list.append(element('li', `${t('switchOff')}: ${setting}`));
    // A Full Access key lists every setting there is: fold the long list away.
    const fixes = list.childElementCount > 5 ? element('details', [element('summary', t('toFix')), list]) : list;
    parts.push(...(fixes === list ? [element('p', t('toFix')), list] : [fixes]));
  }
  const code = String(problem.code ?? '');
  if (KEY_PROBLEMS.has(code)) parts.push(element('p', [link(SENDGRID_LINKS.apiKeys, t('openApiKeys'))]));
  if (code === 'no_authenticated_domain' || code === 'sender_not_authenticated') {
    parts.push(element('p', [link(SENDGRID_LINKS.senderAuthentication, t('openSenderAuth'))]));
  }
  return parts;
}

function focusBox(box: HTMLElement): void {
  box.hidden = false;
  box.focus();
}

/** Shows a failed answer where it belongs: at its field, at the sender list, or for the form. */
function showProblem(target: ProblemTarget, answer: Answer): void {
  const problem = answer.body;
  const code = String(problem.code ?? '');
  if (answer.status === 0) {
    show(target.box, () => [t('networkProblem')]);
    focusBox(target.box);
    return;
  }
  if (STALE_PROBLEMS.has(code) || code === 'not_found') {
    const words = code === 'not_found' ? 'goneElsewhere' : 'changedElsewhere';
    show(target.box, () => [element('p', t(words)), reloadButton()]);
    focusBox(target.box);
    return;
  }
  if (code === 'internal_error' || (answer.status >= 500 && code !== 'upstream_unavailable') || !code) {
    show(target.box, () => [t('serverProblem')]);
    focusBox(target.box);
    return;
  }
  if (code === 'invalid_request') {
    const field = String(problem.field ?? '');
    const [name, index] = field.split('.');
    if (name === 'emails' && target.picker) {
      const email = target.sentEmails?.[Number(index)];
      const words = email ? () => [t('emailInvalidAt', { email })] : () => [t('pickOne')];
      target.picker.showError(words, email ? [email] : []);
      return;
    }
    const input = name ? target.fields?.[name] : undefined;
    if (input) {
      const words = name === 'to' ? t('toInvalid') : String(problem.detail ?? '');
      tieError(input, () => [words]);
      return;
    }
  }
  if (code === 'sender_not_authenticated' && target.picker) {
    const emails = (problem.emails as string[] | undefined) ?? [];
    const domains = (problem.authenticatedDomains as string[] | undefined) ?? [];
    target.picker.showError(
      () => [
        element('p', t('notAuthenticated', { emails: emails.join(', ') })),
        element('p', t('authenticatedAre', { domains: domains.join(', ') || t('noDomains') })),
        element('p', [link(SENDGRID_LINKS.senderAuthentication, t('openSenderAuth'))]),
      ],
      emails,
    );
    return;
  }
  if (code === 'sender_not_registered' && target.fields?.from) {
    tieError(target.fields.from, () => serverWords(problem));
    return;
  }
  if (KEY_PROBLEMS.has(code) && target.keyField && !target.keyField.closest('[hidden]')) {
    tieError(target.keyField, () => serverWords(problem));
    return;
  }
  const retry = problem.retryAfterSeconds;
  show(target.box, () => [
    ...serverWords(problem),
    ...(typeof retry === 'number' ? [element('p', t('tryAgainLater', { seconds: retry }))] : []),
  ]);
  focusBox(target.box);
}

/**
 * Runs one action of a form: its buttons disabled and the form `aria-busy` while the request
 * runs, so a double-click or a second Enter does nothing. Answers from a tenant the page has
 * left meanwhile are dropped.
 */
async function busy(form: HTMLFormElement, action: (current: () => boolean) => Promise<void>): Promise<void> {
  if (form.getAttribute('aria-busy') === 'true') return;
  form.setAttribute('aria-busy', 'true');
  const buttons = [...form.querySelectorAll<HTMLButtonElement>('button')];
  const submit = buttons.find((button) => button.type === 'submit' && button.dataset.busyI18n);
  for (const button of buttons) button.disabled = true;
  const label = submit?.dataset.i18n;
  if (submit?.dataset.busyI18n && isTextKey(submit.dataset.busyI18n)) {
    submit.dataset.i18n = submit.dataset.busyI18n;
    submit.textContent = t(submit.dataset.busyI18n);
    $('progress').textContent = t(submit.dataset.busyI18n);
  }
  const generation = state.generation;
  try {
    await action(() => generation === state.generation);
  } finally {
    for (const button of buttons) button.disabled = false;
    if (submit && label && isTextKey(label)) {
      submit.dataset.i18n = label;
      submit.textContent = t(label);
    }
    $('progress').textContent = '';
    form.setAttribute('aria-busy', 'false');
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

function applyLanguage(): void {
  document.documentElement.lang = state.language;
  for (const node of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const key = node.dataset.i18n;
    if (key && isTextKey(key)) node.textContent = t(key);
  }
  for (const [box, render] of liveMessages) box.replaceChildren(...render());
  wizardPicker.refreshTexts();
  editPicker.refreshTexts();
  if (state.verification) renderFound(state.verification);
  if (state.card) renderCard(state.card);
  void loadMessages();
}

/** Keeps tenant and language in the address, so a reload (or a shared link) keeps them. */
function writeUrl(): void {
  const url = new URL(window.location.href);
  url.searchParams.set('tenant', state.tenant);
  url.searchParams.set('lang', state.language);
  window.history.replaceState(null, '', url);
}

function label(prefix: string, value: string, fallback: TextKey): string {
  const key = `${prefix}_${value}`;
  return isTextKey(key) ? t(key) : t(fallback);
}

function formatDate(value: string | null): string {
  return value ? new Date(value).toLocaleString(state.language === 'de' ? 'de-DE' : 'en-GB') : t('never');
}

function definitionList(list: HTMLElement, rows: Array<[TextKey, string | Node, string]>): void {
  list.replaceChildren(
    ...rows.flatMap(([term, value, field]) => {
      const description = element('dd', typeof value === 'string' ? value : [value]);
      description.dataset.field = field;
      return [element('dt', t(term)), description];
    }),
  );
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
}

function renderCard(card: Card): void {
  $('wizard').hidden = true;
  $('card').hidden = false;
  const healthy = card.status === 'active';
  const status = element('span', card.statusLabel ?? t('status_unknown'), healthy ? 'ok' : 'bad');
  definitionList($('card-fields'), [
    ['status', status, 'status'],
    ...(card.provider === 'sendgrid'
      ? []
      : ([['provider', label('provider', card.provider, 'provider_sendgrid'), 'provider']] as Array<
          [TextKey, string, string]
        >)),
    ['apiKeyId', card.keyId, 'keyId'],
    ['region', label('region', card.region, 'region'), 'region'],
    ['created', formatDate(card.createdAt), 'created'],
    ['rotated', formatDate(card.rotatedAt), 'rotated'],
    ['lastVerified', formatDate(card.lastVerifiedAt), 'lastVerified'],
  ]);
  $('card-emails').replaceChildren(...card.emails.map((email) => element('li', email)));
  renderEmergency(card);
  $('rotate-form').hidden = card.provider !== 'sendgrid';
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
  const generation = state.generation;
  clearMessages(document.querySelector('main') ?? document);
  $('loading').hidden = false;
  const answer = await api('GET', '/integrations/sendgrid');
  if (generation !== state.generation) return;
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
  const sandbox = form.querySelector<HTMLInputElement>('input[name="test-mode"]:checked')?.value !== 'deliver';
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
    element('p', t('deleteLoses', { tenant: state.tenant })),
    element('ul', [
      element('li', t('deleteLoseKey', { keyId: card.keyId })),
      element('li', t('deleteLoseSenders', { emails: card.emails.join(', ') })),
      element('li', t('deleteLoseMail')),
    ]),
    element('p', t('deleteRevoke', { keyId: card.keyId }), 'warning'),
    element('p', [link(SENDGRID_LINKS.apiKeys, t('openApiKeys'))]),
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
    announce($('wizard-notice'), () => [t('deleted', { keyId: card.keyId })]);
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
  if (!tenant || tenant === state.tenant) return;
  state.tenant = tenant;
  state.generation += 1;
  state.attempts.clear();
  // A key pasted for one tenant is never saved for another.
  for (const id of ['api-key', 'rotate-key']) {
    const field = $<HTMLInputElement>(id);
    field.value = '';
    resetReveal(field);
  }
  writeUrl();
  void loadIntegration();
}

$('tenant').addEventListener('change', switchTenant);
$('language').addEventListener('change', () => {
  state.language = languageFrom($<HTMLSelectElement>('language').value);
  writeUrl();
  applyLanguage();
  void refreshCardWords();
});

/** Fetches the card again for its status words in the new language; messages on screen stay. */
async function refreshCardWords(): Promise<void> {
  if (!state.card) return;
  const generation = state.generation;
  const answer = await api('GET', '/integrations/sendgrid');
  if (generation !== state.generation || answer.status !== 200 || !state.card) return;
  renderCard(acceptCard(answer));
}
$('context').addEventListener('submit', (event) => {
  event.preventDefault();
  switchTenant();
});

const params = new URL(window.location.href).searchParams;
state.language = languageFrom(params.get('lang') ?? navigator.language);
state.tenant = params.get('tenant')?.trim() || $<HTMLInputElement>('tenant').value.trim();
$<HTMLInputElement>('tenant').value = state.tenant;
$<HTMLSelectElement>('language').value = state.language;
writeUrl();
applyLanguage();
void loadIntegration();
