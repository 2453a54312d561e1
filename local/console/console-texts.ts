/**
 * Every text of the console page, in English and German. Server problems arrive with their
 * own title and detail; the page adds only what it knows itself (labels, next steps, field
 * hints). No internal code (`active`, `global`, `emails.0`, a route) is ever shown as is.
 */

/** The languages the page speaks. */
export type Language = 'en' | 'de';

/** Deep links into SendGrid's settings (no menu paths to follow by hand). */
export const SENDGRID_LINKS = {
  apiKeys: 'https://app.sendgrid.com/settings/api_keys',
  senderAuthentication: 'https://app.sendgrid.com/settings/sender_auth',
} as const;

const en = {
  settings: 'Settings',
  integrations: 'Integrations',
  tenant: 'Tenant',
  language: 'Language',
  localNote: 'Local reference console: the tenant field stands in for the sign-in.',
  loading: 'Loading…',
  connectTitle: 'Connect SendGrid',
  stepKey: 'API key',
  stepSenders: 'Sender addresses',
  step1: 'Step 1 — paste the API key',
  step1Help:
    'In SendGrid, create a key with “Restricted Access”: Mail Send → Full Access and Sender Authentication → Read Access. Everything else stays “No Access”.',
  openApiKeys: 'Open SendGrid’s API Keys page',
  openSenderAuth: 'Open SendGrid’s Sender Authentication page',
  apiKey: 'SendGrid API key',
  keyRequired: 'Paste the API key from SendGrid here.',
  show: 'Show',
  hide: 'Hide',
  region: 'Region',
  regionAuto: 'Detect automatically',
  region_global: 'Global',
  region_eu: 'EU (data stays in the EU)',
  verify: 'Verify',
  verifying: 'Verifying…',
  step2: 'Step 2 — pick the sender addresses',
  verifiedOk: 'Key verified. This is what we found in your SendGrid account:',
  apiKeyId: 'API Key ID',
  domains: 'Domains in this account',
  domainValid: 'authenticated',
  domainInvalid: 'not verified yet: cannot send',
  noDomains: 'none',
  offered: 'Send from these addresses',
  source_verified_sender: 'verified single sender',
  source_suggested: 'suggested',
  addAddress: 'Add address',
  addAddressLabel: 'Another address at an authenticated domain',
  addressAdded: 'Added {email}.',
  addressInvalid: 'Enter a plain email address like sales@example.com.',
  addressWrongDomain: '{email} is not at an authenticated domain ({domains}).',
  addressTwice: '{email} is already in the list.',
  back: 'Back',
  save: 'Save',
  saving: 'Saving…',
  pickOne: 'Pick at least one sender address.',
  warnNoCustomer:
    'Customer mail cannot be sent with these addresses: it needs one that is not noreply@ (info@ is used first).',
  warnNoInternal: 'Mail to your own staff cannot be sent with these addresses: it goes only from a noreply@ address.',
  confirmNoCustomer: 'Save anyway: automations will not be able to send customer mail',
  confirmRequired: 'Tick “Save anyway” or pick an address that can send customer mail.',
  saved: 'Saved. The key is stored encrypted; automations send through it from now on.',
  configuredEmails: 'Configured email addresses',
  provider: 'Sends through',
  provider_sendgrid: 'SendGrid',
  provider_ses: 'Amazon SES (moved by an operator)',
  status: 'Status',
  created: 'Connected',
  rotated: 'Key last rotated',
  lastVerified: 'Last checked',
  never: 'never',
  status_active: 'Working',
  status_key_rejected: 'Not sending: SendGrid rejects the key',
  status_scopes_changed: 'At risk: the key’s permissions changed',
  status_sender_unauthenticated: 'At risk: a sender’s domain is no longer authenticated',
  status_sender_rejected: 'Not sending from a sender: SendGrid refused it',
  status_unknown: 'Needs attention',
  emergency_key_rejected: 'Mail is not being sent: rotate the key',
  emergencyStep_key_rejected:
    'SendGrid no longer accepts the stored key (it was deleted or revoked there). Create a new key on SendGrid’s API Keys page and paste it under “Rotate the key”.',
  emergency_scopes_changed: 'Mail may stop: rotate the key',
  emergencyStep_scopes_changed:
    'Someone changed the key’s permissions in SendGrid. Create a new key with Mail Send → Full Access and Sender Authentication → Read Access and paste it under “Rotate the key”.',
  emergency_sender_unauthenticated: 'Mail from some senders may not arrive: authenticate the domain again',
  emergencyStep_sender_unauthenticated:
    'A registered sender’s domain is no longer authenticated in SendGrid. Fix it on SendGrid’s Sender Authentication page, or remove the address under “Edit senders”.',
  emergency_sender_rejected: 'Mail from a sender is not being sent: check the sender',
  emergencyStep_sender_rejected:
    'SendGrid refused to send from a registered address. Check it on SendGrid’s Sender Authentication page, or remove it under “Edit senders”.',
  emergency_unknown: 'The integration needs attention',
  emergencyStep_unknown: 'Check the key and the senders, then rotate the key if SendGrid no longer accepts it.',
  goRotate: 'Rotate the key',
  goEdit: 'Edit senders',
  technicalDetails: 'What SendGrid said (English)',
  rotateTitle: 'Rotate the key',
  rotateHelp:
    'Paste a new key of the same SendGrid account; the senders carry over. Then delete the old key in SendGrid.',
  newKey: 'New API key',
  rotate: 'Rotate key',
  rotating: 'Rotating…',
  rotatedOk: 'Key rotated: now using API Key ID {keyId}. The senders carried over. Delete the old key in SendGrid.',
  editSenders: 'Edit senders',
  saveSenders: 'Save senders',
  sendersSaved: 'Senders saved: {emails}.',
  testSend: 'Send a test email',
  testTo: 'To',
  testFrom: 'From',
  defaultFrom: 'Default sender ({email})',
  testMode: 'How',
  modeSandbox: 'Check only: SendGrid validates the message and delivers nothing',
  modeDeliver: 'Really deliver it to the address above',
  sendTest: 'Send test email',
  sending: 'Sending…',
  testChecked:
    'Sandbox check passed: SendGrid accepted the message from {from} to {to} as valid. Nothing was delivered; no email will arrive.',
  testDelivered:
    'Sent for real: SendGrid accepted the message from {from} for delivery to {to}. It should arrive within a few minutes.',
  toRequired: 'Enter the address the test email goes to.',
  toInvalid: 'Enter a plain email address like you@example.com.',
  deleteTitle: 'Delete the integration',
  deleteHelp: 'Removes the stored key and the sender addresses. Automations stop sending email.',
  deleteOpen: 'Delete integration…',
  deleteDialogTitle: 'Delete the SendGrid integration?',
  deleteLoses: 'This is lost for tenant {tenant}:',
  deleteLoseKey: 'the stored API key (API Key ID {keyId}); we keep no other copy',
  deleteLoseSenders: 'the registered sender addresses: {emails}',
  deleteLoseMail: 'every automated email: nothing is sent until a key is connected again',
  deleteRevoke:
    'The key itself still works in SendGrid until you delete it there: on SendGrid’s API Keys page, delete the key with API Key ID {keyId}.',
  cancel: 'Cancel',
  deleteConfirm: 'Delete',
  deleting: 'Deleting…',
  deleted: 'Integration deleted. Remember to delete the key (API Key ID {keyId}) in SendGrid.',
  sandboxMessages: 'Mail the local SendGrid sandbox accepted',
  refresh: 'Refresh',
  noMessages: 'None yet.',
  mailChecked: 'checked only',
  mailDelivered: 'delivered',
  toFix: 'To fix it, on SendGrid’s API Keys page edit the key:',
  setAccess: 'Set',
  switchOff: 'Switch off',
  fieldInvalid: 'This value is not valid: {message}',
  emailInvalidAt: '{email} is not a valid email address.',
  notAuthenticated: 'Not at an authenticated domain of this key: {emails}.',
  authenticatedAre: 'Authenticated domains: {domains}.',
  goneElsewhere: 'This integration no longer exists: it was deleted, perhaps in another window.',
  changedElsewhere:
    'The integration was changed in another window. Reload to see the current state before you change it.',
  reload: 'Reload',
  networkProblem: 'The service did not answer. Check your connection and try again; nothing was lost.',
  serverProblem: 'Something went wrong on our side. Try again in a moment.',
  tryAgainLater: 'Try again in {seconds} seconds.',
};

/** A text's key. */
export type TextKey = keyof typeof en;

const de: Record<TextKey, string> = {
  settings: 'Einstellungen',
  integrations: 'Integrationen',
  tenant: 'Mandant',
  language: 'Sprache',
  localNote: 'Lokale Referenzkonsole: das Mandantenfeld ersetzt die Anmeldung.',
  loading: 'Wird geladen…',
  connectTitle: 'SendGrid verbinden',
  stepKey: 'API-Schlüssel',
  stepSenders: 'Absenderadressen',
  step1: 'Schritt 1 — API-Schlüssel einfügen',
  step1Help:
    'Legen Sie in SendGrid einen Schlüssel mit „Restricted Access“ an: Mail Send → Full Access und Sender Authentication → Read Access. Alles andere bleibt „No Access“.',
  openApiKeys: 'SendGrids Seite „API Keys“ öffnen',
  openSenderAuth: 'SendGrids Seite „Sender Authentication“ öffnen',
  apiKey: 'SendGrid-API-Schlüssel',
  keyRequired: 'Fügen Sie hier den API-Schlüssel aus SendGrid ein.',
  show: 'Anzeigen',
  hide: 'Verbergen',
  region: 'Region',
  regionAuto: 'Automatisch erkennen',
  region_global: 'Global',
  region_eu: 'EU (Daten bleiben in der EU)',
  verify: 'Prüfen',
  verifying: 'Wird geprüft…',
  step2: 'Schritt 2 — Absenderadressen wählen',
  verifiedOk: 'Schlüssel geprüft. Das haben wir in Ihrem SendGrid-Konto gefunden:',
  apiKeyId: 'API Key ID',
  domains: 'Domains in diesem Konto',
  domainValid: 'authentifiziert',
  domainInvalid: 'noch nicht verifiziert: kann nicht senden',
  noDomains: 'keine',
  offered: 'Von diesen Adressen senden',
  source_verified_sender: 'verifizierter Einzelabsender',
  source_suggested: 'vorgeschlagen',
  addAddress: 'Adresse hinzufügen',
  addAddressLabel: 'Weitere Adresse an einer authentifizierten Domain',
  addressAdded: '{email} hinzugefügt.',
  addressInvalid: 'Geben Sie eine einfache E-Mail-Adresse ein, etwa vertrieb@example.com.',
  addressWrongDomain: '{email} liegt an keiner authentifizierten Domain ({domains}).',
  addressTwice: '{email} steht schon in der Liste.',
  back: 'Zurück',
  save: 'Speichern',
  saving: 'Wird gespeichert…',
  pickOne: 'Wählen Sie mindestens eine Absenderadresse.',
  warnNoCustomer:
    'Mit diesen Adressen können keine E-Mails an Kunden gesendet werden: dafür braucht es eine Adresse, die nicht noreply@ ist (info@ wird zuerst genommen).',
  warnNoInternal:
    'Mit diesen Adressen können keine E-Mails an Ihre Mitarbeitenden gesendet werden: sie gehen nur von einer noreply@-Adresse.',
  confirmNoCustomer: 'Trotzdem speichern: Automationen können dann keine E-Mails an Kunden senden',
  confirmRequired: 'Setzen Sie „Trotzdem speichern“ oder wählen Sie eine Adresse, die an Kunden senden kann.',
  saved: 'Gespeichert. Der Schlüssel liegt verschlüsselt vor; Automationen senden ab jetzt darüber.',
  configuredEmails: 'Konfigurierte E-Mail-Adressen',
  provider: 'Sendet über',
  provider_sendgrid: 'SendGrid',
  provider_ses: 'Amazon SES (vom Betrieb umgestellt)',
  status: 'Status',
  created: 'Verbunden',
  rotated: 'Schlüssel zuletzt rotiert',
  lastVerified: 'Zuletzt geprüft',
  never: 'nie',
  status_active: 'Funktioniert',
  status_key_rejected: 'Sendet nicht: SendGrid lehnt den Schlüssel ab',
  status_scopes_changed: 'Gefährdet: die Berechtigungen des Schlüssels wurden geändert',
  status_sender_unauthenticated: 'Gefährdet: die Domain eines Absenders ist nicht mehr authentifiziert',
  status_sender_rejected: 'Sendet von einem Absender nicht: SendGrid hat ihn abgelehnt',
  status_unknown: 'Braucht Aufmerksamkeit',
  emergency_key_rejected: 'Es werden keine E-Mails gesendet: rotieren Sie den Schlüssel',
  emergencyStep_key_rejected:
    'SendGrid akzeptiert den gespeicherten Schlüssel nicht mehr (er wurde dort gelöscht oder widerrufen). Legen Sie auf SendGrids Seite „API Keys“ einen neuen Schlüssel an und fügen Sie ihn unter „Schlüssel rotieren“ ein.',
  emergency_scopes_changed: 'Das Senden kann ausfallen: rotieren Sie den Schlüssel',
  emergencyStep_scopes_changed:
    'Jemand hat die Berechtigungen des Schlüssels in SendGrid geändert. Legen Sie einen neuen Schlüssel mit Mail Send → Full Access und Sender Authentication → Read Access an und fügen Sie ihn unter „Schlüssel rotieren“ ein.',
  emergency_sender_unauthenticated:
    'E-Mails einiger Absender kommen eventuell nicht an: authentifizieren Sie die Domain erneut',
  emergencyStep_sender_unauthenticated:
    'Die Domain eines registrierten Absenders ist in SendGrid nicht mehr authentifiziert. Beheben Sie das auf SendGrids Seite „Sender Authentication“ oder entfernen Sie die Adresse unter „Absender bearbeiten“.',
  emergency_sender_rejected: 'Von einem Absender werden keine E-Mails gesendet: prüfen Sie den Absender',
  emergencyStep_sender_rejected:
    'SendGrid hat das Senden von einer registrierten Adresse abgelehnt. Prüfen Sie sie auf SendGrids Seite „Sender Authentication“ oder entfernen Sie sie unter „Absender bearbeiten“.',
  emergency_unknown: 'Die Integration braucht Aufmerksamkeit',
  emergencyStep_unknown:
    'Prüfen Sie Schlüssel und Absender und rotieren Sie den Schlüssel, falls SendGrid ihn nicht mehr akzeptiert.',
  goRotate: 'Schlüssel rotieren',
  goEdit: 'Absender bearbeiten',
  technicalDetails: 'Was SendGrid gemeldet hat (Englisch)',
  rotateTitle: 'Schlüssel rotieren',
  rotateHelp:
    'Fügen Sie einen neuen Schlüssel desselben SendGrid-Kontos ein; die Absender bleiben. Löschen Sie danach den alten Schlüssel in SendGrid.',
  newKey: 'Neuer API-Schlüssel',
  rotate: 'Schlüssel rotieren',
  rotating: 'Wird rotiert…',
  rotatedOk:
    'Schlüssel rotiert: jetzt mit API Key ID {keyId}. Die Absender bleiben. Löschen Sie den alten Schlüssel in SendGrid.',
  editSenders: 'Absender bearbeiten',
  saveSenders: 'Absender speichern',
  sendersSaved: 'Absender gespeichert: {emails}.',
  testSend: 'Test-E-Mail senden',
  testTo: 'An',
  testFrom: 'Von',
  defaultFrom: 'Standardabsender ({email})',
  testMode: 'Wie',
  modeSandbox: 'Nur prüfen: SendGrid prüft die Nachricht und stellt nichts zu',
  modeDeliver: 'Wirklich an die Adresse oben zustellen',
  sendTest: 'Test-E-Mail senden',
  sending: 'Wird gesendet…',
  testChecked:
    'Sandbox-Prüfung bestanden: SendGrid hat die Nachricht von {from} an {to} als gültig angenommen. Nichts wurde zugestellt; es kommt keine E-Mail an.',
  testDelivered:
    'Wirklich gesendet: SendGrid hat die Nachricht von {from} zur Zustellung an {to} angenommen. Sie sollte in wenigen Minuten ankommen.',
  toRequired: 'Geben Sie die Adresse ein, an die die Test-E-Mail geht.',
  toInvalid: 'Geben Sie eine einfache E-Mail-Adresse ein, etwa sie@example.com.',
  deleteTitle: 'Integration löschen',
  deleteHelp: 'Entfernt den gespeicherten Schlüssel und die Absenderadressen. Automationen senden keine E-Mails mehr.',
  deleteOpen: 'Integration löschen…',
  deleteDialogTitle: 'SendGrid-Integration löschen?',
  deleteLoses: 'Das geht für den Mandanten {tenant} verloren:',
  deleteLoseKey: 'der gespeicherte API-Schlüssel (API Key ID {keyId}); wir haben keine weitere Kopie',
  deleteLoseSenders: 'die registrierten Absenderadressen: {emails}',
  deleteLoseMail: 'jede automatische E-Mail: nichts wird gesendet, bis wieder ein Schlüssel verbunden ist',
  deleteRevoke:
    'Der Schlüssel selbst funktioniert in SendGrid weiter, bis Sie ihn dort löschen: auf SendGrids Seite „API Keys“ den Schlüssel mit der API Key ID {keyId}.',
  cancel: 'Abbrechen',
  deleteConfirm: 'Löschen',
  deleting: 'Wird gelöscht…',
  deleted: 'Integration gelöscht. Denken Sie daran, den Schlüssel (API Key ID {keyId}) in SendGrid zu löschen.',
  sandboxMessages: 'Von der lokalen SendGrid-Sandbox angenommene E-Mails',
  refresh: 'Aktualisieren',
  noMessages: 'Noch keine.',
  mailChecked: 'nur geprüft',
  mailDelivered: 'zugestellt',
  toFix: 'So beheben Sie es: auf SendGrids Seite „API Keys“ den Schlüssel bearbeiten:',
  setAccess: 'Setzen',
  switchOff: 'Abschalten',
  fieldInvalid: 'Dieser Wert ist ungültig: {message}',
  emailInvalidAt: '{email} ist keine gültige E-Mail-Adresse.',
  notAuthenticated: 'Nicht an einer authentifizierten Domain dieses Schlüssels: {emails}.',
  authenticatedAre: 'Authentifizierte Domains: {domains}.',
  goneElsewhere: 'Diese Integration gibt es nicht mehr: sie wurde gelöscht, vielleicht in einem anderen Fenster.',
  changedElsewhere:
    'Die Integration wurde in einem anderen Fenster geändert. Laden Sie neu, um den aktuellen Stand zu sehen, bevor Sie etwas ändern.',
  reload: 'Neu laden',
  networkProblem:
    'Der Dienst hat nicht geantwortet. Prüfen Sie die Verbindung und versuchen Sie es erneut; nichts ging verloren.',
  serverProblem: 'Bei uns ist etwas schiefgegangen. Versuchen Sie es gleich noch einmal.',
  tryAgainLater: 'Versuchen Sie es in {seconds} Sekunden erneut.',
};

const TEXTS: Record<Language, Record<TextKey, string>> = { en, de };

/** The text for `key` in `language`, with `{name}` placeholders filled in. */
export function text(language: Language, key: TextKey, values: Record<string, string | number> = {}): string {
  return TEXTS[language][key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

/** Whether `key` names a text (for labels looked up by a server value, e.g. `status_<status>`). */
export function isTextKey(key: string): key is TextKey {
  return key in en;
}

/** A language from a URL parameter or the browser, defaulting to English. */
export function languageFrom(value: string | null | undefined): Language {
  return value?.toLowerCase().startsWith('de') ? 'de' : 'en';
}
