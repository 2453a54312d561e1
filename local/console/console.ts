/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The reference console page (Settings → Integrations → SendGrid), as the product's console
 * would drive this API. Plain DOM code, bundled by esbuild when the local runtime serves it.
 * The pasted key lives only in a variable between the two wizard steps and is never written
 * back into the page.
 */

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  body: Json;
}
interface Card {
  keyId: string;
  region: string;
  status: string;
  emails: string[];
  keyVersion: number;
  createdAt: string;
  rotatedAt: string | null;
  lastVerifiedAt: string;
  lastSendError: string | null;
}
interface Verification {
  region: string;
  keyId: string;
  senders: Array<{ email: string; source: string }>;
  domains: Array<{ domain: string; valid: boolean }>;
}

const STRINGS = {
  en: {
    settings: 'Settings',
    integrations: 'Integrations',
    tenant: 'Tenant',
    language: 'Language',
    localNote: 'Local reference console: the tenant header stands in for the sign-in.',
    connectTitle: 'Connect SendGrid',
    step1: 'Step 1 — paste the API key',
    step1Help:
      'Create a Restricted Access key in SendGrid with Mail Send → Full Access and Sender Authentication → Read Access.',
    apiKey: 'SendGrid API key',
    region: 'Region',
    regionAuto: 'Detect automatically',
    verify: 'Verify',
    step2: 'Step 2 — pick the sender addresses',
    offered: 'Addresses at your authenticated domains',
    extraSender: 'Another address at an authenticated domain (optional)',
    save: 'Save',
    configuredEmails: 'Configured email addresses',
    rotate: 'Rotate key',
    newKey: 'New API key',
    editSenders: 'Edit senders',
    editHelp: 'One address per line',
    saveSenders: 'Save senders',
    testSend: 'Send a test email',
    testTo: 'To',
    testFrom: 'From (optional)',
    sandboxMode: 'SendGrid sandbox mode (validate, do not deliver)',
    sendTest: 'Send test email',
    delete: 'Delete integration',
    sandboxMessages: 'Mail the SendGrid sandbox accepted',
    refresh: 'Refresh',
    from: 'From',
    to: 'To',
    subject: 'Subject',
    mode: 'Mode',
    keyId: 'Key id',
    status: 'Status',
    created: 'Connected',
    rotated: 'Rotated',
    verified: 'Last verified',
    lastSendError: 'Last send error',
    never: 'never',
    verified_ok: 'Key verified. Pick the senders to register.',
    saved: 'Saved. The key is stored encrypted.',
    rotatedOk: 'Key rotated; the senders carried over.',
    sendersSaved: 'Senders saved.',
    testSent: 'Test email accepted by SendGrid.',
    deleted: 'Integration deleted.',
    confirmDelete: 'Delete the SendGrid integration? Automations stop sending mail for this tenant.',
    toFix: 'To fix it in SendGrid (Settings → API Keys → Edit):',
    setAccess: 'Set',
    switchOff: 'Switch off',
    pickOne: 'Pick at least one sender.',
    defaultFrom: 'default (info@)',
    sandboxed: 'sandbox',
    delivered: 'delivered',
  },
  de: {
    settings: 'Einstellungen',
    integrations: 'Integrationen',
    tenant: 'Mandant',
    language: 'Sprache',
    localNote: 'Lokale Referenzkonsole: der Mandanten-Header ersetzt die Anmeldung.',
    connectTitle: 'SendGrid verbinden',
    step1: 'Schritt 1 — API-Schlüssel einfügen',
    step1Help:
      'Legen Sie in SendGrid einen Schlüssel mit eingeschränktem Zugriff an: Mail Send → Full Access und Sender Authentication → Read Access.',
    apiKey: 'SendGrid-API-Schlüssel',
    region: 'Region',
    regionAuto: 'Automatisch erkennen',
    verify: 'Prüfen',
    step2: 'Schritt 2 — Absenderadressen wählen',
    offered: 'Adressen an Ihren authentifizierten Domains',
    extraSender: 'Weitere Adresse an einer authentifizierten Domain (optional)',
    save: 'Speichern',
    configuredEmails: 'Konfigurierte E-Mail-Adressen',
    rotate: 'Schlüssel rotieren',
    newKey: 'Neuer API-Schlüssel',
    editSenders: 'Absender bearbeiten',
    editHelp: 'Eine Adresse pro Zeile',
    saveSenders: 'Absender speichern',
    testSend: 'Test-E-Mail senden',
    testTo: 'An',
    testFrom: 'Von (optional)',
    sandboxMode: 'SendGrid-Sandbox-Modus (prüfen, nicht zustellen)',
    sendTest: 'Test-E-Mail senden',
    delete: 'Integration löschen',
    sandboxMessages: 'Von der SendGrid-Sandbox angenommene E-Mails',
    refresh: 'Aktualisieren',
    from: 'Von',
    to: 'An',
    subject: 'Betreff',
    mode: 'Modus',
    keyId: 'Schlüssel-ID',
    status: 'Status',
    created: 'Verbunden',
    rotated: 'Rotiert',
    verified: 'Zuletzt geprüft',
    lastSendError: 'Letzter Sendefehler',
    never: 'nie',
    verified_ok: 'Schlüssel geprüft. Wählen Sie die Absender.',
    saved: 'Gespeichert. Der Schlüssel liegt verschlüsselt vor.',
    rotatedOk: 'Schlüssel rotiert; die Absender bleiben.',
    sendersSaved: 'Absender gespeichert.',
    testSent: 'Test-E-Mail von SendGrid angenommen.',
    deleted: 'Integration gelöscht.',
    confirmDelete: 'SendGrid-Integration löschen? Automationen senden dann keine E-Mails mehr für diesen Mandanten.',
    toFix: 'So beheben Sie es in SendGrid (Settings → API Keys → Edit):',
    setAccess: 'Setzen',
    switchOff: 'Abschalten',
    pickOne: 'Wählen Sie mindestens einen Absender.',
    defaultFrom: 'Standard (info@)',
    sandboxed: 'Sandbox',
    delivered: 'zugestellt',
  },
} as const;

type StringKey = keyof (typeof STRINGS)['en'];
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
let language: keyof typeof STRINGS = 'en';
/** The key between verify and save: memory only. */
let pendingKey: { apiKey: string; region: string } | undefined;

const t = (key: StringKey) => STRINGS[language][key];

function applyLanguage(): void {
  document.documentElement.lang = language;
  for (const element of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    element.textContent = t(element.dataset.i18n as StringKey);
  }
}

async function api(method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(path, {
    method,
    headers: {
      'x-tenant-id': $<HTMLInputElement>('tenant').value.trim(),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Json) : {} };
}

function say(message: string): void {
  $('error').hidden = true;
  $('status').textContent = message;
}

/** Shows a problem: its detail, and for scope problems exactly which SendGrid settings to change. */
function showProblem(problem: Json): void {
  const box = $('error');
  box.replaceChildren();
  const title = document.createElement('strong');
  title.textContent = String(problem.title ?? 'Error');
  const detail = document.createElement('p');
  detail.textContent = String(problem.detail ?? '');
  box.append(title, detail);
  const missing = (problem.missingScopes as Array<{ grantedBy: string }> | undefined) ?? [];
  const switchOff = (problem.settingsToSwitchOff as string[] | undefined) ?? [];
  if (missing.length > 0 || switchOff.length > 0) {
    const intro = document.createElement('p');
    intro.textContent = t('toFix');
    const list = document.createElement('ul');
    list.className = 'fixes';
    for (const entry of new Set(missing.map((item) => item.grantedBy))) {
      const item = document.createElement('li');
      item.textContent = `${t('setAccess')}: ${entry}`;
      list.append(item);
    }
    for (const setting of switchOff) {
      const item = document.createElement('li');
      item.textContent = `${t('switchOff')}: ${setting}`;
      list.append(item);
    }
    box.append(intro, list);
  }
  $('status').textContent = '';
  box.hidden = false;
  box.focus();
}

function formatDate(value: string | null): string {
  return value ? new Date(value).toLocaleString(language === 'de' ? 'de-DE' : 'en-GB') : t('never');
}

function renderCard(card: Card): void {
  $('wizard').hidden = true;
  $('card').hidden = false;
  const fields: Array<[StringKey, string]> = [
    ['keyId', card.keyId],
    ['region', card.region],
    ['status', card.status],
    ['created', formatDate(card.createdAt)],
    ['rotated', formatDate(card.rotatedAt)],
    ['verified', formatDate(card.lastVerifiedAt)],
    ...(card.lastSendError ? ([['lastSendError', card.lastSendError]] as Array<[StringKey, string]>) : []),
  ];
  $('card-fields').replaceChildren(
    ...fields.flatMap(([label, value]) => {
      const term = document.createElement('dt');
      term.textContent = t(label);
      const description = document.createElement('dd');
      description.textContent = value;
      description.dataset.field = label;
      if (label === 'status') description.className = value === 'active' ? 'status-active' : 'status-problem';
      return [term, description];
    }),
  );
  $('card-emails').replaceChildren(
    ...card.emails.map((email) => {
      const item = document.createElement('li');
      item.textContent = email;
      return item;
    }),
  );
  $<HTMLTextAreaElement>('edit-emails').value = card.emails.join('\n');
  const from = $<HTMLSelectElement>('test-from');
  from.replaceChildren(new Option(t('defaultFrom'), ''), ...card.emails.map((email) => new Option(email, email)));
}

function renderWizard(): void {
  $('card').hidden = true;
  $('wizard').hidden = false;
  $('senders-form').hidden = true;
  $('verify-form').hidden = false;
}

async function loadIntegration(): Promise<void> {
  const answer = await api('GET', '/integrations/sendgrid');
  if (answer.status === 200) renderCard(answer.body as unknown as Card);
  else if (answer.status === 404) renderWizard();
  else showProblem(answer.body);
}

function renderSenderOptions(verification: Verification): void {
  const container = $('sender-options');
  container.replaceChildren(
    ...verification.senders.map((sender, index) => {
      const label = document.createElement('label');
      label.className = 'check';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.name = 'sender';
      box.value = sender.email;
      box.id = `sender-${index}`;
      const local = sender.email.split('@')[0];
      box.checked = local === 'info' || local === 'noreply';
      label.append(box, document.createTextNode(` ${sender.email}`));
      return label;
    }),
  );
  $('verify-form').hidden = true;
  $('senders-form').hidden = false;
  container.querySelector<HTMLInputElement>('input')?.focus();
}

async function onVerify(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const keyField = $<HTMLInputElement>('api-key');
  const apiKey = keyField.value.trim();
  const region = $<HTMLSelectElement>('region').value;
  keyField.value = '';
  const answer = await api('POST', '/integrations/sendgrid/verify', { apiKey, ...(region ? { region } : {}) });
  if (answer.status !== 200) {
    showProblem(answer.body);
    return;
  }
  const verification = answer.body as unknown as Verification;
  pendingKey = { apiKey, region: verification.region };
  say(t('verified_ok'));
  renderSenderOptions(verification);
}

async function onSave(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const picked = [...document.querySelectorAll<HTMLInputElement>('input[name="sender"]:checked')].map(
    (box) => box.value,
  );
  const extra = $<HTMLInputElement>('extra-sender').value.trim();
  const emails = extra ? [...picked, extra] : picked;
  if (!pendingKey) return renderWizard();
  if (emails.length === 0) {
    showProblem({ title: t('pickOne'), detail: '' });
    return;
  }
  const answer = await api('PUT', '/integrations/sendgrid', { ...pendingKey, emails });
  if (answer.status !== 200 && answer.status !== 201) {
    showProblem(answer.body);
    return;
  }
  pendingKey = undefined;
  $<HTMLInputElement>('extra-sender').value = '';
  say(t('saved'));
  renderCard(answer.body as unknown as Card);
}

async function onRotate(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const field = $<HTMLInputElement>('rotate-key');
  const apiKey = field.value.trim();
  field.value = '';
  const answer = await api('POST', '/integrations/sendgrid/rotate', { apiKey });
  if (answer.status !== 200) return showProblem(answer.body);
  say(t('rotatedOk'));
  renderCard(answer.body as unknown as Card);
}

async function onEdit(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const emails = $<HTMLTextAreaElement>('edit-emails')
    .value.split(/\s+/)
    .map((line) => line.trim())
    .filter(Boolean);
  const answer = await api('PUT', '/integrations/sendgrid/emails', { emails });
  if (answer.status !== 200) return showProblem(answer.body);
  say(t('sendersSaved'));
  renderCard(answer.body as unknown as Card);
}

async function onTest(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const from = $<HTMLSelectElement>('test-from').value;
  const answer = await api('POST', '/integrations/sendgrid/test', {
    to: $<HTMLInputElement>('test-to').value.trim(),
    ...(from ? { from } : {}),
    sandbox: $<HTMLInputElement>('test-sandbox').checked,
  });
  if (answer.status !== 200) return showProblem(answer.body);
  say(`${t('testSent')} (${String(answer.body.from)} → ${String(answer.body.to)})`);
  await loadMessages();
}

async function onDelete(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  if (!window.confirm(t('confirmDelete'))) return;
  const answer = await api('DELETE', '/integrations/sendgrid');
  if (answer.status !== 204) return showProblem(answer.body);
  say(t('deleted'));
  renderWizard();
}

async function loadMessages(): Promise<void> {
  const response = await fetch('/local/sandbox/messages');
  if (!response.ok) return;
  const { messages } = (await response.json()) as { messages: Array<{ sandboxMode: boolean; body: Json }> };
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
        const row = document.createElement('tr');
        const cells = [
          body.from?.email ?? '',
          (body.personalizations?.[0]?.to ?? []).map((entry) => entry.email).join(', '),
          body.subject ?? '',
          message.sandboxMode ? t('sandboxed') : t('delivered'),
        ];
        row.append(
          ...cells.map((value) => {
            const cell = document.createElement('td');
            cell.textContent = value;
            return cell;
          }),
        );
        return row;
      }),
  );
}

function bind(id: string, handler: (event: SubmitEvent) => Promise<void>): void {
  $(id).addEventListener('submit', (event) => {
    handler(event as SubmitEvent).catch((error: unknown) =>
      showProblem({ title: 'Error', detail: error instanceof Error ? error.message : String(error) }),
    );
  });
}

bind('verify-form', onVerify);
bind('senders-form', onSave);
bind('rotate-form', onRotate);
bind('edit-form', onEdit);
bind('test-form', onTest);
bind('delete-form', onDelete);
$('refresh-messages').addEventListener('click', () => void loadMessages());
$('language').addEventListener('change', () => {
  language = $<HTMLSelectElement>('language').value as keyof typeof STRINGS;
  applyLanguage();
  void loadIntegration();
});
$('tenant').addEventListener('change', () => {
  pendingKey = undefined;
  void loadIntegration();
});
$('context').addEventListener('submit', (event) => event.preventDefault());

applyLanguage();
void loadIntegration();
void loadMessages();
