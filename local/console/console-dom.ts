/// <reference lib="dom" />
/**
 * What every view of the console shares on screen: building elements, messages that follow the
 * language, errors tied to their fields, problem answers shown where they belong, and the busy
 * state that makes a double-click do nothing.
 */
import { type Answer, type Json, session } from './console-api.js';
import { isTextKey, SENDGRID_LINKS, type TextKey, text } from './console-texts.js';
import type { SenderPicker } from './sender-picker.js';

/** Problem codes about the pasted key itself: shown at the key field. */
export const KEY_PROBLEMS = new Set([
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

/** The element with this id. */
export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

/** A text of the page in the session's language. */
export const t = (key: TextKey, values?: Record<string, string | number>) => text(session.language, key, values);

/** Messages on screen, re-rendered when the language changes. */
const liveMessages = new Map<HTMLElement, () => Array<Node | string>>();
/** Sender pickers, whose errors are cleared with the messages of the part they sit in. */
const pickers: SenderPicker[] = [];
/** What "Reload" does (the integration view sets it). */
let reloadAction: () => void = () => window.location.reload();

/** Registers a sender picker, so clearing a part's messages clears its errors too. */
export function registerPicker(picker: SenderPicker): SenderPicker {
  pickers.push(picker);
  return picker;
}

/** Sets what the "Reload" button of a "changed elsewhere" message does. */
export function onReload(action: () => void): void {
  reloadAction = action;
}

/** Re-renders every message on screen in the session's language. */
export function refreshMessages(): void {
  for (const [box, render] of liveMessages) box.replaceChildren(...render());
  for (const picker of pickers) picker.refreshTexts();
}

/** Shows a message in `box`, re-rendered when the language changes. */
export function show(box: HTMLElement, render: () => Array<Node | string>): void {
  liveMessages.set(box, render);
  box.replaceChildren(...render());
  box.hidden = false;
}

/** Hides and forgets the message in `box`. */
export function hide(box: HTMLElement): void {
  liveMessages.delete(box);
  box.replaceChildren();
  box.hidden = true;
}

/** Shows a success message and moves focus to it. */
export function announce(box: HTMLElement, render: () => Array<Node | string>): void {
  show(box, render);
  box.focus();
}

/** Hides every message, field error and invalid mark inside `scope`. */
export function clearMessages(scope: ParentNode): void {
  for (const box of scope.querySelectorAll<HTMLElement>('.notice, .problem, .field-error')) hide(box);
  for (const field of scope.querySelectorAll<HTMLElement>('input, select, textarea')) untieError(field);
  for (const picker of pickers) if (picker.sitsIn(scope)) picker.clearErrors();
}

/** An element with text or children, and optionally a class. */
export function element<K extends keyof HTMLElementTagNameMap>(
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

/** A button that does not submit its form. */
export function button(label: string, className?: string): HTMLButtonElement {
  const node = element('button', label, className);
  node.type = 'button';
  return node;
}

/** A link that opens in a new tab. */
export function link(href: string, label: string): HTMLAnchorElement {
  const anchor = element('a', label);
  anchor.href = href;
  anchor.target = '_blank';
  anchor.rel = 'noopener noreferrer';
  return anchor;
}

/** A status chip: the words for a server value, coloured by how good it is. */
export function chip(words: string, tone: 'ok' | 'wait' | 'bad' | 'none'): HTMLSpanElement {
  return element('span', words, `chip chip-${tone}`);
}

function reloadButton(): HTMLButtonElement {
  const node = button(t('reload'), 'secondary');
  node.addEventListener('click', () => reloadAction());
  return node;
}

/** Ties an error message to its field: aria-invalid, aria-describedby, focus. */
export function tieError(field: HTMLElement, render: () => Array<Node | string>): void {
  const box = $(`${field.id}-error`);
  show(box, render);
  field.dataset.describedby ??= field.getAttribute('aria-describedby') ?? '';
  field.setAttribute('aria-invalid', 'true');
  field.setAttribute('aria-describedby', `${field.dataset.describedby} ${box.id}`.trim());
  field.focus();
}

/** Takes a field's error mark off again. */
export function untieError(field: HTMLElement): void {
  if (field.getAttribute('aria-invalid') !== 'true' || field.dataset.describedby === undefined) return;
  field.removeAttribute('aria-invalid');
  if (field.dataset.describedby) field.setAttribute('aria-describedby', field.dataset.describedby);
  else field.removeAttribute('aria-describedby');
}

/** Where a problem answer is shown. */
export interface ProblemTarget {
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

/** A problem's title and detail: the server's words, already in the request's language. */
export function problemWords(problem: Json): Array<Node | string> {
  const parts: Array<Node | string> = [element('strong', String(problem.title ?? ''))];
  if (problem.detail) parts.push(element('p', String(problem.detail)));
  return parts;
}

/** The server's own words, plus the SendGrid fixes a key problem lists. */
export function serverWords(problem: Json): Array<Node | string> {
  const parts = problemWords(problem);
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

/** Shows a hidden box and moves focus to it. */
export function focusBox(box: HTMLElement): void {
  box.hidden = false;
  box.focus();
}

/**
 * The answers every view shows the same way: no answer, "changed elsewhere", our own failure.
 * Returns whether it showed one.
 */
export function showCommonProblem(box: HTMLElement, answer: Answer, gone: TextKey = 'goneElsewhere'): boolean {
  const code = String(answer.body.code ?? '');
  if (answer.status === 0) {
    show(box, () => [t('networkProblem')]);
  } else if (STALE_PROBLEMS.has(code) || code === 'not_found') {
    const words = code === 'not_found' ? gone : 'changedElsewhere';
    show(box, () => [element('p', t(words)), reloadButton()]);
  } else if (code === 'internal_error' || (answer.status >= 500 && code !== 'upstream_unavailable') || !code) {
    show(box, () => [t('serverProblem')]);
  } else {
    return false;
  }
  focusBox(box);
  return true;
}

/** Shows a failed answer where it belongs: at its field, at the sender list, or for the form. */
export function showProblem(target: ProblemTarget, answer: Answer): void {
  const problem = answer.body;
  const code = String(problem.code ?? '');
  if (showCommonProblem(target.box, answer)) return;
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
 * left meanwhile are dropped. The progress words go to the page's polite live region.
 */
export async function busy(
  form: HTMLElement,
  action: (current: () => boolean) => Promise<void>,
  pressed?: HTMLButtonElement,
): Promise<void> {
  if (form.getAttribute('aria-busy') === 'true') return;
  form.setAttribute('aria-busy', 'true');
  const buttons = [...form.querySelectorAll<HTMLButtonElement>('button')];
  const submit = pressed ?? buttons.find((candidate) => candidate.type === 'submit' && candidate.dataset.busyI18n);
  for (const candidate of buttons) candidate.disabled = true;
  const label = submit?.dataset.i18n;
  if (submit?.dataset.busyI18n && isTextKey(submit.dataset.busyI18n)) {
    submit.dataset.i18n = submit.dataset.busyI18n;
    submit.textContent = t(submit.dataset.busyI18n);
    $('progress').textContent = t(submit.dataset.busyI18n);
  }
  const generation = session.generation;
  try {
    await action(() => generation === session.generation);
  } finally {
    for (const candidate of buttons) candidate.disabled = false;
    if (submit && label && isTextKey(label)) {
      submit.dataset.i18n = label;
      submit.textContent = t(label);
    }
    $('progress').textContent = '';
    form.setAttribute('aria-busy', 'false');
  }
}

/** The words for a server value (`<prefix>_<value>`), or the fallback's when there are none. */
export function label(prefix: string, value: string, fallback: TextKey): string {
  const key = `${prefix}_${value}`;
  return isTextKey(key) ? t(key) : t(fallback);
}

/** A time as a person reads it, in the session's language; "never" when there is none. */
export function formatDate(value: string | null | undefined, none: TextKey = 'never'): string {
  return value ? new Date(value).toLocaleString(session.language === 'de' ? 'de-DE' : 'en-GB') : t(none);
}

/** Fills a `<dl>` with term/value rows; each value carries `data-field` for tests and styles. */
export function definitionList(list: HTMLElement, rows: Array<[TextKey, string | Node, string]>): void {
  list.replaceChildren(
    ...rows.flatMap(([term, value, field]) => {
      const description = element('dd', typeof value === 'string' ? value : [value]);
      description.dataset.field = field;
      return [element('dt', t(term)), description];
    }),
  );
}

/** Copies `value` to the clipboard; says so (or that it could not) in the page's live region. */
export async function copyText(value: string, what: string): Promise<void> {
  let copied = false;
  try {
    await navigator.clipboard.writeText(value);
    copied = true;
  } catch {
    copied = false;
  }
  const region = $('progress');
  region.textContent = t(copied ? 'copied' : 'copyFailed', { what });
}
