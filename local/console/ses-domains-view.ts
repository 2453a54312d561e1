/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The "Amazon SES" part of the sending view: add a domain, publish the DNS records it shows,
 * watch each record and the domain turn found and verified, and switch the tenant's sending to
 * Amazon SES with senders at its verified domains. Statuses come from the API: the domain's is
 * Amazon SES's verdict, a record's is the API's own DNS look-up.
 */
import { type Answer, api, type ConsoleConfig, type Json, session } from './console-api.js';
import {
  $,
  announce,
  busy,
  button,
  chip,
  clearMessages,
  copyText,
  definitionList,
  element,
  focusBox,
  formatDate,
  hide,
  label,
  problemWords,
  registerPicker,
  show,
  showCommonProblem,
  showProblem,
  t,
  tieError,
} from './console-dom.js';
import type { TextKey } from './console-texts.js';
import { type SenderChoice, SenderPicker } from './sender-picker.js';

/** One DNS record the domain needs, with our own look-up's verdict. */
interface SesRecord {
  purpose: 'dkim' | 'mail_from_mx' | 'mail_from_spf' | 'dmarc';
  type: string;
  name: string;
  value: string;
  status: 'found' | 'missing' | 'wrong_value' | 'not_checked';
}

/** A domain as the API answers it. */
interface SesDomain {
  domain: string;
  region: string;
  status: 'pending' | 'verified' | 'failed' | 'temporary_failure';
  records: SesRecord[];
  createdAt: string;
  verifiedAt?: string;
  lastCheckedAt?: string;
}

/** What the view needs from the page around it. */
export interface SesDomainsHost {
  /** The integration card on screen, if the tenant has one. */
  card(): { provider: string; emails: string[] } | undefined;
  /** The API answered a new card (after "Switch to Amazon SES"). */
  cardChanged(answer: Answer): void;
}

const DOMAIN_TONE = { pending: 'wait', verified: 'ok', failed: 'bad', temporary_failure: 'bad' } as const;
const RECORD_TONE = { found: 'ok', missing: 'wait', wrong_value: 'bad', not_checked: 'none' } as const;

/** The parts of one domain's block that change; its message boxes stay across updates. */
interface DomainBlock {
  root: HTMLElement;
  title: HTMLElement;
  chip: HTMLElement;
  explanation: HTMLElement;
  facts: HTMLElement;
  table: HTMLTableElement;
  notice: HTMLElement;
  problem: HTMLElement;
  confirm: HTMLElement;
  publish: HTMLButtonElement | undefined;
}

/** The Amazon SES domains of the tenant, and the switch to sending through them. */
export class SesDomainsView {
  private domains: SesDomain[] = [];
  private readonly blocks = new Map<string, DomainBlock>();
  private serial = 0;
  private readonly picker = registerPicker(new SenderPicker($('ses-senders'), 'ses', () => session.language));
  /** The verified domains the sender choices were last offered for, so a re-render keeps the ticks. */
  private offeredFor = '';

  constructor(
    private readonly config: ConsoleConfig,
    private readonly host: SesDomainsHost,
  ) {
    const regions = config.sesRegions;
    $('ses-region-row').hidden = regions.length < 2;
    $<HTMLSelectElement>('ses-region').replaceChildren(...regions.map((region) => new Option(region, region)));
    const addForm = $<HTMLFormElement>('ses-add-form');
    addForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.add(addForm);
    });
    const switchForm = $<HTMLFormElement>('ses-switch-form');
    switchForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.activate(switchForm);
    });
  }

  /** Loads the tenant's domains (the page calls it when the tenant changes). */
  async load(): Promise<void> {
    const generation = session.generation;
    const answer = await api('GET', '/integrations/ses/domains');
    if (generation !== session.generation) return;
    for (const block of this.blocks.values()) block.root.remove();
    this.blocks.clear();
    this.domains = [];
    this.offeredFor = '';
    if (answer.status !== 200) {
      showProblem({ box: $('ses-problem') }, answer);
      return;
    }
    this.domains = (answer.body.domains as SesDomain[] | undefined) ?? [];
    this.renderAll();
  }

  /** Re-renders every text in the session's language. */
  applyLanguage(): void {
    for (const domain of this.domains) this.fill(domain);
    this.renderSwitch();
  }

  /** The card changed (or went away): offer the switch only to a tenant not on Amazon SES yet. */
  cardShown(): void {
    this.renderSwitch();
  }

  private renderAll(): void {
    for (const domain of this.domains) this.fill(domain);
    $('ses-none').hidden = this.domains.length > 0;
    this.renderSwitch();
  }

  /** Puts `domain` on screen (or updates its block) and remembers it. */
  private accept(domain: SesDomain): DomainBlock {
    const index = this.domains.findIndex((known) => known.domain === domain.domain);
    if (index >= 0) this.domains[index] = domain;
    else this.domains.push(domain);
    const block = this.fill(domain);
    $('ses-none').hidden = true;
    this.renderSwitch();
    return block;
  }

  private forget(name: string): void {
    this.domains = this.domains.filter((known) => known.domain !== name);
    this.blocks.get(name)?.root.remove();
    this.blocks.delete(name);
    $('ses-none').hidden = this.domains.length > 0;
    this.renderSwitch();
  }

  private fill(domain: SesDomain): DomainBlock {
    const block = this.blocks.get(domain.domain) ?? this.build(domain);
    block.title.textContent = domain.domain;
    const state = chip(label('sesStatus', domain.status, 'status_unknown'), DOMAIN_TONE[domain.status]);
    state.dataset.status = domain.status;
    block.chip.replaceWith(state);
    block.chip = state;
    block.explanation.textContent = label('sesExplain', domain.status, 'status_unknown');
    definitionList(block.facts, [
      ['sesRegion', domain.region, 'region'],
      ['sesAdded', formatDate(domain.createdAt), 'createdAt'],
      ['sesLastChecked', formatDate(domain.lastCheckedAt, 'sesNotYet'), 'lastCheckedAt'],
      ...(domain.verifiedAt
        ? ([['sesVerifiedAt', formatDate(domain.verifiedAt), 'verifiedAt']] as Array<[TextKey, string, string]>)
        : []),
    ]);
    this.fillRecords(block.table, domain);
    return block;
  }

  private build(domain: SesDomain): DomainBlock {
    this.serial += 1;
    const id = `ses-domain-${this.serial}`;
    const title = element('h3', domain.domain);
    title.id = `${id}-title`;
    title.tabIndex = -1;
    const state = chip('', 'none');
    const explanation = element('p', '', 'help');
    const facts = element('dl');
    const table = element('table', [], 'records');
    const notice = element('div', [], 'notice');
    notice.id = `${id}-notice`;
    notice.setAttribute('role', 'status');
    notice.tabIndex = -1;
    notice.hidden = true;
    const problem = element('div', [], 'problem');
    problem.id = `${id}-problem`;
    problem.setAttribute('role', 'alert');
    problem.tabIndex = -1;
    problem.hidden = true;
    const check = button(t('sesCheck'));
    check.dataset.i18n = 'sesCheck';
    check.dataset.busyI18n = 'sesChecking';
    const remove = button(t('sesRemove'), 'secondary');
    remove.dataset.i18n = 'sesRemove';
    const actions = element('div', [check], 'buttons');
    let publish: HTMLButtonElement | undefined;
    const extras: HTMLElement[] = [];
    if (this.config.localSesSandbox) {
      // Only the local runtime can publish records; in AWS the tenant does it at its DNS host.
      publish = button(t('sesPublishLocal'), 'secondary local-only');
      publish.dataset.i18n = 'sesPublishLocal';
      publish.dataset.busyI18n = 'sesPublishing';
      publish.setAttribute('aria-describedby', `${id}-local-hint`);
      actions.append(publish);
      const hint = element('p', t('sesPublishLocalHint'), 'hint');
      hint.id = `${id}-local-hint`;
      hint.dataset.i18n = 'sesPublishLocalHint';
      extras.push(hint);
    }
    actions.append(remove);
    const confirm = element('div', [], 'warning');
    confirm.hidden = true;
    const root = element(
      'article',
      [
        element('div', [title, state], 'ses-domain-head'),
        explanation,
        facts,
        table,
        actions,
        ...extras,
        confirm,
        notice,
        problem,
      ],
      'ses-domain',
    );
    root.id = id;
    root.setAttribute('aria-labelledby', title.id);
    $('ses-domains').append(root);
    const block: DomainBlock = {
      root,
      title,
      chip: state,
      explanation,
      facts,
      table,
      notice,
      problem,
      confirm,
      publish,
    };
    this.blocks.set(domain.domain, block);
    check.addEventListener('click', () => void this.check(domain.domain, block, check));
    publish?.addEventListener('click', () => void this.publish(domain.domain, block, publish));
    remove.addEventListener('click', () => this.askRemove(domain.domain, block));
    return block;
  }

  private fillRecords(table: HTMLTableElement, domain: SesDomain): void {
    const headings: TextKey[] = ['sesPurpose', 'sesType', 'sesName', 'sesValue', 'sesRecordStatus'];
    const caption = element('caption', t('sesRecordsCaption'));
    const head = element('thead', [
      element(
        'tr',
        headings.map((key) => withScope(element('th', t(key)))),
      ),
    ]);
    const dkimCount = domain.records.filter((record) => record.purpose === 'dkim').length;
    let dkim = 0;
    const rows = domain.records.map((record) => {
      if (record.purpose === 'dkim') dkim += 1;
      const purpose =
        record.purpose === 'dkim' && dkimCount > 1
          ? t('sesPurposeDkimN', { n: dkim, of: dkimCount })
          : label('sesPurpose', record.purpose, 'sesPurpose');
      const cells = [
        element('td', purpose),
        element('td', record.type),
        element('td', [this.copyable(record.name, t('sesCopyName', { purpose }))]),
        element('td', [this.copyable(record.value, t('sesCopyValue', { purpose }))]),
        element('td', [recordChip(record.status)]),
      ];
      cells.forEach((cell, index) => {
        cell.dataset.label = t(headings[index] ?? 'sesPurpose');
      });
      const row = element('tr', cells);
      row.dataset.purpose = record.purpose;
      return row;
    });
    table.replaceChildren(caption, head, element('tbody', rows));
  }

  private copyable(value: string, what: string): HTMLElement {
    const copy = button(t('copy'), 'secondary copy');
    copy.setAttribute('aria-label', what);
    copy.addEventListener('click', () => void copyText(value, what));
    return element('div', [element('code', value), copy], 'copyable');
  }

  /** The switch form for a tenant not on Amazon SES, with senders at its verified domains. */
  private renderSwitch(): void {
    const card = this.host.card();
    const verified = this.domains.filter((domain) => domain.status === 'verified').map((domain) => domain.domain);
    const onSes = card?.provider === 'ses';
    if (onSes) show($('ses-active'), () => [t('sesActive', { emails: card.emails.join(', ') })]);
    else hide($('ses-active'));
    const form = $('ses-switch-form');
    form.hidden = onSes || verified.length === 0;
    if (form.hidden) return;
    const offered = verified.join(' ');
    if (offered === this.offeredFor) {
      this.picker.refreshTexts();
      return;
    }
    this.offeredFor = offered;
    const choices: SenderChoice[] = verified.flatMap((domain) => [
      { email: `info@${domain}`, checked: true, note: 'source_suggested' as const },
      { email: `noreply@${domain}`, checked: true, note: 'source_suggested' as const },
    ]);
    this.picker.show(choices, verified);
  }

  private async add(form: HTMLFormElement): Promise<void> {
    clearMessages($('ses'));
    const field = $<HTMLInputElement>('ses-domain');
    const domain = field.value.trim();
    if (!domain) return tieError(field, () => [t('sesDomainRequired')]);
    const regionField = $<HTMLSelectElement>('ses-region');
    const region = this.config.sesRegions.length > 1 ? regionField.value : '';
    await busy(form, async (current) => {
      const answer = await api('POST', '/integrations/ses/domains', {
        body: { domain, ...(region ? { region } : {}) },
      });
      if (!current()) return;
      if (answer.status !== 200 && answer.status !== 201) {
        if (showCommonProblem($('ses-add-problem'), answer)) return;
        const target = { domain: field, region: regionField }[String(answer.body.field ?? '')];
        if (target && !target.closest('[hidden]')) return tieError(target, () => problemWords(answer.body));
        show($('ses-add-problem'), () => problemWords(answer.body));
        return focusBox($('ses-add-problem'));
      }
      field.value = '';
      const added = answer.body as unknown as SesDomain;
      const block = this.accept(added);
      const words: TextKey = answer.status === 201 ? 'sesAdded201' : 'sesAlreadyAdded';
      show(block.notice, () => [t(words, { domain: added.domain })]);
      block.title.focus();
    });
  }

  private async check(name: string, block: DomainBlock, pressed: HTMLButtonElement): Promise<void> {
    hide(block.notice);
    hide(block.problem);
    await busy(
      block.root,
      async (current) => {
        const answer = await api('POST', `/integrations/ses/domains/${encodeURIComponent(name)}/check`);
        if (!current()) return;
        if (answer.status !== 200) return this.domainProblem(name, block, answer);
        const checked = answer.body as unknown as SesDomain;
        this.accept(checked);
        const found = checked.records.filter((record) => record.status === 'found').length;
        announce(block.notice, () => [
          t('sesChecked', {
            domain: checked.domain,
            status: label('sesStatus', checked.status, 'status_unknown'),
            found,
            total: checked.records.length,
          }),
        ]);
      },
      pressed,
    );
  }

  private async publish(name: string, block: DomainBlock, pressed: HTMLButtonElement): Promise<void> {
    hide(block.notice);
    hide(block.problem);
    const domain = this.domains.find((known) => known.domain === name);
    await busy(
      block.root,
      async (current) => {
        // A local-only endpoint of the runtime: no tenant header, it only plays the DNS host.
        let answer: Answer;
        try {
          const response = await fetch('/local/ses/publish-records', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'accept-language': session.language },
            body: JSON.stringify({ domain: name, ...(domain ? { region: domain.region } : {}) }),
          });
          answer = { status: response.status, body: (await response.json().catch(() => ({}))) as Json, etag: null };
        } catch {
          answer = { status: 0, body: {}, etag: null };
        }
        if (!current()) return;
        if (answer.status !== 201) return this.domainProblem(name, block, answer);
        announce(block.notice, () => [t('sesPublished', { domain: name })]);
      },
      pressed,
    );
  }

  private askRemove(name: string, block: DomainBlock): void {
    hide(block.notice);
    hide(block.problem);
    const yes = button(t('sesRemoveConfirm'), 'danger');
    const no = button(t('cancel'), 'secondary');
    const choices = element('div', [yes, no], 'buttons');
    // The same buttons (and listeners) on every re-render; only their words follow the language.
    show(block.confirm, () => {
      yes.textContent = t('sesRemoveConfirm');
      no.textContent = t('cancel');
      return [element('p', t('sesRemoveQuestion', { domain: name })), choices];
    });
    no.addEventListener('click', () => {
      hide(block.confirm);
      block.root.querySelector<HTMLButtonElement>('[data-i18n="sesRemove"]')?.focus();
    });
    yes.addEventListener('click', () => void this.remove(name, block, yes));
    no.focus();
  }

  private async remove(name: string, block: DomainBlock, pressed: HTMLButtonElement): Promise<void> {
    await busy(
      block.root,
      async (current) => {
        const answer = await api('DELETE', `/integrations/ses/domains/${encodeURIComponent(name)}`);
        if (!current()) return;
        hide(block.confirm);
        if (answer.status !== 204) return this.domainProblem(name, block, answer);
        this.forget(name);
        announce($('ses-notice'), () => [t('sesRemoved', { domain: name })]);
      },
      pressed,
    );
  }

  /** A failed answer about one domain, in its block; a domain removed elsewhere leaves the list. */
  private domainProblem(name: string, block: DomainBlock, answer: Answer): void {
    if (answer.body.code === 'domain_not_found') {
      this.forget(name);
      announce($('ses-notice'), () => [t('sesGone', { domain: name })]);
      return;
    }
    if (showCommonProblem(block.problem, answer)) return;
    show(block.problem, () => problemWords(answer.body));
    focusBox(block.problem);
  }

  private async activate(form: HTMLFormElement): Promise<void> {
    clearMessages(form);
    if (!this.picker.readyToSave()) return;
    const emails = this.picker.selected();
    await busy(form, async (current) => {
      const answer = await api('POST', '/integrations/ses/activate', { body: { emails } });
      if (!current()) return;
      if (answer.status !== 200) {
        if (answer.body.code === 'sender_not_authenticated') {
          const offenders = (answer.body.emails as string[] | undefined) ?? [];
          return this.picker.showError(() => problemWords(answer.body), offenders);
        }
        return showProblem({ box: $('ses-switch-problem'), picker: this.picker, sentEmails: emails }, answer);
      }
      this.host.cardChanged(answer);
      announce($('card-notice'), () => [t('sesSwitched', { emails: emails.join(', ') })]);
    });
  }
}

function withScope(cell: HTMLTableCellElement): HTMLTableCellElement {
  cell.scope = 'col';
  return cell;
}

function recordChip(status: SesRecord['status']): HTMLElement {
  const node = chip(label('sesRecord', status, 'status_unknown'), RECORD_TONE[status]);
  node.dataset.status = status;
  return node;
}
