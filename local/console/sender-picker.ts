/// <reference lib="dom" />
import { type Language, type TextKey, text } from './console-texts.js';

/** One address the picker offers. */
export interface SenderChoice {
  email: string;
  checked: boolean;
  /** A short note after the address (e.g. "suggested"), as a text key. */
  note?: TextKey;
}

const EMAIL_PATTERN = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;
const localPart = (email: string) => email.slice(0, email.lastIndexOf('@')).toLowerCase();
const domainOf = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();

/** Whether a set of senders can send customer mail (it needs one that is not noreply@). */
export function canSendCustomerMail(emails: readonly string[]): boolean {
  return emails.some((email) => localPart(email) !== 'noreply');
}

/** The address customer mail goes from without an explicit `from` (the server's rule). */
export function defaultCustomerSender(emails: readonly string[]): string | undefined {
  return emails.find((email) => localPart(email) === 'info') ?? emails.find((email) => localPart(email) !== 'noreply');
}

/**
 * The sender checkboxes of step 2 and of "Edit senders": offered addresses, "add address",
 * a warning before a set that cannot send customer mail (saving it needs an explicit tick),
 * and errors tied to the fieldset and to the offending boxes.
 */
export class SenderPicker {
  private choices: SenderChoice[] = [];
  private allowedDomains: string[] | undefined;
  private readonly fieldset = document.createElement('fieldset');
  private readonly legend = document.createElement('legend');
  private readonly options = document.createElement('div');
  private readonly addLabel = document.createElement('label');
  private readonly addInput = document.createElement('input');
  private readonly addButton = document.createElement('button');
  private readonly addError = document.createElement('p');
  private readonly announce = document.createElement('p');
  private readonly warning = document.createElement('div');
  private readonly confirmBox = document.createElement('input');
  private readonly error = document.createElement('div');
  private errorRender: (() => Array<Node | string>) | undefined;
  private addErrorRender: (() => string) | undefined;
  private announceRender: (() => string) | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly id: string,
    private readonly language: () => Language,
  ) {
    this.options.className = 'options';
    this.error.id = `${id}-error`;
    this.error.className = 'field-error';
    this.error.hidden = true;
    this.warning.id = `${id}-warning`;
    this.warning.className = 'warning';
    this.warning.hidden = true;
    this.fieldset.setAttribute('aria-describedby', `${this.warning.id} ${this.error.id}`);
    this.fieldset.append(this.legend, this.options);
    this.addInput.id = `${id}-add`;
    this.addInput.type = 'email';
    this.addInput.autocomplete = 'off';
    this.addInput.spellcheck = false;
    this.addError.id = `${id}-add-error`;
    this.addError.className = 'field-error';
    this.addError.hidden = true;
    this.addLabel.htmlFor = this.addInput.id;
    this.addButton.type = 'button';
    this.addButton.className = 'secondary';
    this.announce.className = 'visually-hidden';
    this.announce.setAttribute('role', 'status');
    this.confirmBox.type = 'checkbox';
    this.confirmBox.id = `${id}-confirm`;
    const addRow = document.createElement('div');
    addRow.className = 'add-row';
    addRow.append(this.addInput, this.addButton);
    root.replaceChildren(this.fieldset, this.addLabel, addRow, this.addError, this.announce, this.warning, this.error);
    this.addButton.addEventListener('click', () => this.addTyped());
    this.addInput.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter') return;
      event.preventDefault();
      this.addTyped();
    });
    this.options.addEventListener('change', () => {
      this.syncChecked();
      this.clearErrors();
      this.renderWarning();
    });
    this.confirmBox.addEventListener('change', () => this.clearErrors());
  }

  /** Shows a new set of choices; `allowedDomains` restricts "add address" when known. */
  show(choices: SenderChoice[], allowedDomains?: string[]): void {
    this.choices = choices.map((choice) => ({ ...choice, email: choice.email.toLowerCase() }));
    this.allowedDomains = allowedDomains?.map((domain) => domain.toLowerCase());
    this.addInput.value = '';
    this.confirmBox.checked = false;
    this.clearErrors();
    this.setAddError(undefined);
    this.announceRender = undefined;
    this.announce.textContent = '';
    this.refreshTexts();
  }

  /** Whether the picker sits inside `scope`. */
  sitsIn(scope: ParentNode): boolean {
    return scope.contains(this.root);
  }

  /** The ticked addresses, in the order shown. */
  selected(): string[] {
    return this.choices.filter((choice) => choice.checked).map((choice) => choice.email);
  }

  /** Re-renders every text in the current language, keeping what is ticked. */
  refreshTexts(): void {
    const t = (key: TextKey, values?: Record<string, string>) => text(this.language(), key, values);
    this.legend.textContent = t('offered');
    this.addLabel.textContent = t('addAddressLabel');
    this.addButton.textContent = t('addAddress');
    this.options.replaceChildren(
      ...this.choices.map((choice, index) => {
        const label = document.createElement('label');
        label.className = 'check';
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.name = `${this.id}-sender`;
        box.value = choice.email;
        box.id = `${this.id}-sender-${index}`;
        box.checked = choice.checked;
        const words = document.createElement('span');
        const address = document.createElement('span');
        address.className = 'address';
        address.textContent = choice.email;
        words.append(address);
        if (choice.note) {
          const note = document.createElement('span');
          note.className = 'hint';
          note.textContent = ` (${t(choice.note)})`;
          words.append(note);
        }
        label.append(box, words);
        return label;
      }),
    );
    if (this.errorRender) this.error.replaceChildren(...this.errorRender());
    if (this.addErrorRender) this.addError.textContent = this.addErrorRender();
    if (this.announceRender) this.announce.textContent = this.announceRender();
    this.renderWarning();
  }

  /**
   * Checks the set before saving: at least one address, and an explicit tick when it cannot
   * send customer mail. Shows the problem at the fieldset and answers false when not ready.
   */
  readyToSave(): boolean {
    this.clearErrors();
    const emails = this.selected();
    if (emails.length === 0) {
      this.showError(() => [text(this.language(), 'pickOne')]);
      return false;
    }
    if (!canSendCustomerMail(emails) && !this.confirmBox.checked) {
      this.showError(() => [text(this.language(), 'confirmRequired')]);
      this.confirmBox.setAttribute('aria-invalid', 'true');
      this.confirmBox.setAttribute('aria-describedby', this.error.id);
      this.confirmBox.focus();
      return false;
    }
    return true;
  }

  /** Shows a problem with the set at the fieldset, marking the named addresses' boxes. */
  showError(render: () => Array<Node | string>, offenders: readonly string[] = []): void {
    this.errorRender = render;
    this.error.replaceChildren(...render());
    this.error.hidden = false;
    this.fieldset.setAttribute('aria-invalid', 'true');
    const wanted = new Set(offenders.map((email) => email.toLowerCase()));
    const boxes = [...this.options.querySelectorAll<HTMLInputElement>('input[type="checkbox"]')];
    for (const box of boxes) {
      if (!wanted.has(box.value)) continue;
      box.setAttribute('aria-invalid', 'true');
      box.setAttribute('aria-describedby', this.error.id);
    }
    const first = boxes.find((box) => wanted.has(box.value)) ?? boxes.find((box) => box.checked) ?? boxes[0];
    first?.focus();
  }

  /** Hides the set's error and un-marks every box. */
  clearErrors(): void {
    this.errorRender = undefined;
    this.error.hidden = true;
    this.error.replaceChildren();
    this.fieldset.removeAttribute('aria-invalid');
    for (const element of this.root.querySelectorAll('[aria-invalid]')) {
      if (element === this.addInput) continue;
      element.removeAttribute('aria-invalid');
      if (element !== this.confirmBox) element.removeAttribute('aria-describedby');
    }
    this.confirmBox.removeAttribute('aria-describedby');
  }

  /** Whether `email` is one of the choices. */
  has(email: string): boolean {
    return this.choices.some((choice) => choice.email === email.toLowerCase());
  }

  private syncChecked(): void {
    const checked = new Set(
      [...this.options.querySelectorAll<HTMLInputElement>('input[type="checkbox"]:checked')].map((box) => box.value),
    );
    for (const choice of this.choices) choice.checked = checked.has(choice.email);
  }

  private addTyped(): void {
    const email = this.addInput.value.trim().toLowerCase();
    if (!EMAIL_PATTERN.test(email)) {
      this.setAddError(() => text(this.language(), 'addressInvalid'));
      return;
    }
    if (this.has(email)) {
      this.setAddError(() => text(this.language(), 'addressTwice', { email }));
      return;
    }
    const domains = this.allowedDomains;
    if (domains && !domains.includes(domainOf(email))) {
      this.setAddError(() =>
        text(this.language(), 'addressWrongDomain', {
          email,
          domains: domains.join(', ') || text(this.language(), 'noDomains'),
        }),
      );
      return;
    }
    this.setAddError(undefined);
    this.syncChecked();
    this.choices.push({ email, checked: true });
    this.addInput.value = '';
    this.clearErrors();
    this.refreshTexts();
    this.announceRender = () => text(this.language(), 'addressAdded', { email });
    this.announce.textContent = this.announceRender();
    this.addInput.focus();
  }

  private setAddError(render: (() => string) | undefined): void {
    this.addErrorRender = render;
    if (!render) {
      this.addError.hidden = true;
      this.addInput.removeAttribute('aria-invalid');
      this.addInput.removeAttribute('aria-describedby');
      return;
    }
    this.addError.textContent = render();
    this.addError.hidden = false;
    this.addInput.setAttribute('aria-invalid', 'true');
    this.addInput.setAttribute('aria-describedby', this.addError.id);
    this.addInput.focus();
  }

  private renderWarning(): void {
    const emails = this.selected();
    const t = (key: TextKey) => text(this.language(), key);
    const notes: HTMLElement[] = [];
    if (emails.length > 0 && !canSendCustomerMail(emails)) {
      const note = document.createElement('p');
      note.textContent = t('warnNoCustomer');
      const confirm = document.createElement('label');
      confirm.className = 'check';
      const label = document.createElement('span');
      label.textContent = t('confirmNoCustomer');
      confirm.append(this.confirmBox, label);
      notes.push(note, confirm);
    } else {
      this.confirmBox.checked = false;
    }
    if (emails.length > 0 && !emails.some((email) => localPart(email) === 'noreply')) {
      const note = document.createElement('p');
      note.textContent = t('warnNoInternal');
      notes.push(note);
    }
    this.warning.replaceChildren(...notes);
    this.warning.hidden = notes.length === 0;
  }
}
