import type { IntegrationStatus } from './integrations/integration-record.js';
import type { ProblemCode } from './problem-catalog.js';

/**
 * Every sentence the API says to a person, in each language it speaks: problem titles, problem
 * details and the card's status labels. Domain code names a message and its values; only the
 * edge renders it, in the language the request asked for. Codes never change with the language.
 */

/** The languages the API speaks; the first is the default. */
export const LANGUAGES = ['en', 'de'] as const;

/** A language the API speaks. */
export type Language = (typeof LANGUAGES)[number];

/**
 * The best supported language for an `Accept-Language` header (RFC 9110 §12.5.4): highest
 * q-value first, a range matches its primary subtag (`de-AT` → `de`), `*` the default;
 * English when nothing matches or the header is absent.
 */
export function negotiateLanguage(header: string | undefined): Language {
  if (!header) return LANGUAGES[0];
  const ranges = header
    .split(',')
    .map((part, index) => {
      const [range = '', ...parameters] = part.trim().split(';');
      const quality = parameters.map((parameter) => /^\s*q=([0-9.]+)\s*$/i.exec(parameter)?.[1]).find(Boolean);
      return { range: range.trim().toLowerCase(), q: quality === undefined ? 1 : Number(quality), index };
    })
    .filter((entry) => entry.range !== '' && Number.isFinite(entry.q) && entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { range } of ranges) {
    if (range === '*') return LANGUAGES[0];
    const primary = range.split('-')[0];
    const match = LANGUAGES.find((language) => language === primary);
    if (match) return match;
  }
  return LANGUAGES[0];
}

type Texts<P> = Record<Language, (values: P) => string>;

/** One message in every language; the values' type comes from the English text. */
function say<P extends object = Record<string, never>>(en: (values: P) => string, de: (values: P) => string): Texts<P> {
  return { en, de };
}

const list = (items: readonly string[], none: string) => (items.length > 0 ? items.join(', ') : none);

/** Problem titles, one per code. */
const TITLES: Record<ProblemCode, Record<Language, string>> = {
  invalid_domain: { en: 'That is not a domain name', de: 'Das ist kein Domainname' },
  public_mailbox_domain: {
    en: 'A public mailbox provider’s domain',
    de: 'Die Domain eines öffentlichen E-Mail-Anbieters',
  },
  region_not_allowed: {
    en: 'That Amazon SES region is not offered',
    de: 'Diese Amazon-SES-Region wird nicht angeboten',
  },
  domain_limit_reached: { en: 'Too many domains', de: 'Zu viele Domains' },
  domain_not_found: { en: 'No such domain', de: 'Diese Domain gibt es nicht' },
  domain_unavailable: { en: 'The domain is not available', de: 'Die Domain ist nicht verfügbar' },
  domain_in_use: { en: 'The domain still has senders', de: 'Die Domain hat noch Absender' },
  invalid_request: { en: 'The request is not valid', de: 'Die Anfrage ist ungültig' },
  invalid_email: { en: 'That is not an email address', de: 'Das ist keine E-Mail-Adresse' },
  suppression_not_found: {
    en: 'The address is not on the suppression list',
    de: 'Die Adresse steht nicht auf der Sperrliste',
  },
  unauthorized: { en: 'No tenant in the caller’s token', de: 'Kein Mandant im Token des Aufrufers' },
  not_found: { en: 'No integration', de: 'Keine Integration' },
  route_not_found: { en: 'No such route', de: 'Diese Route gibt es nicht' },
  conflict: { en: 'The integration changed meanwhile', de: 'Die Integration wurde zwischenzeitlich geändert' },
  wrong_provider: {
    en: 'The tenant sends through another provider',
    de: 'Der Mandant sendet über einen anderen Anbieter',
  },
  invalid_key_format: { en: 'That is not a SendGrid API key', de: 'Das ist kein SendGrid-API-Schlüssel' },
  key_rejected: { en: 'SendGrid rejected the key', de: 'SendGrid hat den Schlüssel abgelehnt' },
  billing_key: { en: 'A billing key cannot send mail', de: 'Ein Billing-Schlüssel kann keine E-Mails senden' },
  missing_scopes: { en: 'The key lacks permissions', de: 'Dem Schlüssel fehlen Berechtigungen' },
  excess_scopes: {
    en: 'The key has more permissions than needed',
    de: 'Der Schlüssel hat mehr Berechtigungen als nötig',
  },
  no_authenticated_domain: { en: 'No authenticated domain', de: 'Keine authentifizierte Domain' },
  sender_not_authenticated: {
    en: 'Sender not at an authenticated domain',
    de: 'Absender nicht an einer authentifizierten Domain',
  },
  integration_unreadable: { en: 'The stored key cannot be read', de: 'Der gespeicherte Schlüssel ist nicht lesbar' },
  sender_not_registered: { en: 'Not a registered sender', de: 'Kein registrierter Absender' },
  sender_rejected: { en: 'SendGrid refused the sender', de: 'SendGrid hat den Absender abgelehnt' },
  sender_domain_failed: {
    en: 'The sender’s domain is no longer verified',
    de: 'Die Domain des Absenders ist nicht mehr verifiziert',
  },
  message_rejected: { en: 'The message cannot be sent', de: 'Die Nachricht kann nicht gesendet werden' },
  sending_paused: {
    en: 'Amazon SES has paused this tenant’s sending',
    de: 'Amazon SES hat das Senden dieses Mandanten pausiert',
  },
  too_many_attempts: {
    en: 'Too many key checks; wait before trying again',
    de: 'Zu viele Schlüsselprüfungen; warten Sie, bevor Sie es erneut versuchen',
  },
  upstream_unavailable: {
    en: 'A service we depend on is unavailable',
    de: 'Ein Dienst, von dem wir abhängen, ist nicht erreichbar',
  },
  internal_error: { en: 'Something went wrong on our side', de: 'Bei uns ist etwas schiefgegangen' },
  same_key: { en: 'That key is already stored', de: 'Dieser Schlüssel ist bereits gespeichert' },
  idempotency_key_in_use: {
    en: 'A request with this Idempotency-Key is still running',
    de: 'Eine Anfrage mit diesem Idempotency-Key läuft noch',
  },
  precondition_failed: {
    en: 'The integration changed since you loaded it',
    de: 'Die Integration hat sich seit dem Laden geändert',
  },
  different_account: {
    en: 'The key seems to belong to another SendGrid account',
    de: 'Der Schlüssel scheint zu einem anderen SendGrid-Konto zu gehören',
  },
  idempotency_key_reused: {
    en: 'Idempotency-Key already used for another request',
    de: 'Idempotency-Key schon für eine andere Anfrage verwendet',
  },
  invalid_webhook_key: {
    en: 'That is not SendGrid’s verification key',
    de: 'Das ist nicht der Verifizierungsschlüssel von SendGrid',
  },
  webhook_not_found: { en: 'No Event Webhook', de: 'Kein Event Webhook' },
  webhook_forbidden: { en: 'Not accepted', de: 'Nicht angenommen' },
  payload_too_large: { en: 'The body is too large', de: 'Der Inhalt ist zu groß' },
};

/** Problem details, by message key. Values are filled in at the edge, in the request's language. */
const DETAILS = {
  internal_error: say(
    () => 'Something went wrong on our side. Try again; if it keeps happening, contact support.',
    () =>
      'Bei uns ist etwas schiefgegangen. Versuchen Sie es erneut; wenn es wieder passiert, wenden Sie sich an den Support.',
  ),
  upstream_unavailable: say(
    ({ service }: { service: string }) => `${service} did not answer in time or failed. Try again in a moment.`,
    ({ service }) =>
      `${service} hat nicht rechtzeitig geantwortet oder ist ausgefallen. Versuchen Sie es gleich noch einmal.`,
  ),
  upstream_unavailable_internal: say(
    () => 'A service we depend on did not answer in time or failed. Try again in a moment.',
    () =>
      'Ein Dienst, von dem wir abhängen, hat nicht rechtzeitig geantwortet oder ist ausgefallen. Versuchen Sie es gleich noch einmal.',
  ),
  too_many_attempts: say(
    ({ limit, minutes }: { limit: number; minutes: number }) =>
      `This account checked ${limit} keys within the hour, the most allowed. Wait ${minutes} minute${minutes === 1 ? '' : 's'}, then try again; meanwhile, make sure the key you paste is the one you created with your email provider.`,
    ({ limit, minutes }) =>
      `Dieses Konto hat innerhalb einer Stunde ${limit} Schlüssel geprüft, mehr sind nicht erlaubt. Warten Sie ${minutes} Minute${minutes === 1 ? '' : 'n'} und versuchen Sie es dann erneut; prüfen Sie solange, ob der eingefügte Schlüssel der ist, den Sie bei Ihrem E-Mail-Anbieter angelegt haben.`,
  ),
  unauthorized: say(
    ({ claim }: { claim: string }) =>
      `The access token has no usable "${claim}" claim. Sign in again; if it persists, the identity provider must add the tenant claim to the token.`,
    ({ claim }) =>
      `Das Zugriffstoken hat keinen verwendbaren Claim „${claim}“. Melden Sie sich erneut an; bleibt es dabei, muss der Identitätsanbieter den Mandanten-Claim in das Token aufnehmen.`,
  ),
  invalid_field: say(
    ({ field, problem }: { field: string; problem: string }) => `Field "${field}" ${problem}. Fix it and send again.`,
    ({ field }) => `Das Feld „${field}“ ist ungültig. Korrigieren Sie es und senden Sie erneut.`,
  ),
  body_not_json_type: say(
    ({ contentType }: { contentType: string }) =>
      `Send the body as JSON with "Content-Type: application/json" (got "${contentType}").`,
    ({ contentType }) =>
      `Senden Sie den Inhalt als JSON mit „Content-Type: application/json“ (erhalten: „${contentType}“).`,
  ),
  body_missing: say(
    () => 'This route needs a JSON body.',
    () => 'Diese Route braucht einen JSON-Inhalt.',
  ),
  body_too_large: say(
    ({ maxBytes }: { maxBytes: number }) =>
      `The body is larger than ${maxBytes} bytes; send only the documented fields.`,
    ({ maxBytes }) => `Der Inhalt ist größer als ${maxBytes} Bytes; senden Sie nur die dokumentierten Felder.`,
  ),
  body_not_json: say(
    () => 'The body is not valid JSON.',
    () => 'Der Inhalt ist kein gültiges JSON.',
  ),
  invalid_key_format: say(
    () =>
      'A SendGrid API key is 69 characters: "SG.", a 22-character id, ".", and a 43-character secret. Copy the whole key from SendGrid (Settings → API Keys → Create API Key); it is shown only once.',
    () =>
      'Ein SendGrid-API-Schlüssel hat 69 Zeichen: „SG.“, eine 22-stellige ID, „.“ und ein 43-stelliges Geheimnis. Kopieren Sie den ganzen Schlüssel aus SendGrid (Settings → API Keys → Create API Key); er wird nur einmal angezeigt.',
  ),
  key_rejected: say(
    ({ regionGiven }: { regionGiven: boolean }) =>
      `SendGrid does not accept this key: it may have been revoked or mistyped${regionGiven ? ', or it belongs to the other region (keys of EU regional subusers work only with region "eu"; leave region out to detect it)' : ''}. Check it under Settings → API Keys in SendGrid, or create a new one.`,
    ({ regionGiven }) =>
      `SendGrid akzeptiert diesen Schlüssel nicht: er wurde vielleicht widerrufen oder falsch kopiert${regionGiven ? ', oder er gehört zur anderen Region (Schlüssel regionaler EU-Subuser funktionieren nur mit der Region „eu“; lassen Sie die Region weg, um sie zu erkennen)' : ''}. Prüfen Sie ihn in SendGrid unter Settings → API Keys oder legen Sie einen neuen an.`,
  ),
  unknown_region: say(
    ({ region }: { region: string }) => `Unknown region "${region}". Use "global" or "eu".`,
    ({ region }) => `Unbekannte Region „${region}“. Verwenden Sie „global“ oder „eu“.`,
  ),
  billing_key: say(
    () =>
      'This is a Billing Access key, which cannot send mail. In SendGrid, create a new key with Restricted Access: Mail Send → Full Access and Sender Authentication → Read Access, everything else No Access.',
    () =>
      'Das ist ein Billing-Access-Schlüssel, der keine E-Mails senden kann. Legen Sie in SendGrid einen neuen Schlüssel mit Restricted Access an: Mail Send → Full Access und Sender Authentication → Read Access, alles andere No Access.',
  ),
  missing_scopes: say(
    ({
      scopes,
      grantedBy,
      switchOff,
    }: {
      scopes: readonly string[];
      grantedBy: readonly string[];
      switchOff: readonly string[];
    }) =>
      `The key lacks ${scopes.join(', ')}. In SendGrid (Settings → API Keys → Edit), set ${grantedBy.join(' and ')}${switchOff.length > 0 ? `, and set ${switchOff.join(', ')} to No Access` : ''}, then verify again.`,
    ({ scopes, grantedBy, switchOff }) =>
      `Dem Schlüssel fehlt ${scopes.join(', ')}. Setzen Sie in SendGrid (Settings → API Keys → Edit) ${grantedBy.join(' und ')}${switchOff.length > 0 ? ` sowie ${switchOff.join(', ')} auf No Access` : ''} und prüfen Sie dann erneut.`,
  ),
  excess_scopes_full_access: say(
    () =>
      'This is a Full Access key; it can do far more than send mail. In SendGrid, create a Restricted Access key with only Mail Send → Full Access and Sender Authentication → Read Access, and paste that one.',
    () =>
      'Das ist ein Full-Access-Schlüssel; er kann weit mehr als E-Mails senden. Legen Sie in SendGrid einen Restricted-Access-Schlüssel nur mit Mail Send → Full Access und Sender Authentication → Read Access an und fügen Sie diesen ein.',
  ),
  excess_scopes: say(
    ({ count, switchOff }: { count: number; switchOff: readonly string[] }) =>
      `The key has permissions the product does not need (${count} scopes). In SendGrid (Settings → API Keys → Edit), set ${switchOff.join(', ')} to No Access, keeping only Mail Send → Full Access and Sender Authentication → Read Access.`,
    ({ count, switchOff }) =>
      `Der Schlüssel hat Berechtigungen, die das Produkt nicht braucht (${count} Scopes). Setzen Sie in SendGrid (Settings → API Keys → Edit) ${switchOff.join(', ')} auf No Access und behalten Sie nur Mail Send → Full Access und Sender Authentication → Read Access.`,
  ),
  no_authenticated_domain: say(
    () =>
      'The SendGrid account has no authenticated domain that is verified, so it cannot send as your company. In SendGrid, open Settings → Sender Authentication → Authenticate Your Domain, add the DNS records it shows, click Verify, then verify the key here again.',
    () =>
      'Das SendGrid-Konto hat keine verifizierte authentifizierte Domain und kann daher nicht im Namen Ihres Unternehmens senden. Öffnen Sie in SendGrid Settings → Sender Authentication → Authenticate Your Domain, tragen Sie die angezeigten DNS-Einträge ein, klicken Sie auf Verify und prüfen Sie den Schlüssel hier erneut.',
  ),
  not_found: say(
    () =>
      'This tenant has no email integration. Verify a key (POST /integrations/sendgrid/verify) and save it (PUT /integrations/sendgrid).',
    () =>
      'Dieser Mandant hat keine E-Mail-Integration. Prüfen Sie einen Schlüssel (POST /integrations/sendgrid/verify) und speichern Sie ihn (PUT /integrations/sendgrid).',
  ),
  nothing_to_test: say(
    () => 'This tenant has no email integration to test. Verify and save a key first (PUT /integrations/sendgrid).',
    () =>
      'Dieser Mandant hat keine E-Mail-Integration zum Testen. Prüfen und speichern Sie zuerst einen Schlüssel (PUT /integrations/sendgrid).',
  ),

  conflict: say(
    () => 'The integration was changed by someone else while this request ran. Reload it and try again.',
    () =>
      'Die Integration wurde während dieser Anfrage von jemand anderem geändert. Laden Sie sie neu und versuchen Sie es erneut.',
  ),
  wrong_provider: say(
    ({ current, keyed }: { current: string; keyed: string }) =>
      `This tenant sends through ${current} now, so it has no ${keyed} key to change here. An operator can move it back to ${keyed} (npm run ops -- migrate <tenant> --to sendgrid).`,
    ({ current, keyed }) =>
      `Dieser Mandant sendet jetzt über ${current} und hat hier keinen ${keyed}-Schlüssel zu ändern. Der Betrieb kann ihn zu ${keyed} zurückholen (npm run ops -- migrate <tenant> --to sendgrid).`,
  ),
  sender_not_authenticated: say(
    ({ emails, domains, provider }: { emails: readonly string[]; domains: readonly string[]; provider: string }) =>
      `${emails.join(', ')} ${emails.length === 1 ? 'is' : 'are'} not at a domain verified for sending with this tenant's ${provider} account (${list(domains, 'none')}). Pick addresses at those domains, or verify the domain in ${provider} first.`,
    ({ emails, domains, provider }) =>
      `${emails.join(', ')} ${emails.length === 1 ? 'liegt' : 'liegen'} an keiner Domain, die im ${provider}-Konto dieses Mandanten für das Senden verifiziert ist (${list(domains, 'keine')}). Wählen Sie Adressen an diesen Domains oder verifizieren Sie die Domain zuerst in ${provider}.`,
  ),
  integration_undecryptable: say(
    () => 'The stored key cannot be decrypted. Save the integration again with the key (or a new one), or delete it.',
    () =>
      'Der gespeicherte Schlüssel lässt sich nicht entschlüsseln. Speichern Sie die Integration erneut mit dem Schlüssel (oder einem neuen) oder löschen Sie sie.',
  ),
  integration_damaged: say(
    () =>
      'This tenant’s stored integration is damaged and cannot be read. Delete it (DELETE /integrations/sendgrid) and save the key again.',
    () =>
      'Die gespeicherte Integration dieses Mandanten ist beschädigt und nicht lesbar. Löschen Sie sie (DELETE /integrations/sendgrid) und speichern Sie den Schlüssel erneut.',
  ),
  sender_not_registered: say(
    ({ sender, registered }: { sender: string; registered: readonly string[] }) =>
      `${sender} is not a registered sender of this tenant (registered: ${registered.join(', ')}). Use one of those, or add it under Settings → Integrations → SendGrid.`,
    ({ sender, registered }) =>
      `${sender} ist kein registrierter Absender dieses Mandanten (registriert: ${registered.join(', ')}). Verwenden Sie einen davon oder fügen Sie ihn unter Einstellungen → Integrationen → SendGrid hinzu.`,
  ),
  internal_only_from_noreply: say(
    ({ sender }: { sender: string }) =>
      `Internal mail goes only from a noreply@ address, not from ${sender}. Leave "from" out or use the registered noreply@ address.`,
    ({ sender }) =>
      `Interne E-Mails gehen nur von einer noreply@-Adresse, nicht von ${sender}. Lassen Sie „from“ weg oder verwenden Sie die registrierte noreply@-Adresse.`,
  ),
  internal_needs_noreply: say(
    ({ registered }: { registered: readonly string[] }) =>
      `Internal mail needs a registered noreply@ sender; this tenant has ${registered.join(', ')}. Add noreply@ at an authenticated domain.`,
    ({ registered }) =>
      `Interne E-Mails brauchen einen registrierten noreply@-Absender; dieser Mandant hat ${registered.join(', ')}. Fügen Sie noreply@ an einer authentifizierten Domain hinzu.`,
  ),
  customer_needs_sender: say(
    ({ registered }: { registered: readonly string[] }) =>
      `Customer mail needs a registered sender other than noreply@ (registered: ${registered.join(', ')}). Add info@ at an authenticated domain.`,
    ({ registered }) =>
      `E-Mails an Kunden brauchen einen registrierten Absender außer noreply@ (registriert: ${registered.join(', ')}). Fügen Sie info@ an einer authentifizierten Domain hinzu.`,
  ),
  ses_account_sandbox: say(
    ({ region }: { region: string }) =>
      `The platform's Amazon SES account is still in the SES sandbox in ${region}: it delivers only to verified addresses, at most 200 messages a day. The platform operator requests production access in the SES console (Account dashboard → Request production access).`,
    ({ region }) =>
      `Das Amazon-SES-Konto der Plattform ist in ${region} noch in der SES-Sandbox: es stellt nur an verifizierte Adressen zu, höchstens 200 Nachrichten am Tag. Der Betreiber der Plattform beantragt den Produktionszugang in der SES-Konsole (Account dashboard → Request production access).`,
  ),
  ses_account_sending_paused: say(
    ({ region }: { region: string }) =>
      `Amazon SES has paused sending for the platform's whole account in ${region}; no tenant's mail goes out there until the platform operator resolves it with AWS.`,
    ({ region }) =>
      `Amazon SES hat das Senden für das gesamte Konto der Plattform in ${region} pausiert; dort geht keine E-Mail eines Mandanten hinaus, bis der Betreiber der Plattform das mit AWS klärt.`,
  ),
  sender_domain_failed: say(
    ({ sender, domain }: { sender: string; domain: string }) =>
      `${sender} is at ${domain}, which Amazon SES no longer verifies (its DNS records were removed or changed), so nothing is sent from it. Publish the domain's records again and check it; sending resumes once it is verified.`,
    ({ sender, domain }) =>
      `${sender} liegt an ${domain}, die Amazon SES nicht mehr verifiziert (die DNS-Einträge wurden entfernt oder geändert); daher wird von dort nichts gesendet. Veröffentlichen Sie die Einträge der Domain erneut und prüfen Sie sie; sobald sie verifiziert ist, wird wieder gesendet.`,
  ),
  sending_paused: say(
    () =>
      'Amazon SES has paused sending for this tenant (usually because too many messages bounced or were marked as spam), so nothing was sent. Remove bounced and complaining addresses from your lists; the platform operator reviews the tenant in the SES console (Tenants) and re-enables it, and sending resumes as soon as SES enables it again.',
    () =>
      'Amazon SES hat das Senden für diesen Mandanten pausiert (meist, weil zu viele Nachrichten unzustellbar waren oder als Spam markiert wurden); daher wurde nichts gesendet. Entfernen Sie unzustellbare und beschwerende Adressen aus Ihren Listen; der Betreiber der Plattform prüft den Mandanten in der SES-Konsole (Tenants) und aktiviert ihn wieder, und das Senden geht weiter, sobald SES ihn wieder freigibt.',
  ),
  sending_blocked: say(
    ({ provider, reason }: { provider: string; reason: string | null }) =>
      `${provider} refused this tenant's credentials${reason ? ` (${reason})` : ''}; nothing is sent until they work again (a new key rotated in, or the health check finding them accepted).`,
    ({ provider, reason }) =>
      `${provider} hat die Zugangsdaten dieses Mandanten abgelehnt${reason ? ` (${reason})` : ''}; es wird nichts gesendet, bis sie wieder funktionieren (ein neuer Schlüssel einrotiert ist oder die Zustandsprüfung sie wieder akzeptiert findet).`,
  ),

  test_key_rejected: say(
    ({ provider, reason }: { provider: string; reason: string }) =>
      `${provider} refused the tenant's credentials (${reason}). Replace them (an API key: create a new one at ${provider} and rotate it here), then try again.`,
    ({ provider, reason }) =>
      `${provider} hat die Zugangsdaten des Mandanten abgelehnt (${reason}). Ersetzen Sie sie (einen API-Schlüssel: legen Sie bei ${provider} einen neuen an und rotieren Sie ihn hier ein) und versuchen Sie es erneut.`,
  ),

  test_sender_rejected: say(
    ({ provider, reason }: { provider: string; reason: string }) =>
      `${provider} refused the sender (${reason}). Check that the sender's domain is still verified with ${provider}.`,
    ({ provider, reason }) =>
      `${provider} hat den Absender abgelehnt (${reason}). Prüfen Sie, ob die Domain des Absenders bei ${provider} noch verifiziert ist.`,
  ),

  test_message_rejected: say(
    ({ provider, reason }: { provider: string; reason: string }) => `${provider} refused the message: ${reason}`,
    ({ provider, reason }) => `${provider} hat die Nachricht abgelehnt: ${reason}`,
  ),

  precondition_failed: say(
    () =>
      'The integration was changed (or deleted) since you loaded it, perhaps in another window. Reload it to see the current state, then decide again.',
    () =>
      'Die Integration wurde seit dem Laden geändert (oder gelöscht), vielleicht in einem anderen Fenster. Laden Sie sie neu, um den aktuellen Stand zu sehen, und entscheiden Sie dann erneut.',
  ),
  already_exists: say(
    () =>
      'This tenant already has a SendGrid integration, perhaps saved in another window. Reload it; to replace it, send If-Match with its ETag instead of If-None-Match: *.',
    () =>
      'Dieser Mandant hat schon eine SendGrid-Integration, vielleicht in einem anderen Fenster gespeichert. Laden Sie neu; um sie zu ersetzen, senden Sie If-Match mit ihrem ETag statt If-None-Match: *.',
  ),
  idempotency_key_invalid: say(
    () => 'The Idempotency-Key header must be 1 to 255 visible ASCII characters (a UUID is a good choice).',
    () =>
      'Der Header Idempotency-Key muss aus 1 bis 255 sichtbaren ASCII-Zeichen bestehen (eine UUID ist eine gute Wahl).',
  ),
  idempotency_key_reused: say(
    () =>
      'This Idempotency-Key was already used in the last 24 hours for a different request. Use a new key for a new request.',
    () =>
      'Dieser Idempotency-Key wurde in den letzten 24 Stunden schon für eine andere Anfrage verwendet. Verwenden Sie für eine neue Anfrage einen neuen Schlüssel.',
  ),
  idempotency_key_in_use: say(
    () => 'A request with this Idempotency-Key is still running. Wait a moment, then send it again to get its answer.',
    () =>
      'Eine Anfrage mit diesem Idempotency-Key läuft noch. Warten Sie einen Moment und senden Sie sie dann erneut, um ihre Antwort zu erhalten.',
  ),
  same_key: say(
    () =>
      'That is the key already stored, so nothing changed. To rotate, create a new key in SendGrid (Settings → API Keys) and paste that one.',
    () =>
      'Das ist der bereits gespeicherte Schlüssel; es hat sich nichts geändert. Zum Rotieren legen Sie in SendGrid einen neuen Schlüssel an (Settings → API Keys) und fügen diesen ein.',
  ),
  different_account: say(
    ({ emails, domains }: { emails: readonly string[]; domains: readonly string[] }) =>
      `This key seems to belong to another SendGrid account: none of the registered senders (${emails.join(', ')}) is at one of its authenticated domains (${list(domains, 'none')}). Create the new key in the same SendGrid account as the old one; to switch accounts, delete the integration and connect the other account.`,
    ({ emails, domains }) =>
      `Dieser Schlüssel scheint zu einem anderen SendGrid-Konto zu gehören: keiner der registrierten Absender (${emails.join(', ')}) liegt an einer seiner authentifizierten Domains (${list(domains, 'keine')}). Legen Sie den neuen Schlüssel im selben SendGrid-Konto an wie den alten; um das Konto zu wechseln, löschen Sie die Integration und verbinden Sie das andere Konto.`,
  ),
  invalid_email: say(
    () =>
      'Give a plain email address like jane@example.com (no name, no angle brackets, at most 254 characters), URL-encoded in the path.',
    () =>
      'Geben Sie eine einfache E-Mail-Adresse wie jane@example.com an (ohne Namen und spitze Klammern, höchstens 254 Zeichen), URL-kodiert im Pfad.',
  ),
  suppression_not_found: say(
    () =>
      'This address is not on your suppression list, so mail to it is not held back. GET /suppressions lists the addresses that are.',
    () =>
      'Diese Adresse steht nicht auf Ihrer Sperrliste; E-Mails an sie werden nicht zurückgehalten. GET /suppressions listet die gesperrten Adressen.',
  ),
  invalid_webhook_key: say(
    ({ reason }: { reason: string }) =>
      `The key ${reason}. In SendGrid, open Settings → Mail Settings → Event Webhook, turn on Signature Verification, and copy the whole "Verification Key" it shows (it starts with "MFkw").`,
    () =>
      'Der Schlüssel ist nicht verwendbar. Öffnen Sie in SendGrid Settings → Mail Settings → Event Webhook, schalten Sie Signature Verification ein und kopieren Sie den ganzen angezeigten „Verification Key“ (er beginnt mit „MFkw“).',
  ),
  webhook_not_found: say(
    () =>
      'This tenant has no SendGrid Event Webhook registered. Register SendGrid’s verification key first (PUT /integrations/sendgrid/event-webhook).',
    () =>
      'Für diesen Mandanten ist kein SendGrid Event Webhook registriert. Registrieren Sie zuerst den Verifizierungsschlüssel von SendGrid (PUT /integrations/sendgrid/event-webhook).',
  ),
  webhook_conflict: say(
    () => 'The Event Webhook was changed by someone else while this request ran. Reload it and try again.',
    () =>
      'Der Event Webhook wurde während dieser Anfrage von jemand anderem geändert. Laden Sie ihn neu und versuchen Sie es erneut.',
  ),
  webhook_forbidden: say(
    () =>
      'The request is not a signed Event Webhook post for this URL. In SendGrid, check that the Event Webhook points at the URL shown in Settings → Integrations, that Signature Verification is on, and that the verification key registered here is the one SendGrid shows.',
    () =>
      'Die Anfrage ist kein signierter Event-Webhook-Aufruf für diese URL. Prüfen Sie in SendGrid, dass der Event Webhook auf die in Einstellungen → Integrationen gezeigte URL zeigt, Signature Verification eingeschaltet ist und der hier registrierte Verifizierungsschlüssel der von SendGrid gezeigte ist.',
  ),
  payload_too_large: say(
    ({ maxBytes }: { maxBytes: number }) =>
      `The body is larger than ${maxBytes} bytes, more than an Event Webhook batch (at most 768 KB) holds.`,
    ({ maxBytes }) =>
      `Der Inhalt ist größer als ${maxBytes} Bytes, mehr als ein Event-Webhook-Stapel (höchstens 768 KB) enthält.`,
  ),
  webhook_body_not_json: say(
    () => 'The body is not a JSON array of events, which is what SendGrid’s Event Webhook posts.',
    () => 'Der Inhalt ist kein JSON-Array von Ereignissen, wie es der Event Webhook von SendGrid sendet.',
  ),
} satisfies Record<string, Texts<never>>;

/** The key of a problem detail in the catalog. */
export type MessageKey = keyof typeof DETAILS;

/** The values a message needs. */
export type MessageValues<K extends MessageKey> = Parameters<(typeof DETAILS)[K]['en']>[0];

/** A message named by key, with its values: rendered only at the edge. */
export interface MessageRef {
  key: MessageKey;
  values: object;
}

/** Names a catalog message with its values (checked against the English text's parameters). */
export function message<K extends MessageKey>(
  key: K,
  ...values: [MessageValues<K>] extends [never] ? [] : [MessageValues<K>]
): MessageRef {
  return { key, values: values[0] ?? {} };
}

/** A message's text in a language. */
export function renderMessage(ref: MessageRef, language: Language): string {
  const texts = DETAILS[ref.key] as Texts<object>;
  return texts[language](ref.values);
}

/** A problem code's title in a language. */
export function problemTitle(code: ProblemCode, language: Language): string {
  return TITLES[code][language];
}

/** What the card says about a status: a short label, and for a broken one what to do next. */
const STATUS_TEXTS: Record<
  Exclude<IntegrationStatus, 'domain_failed'>,
  Record<Language, { label: string; nextStep: string | null }>
> = {
  active: {
    en: { label: 'Working: mail is being sent', nextStep: null },
    de: { label: 'Funktioniert: E-Mails werden gesendet', nextStep: null },
  },
  key_rejected: {
    en: {
      label: 'Mail is not being sent: rotate the key',
      nextStep:
        'SendGrid no longer accepts the stored key (it was deleted or revoked there). Create a new key in SendGrid and rotate it in.',
    },
    de: {
      label: 'Es werden keine E-Mails gesendet: rotieren Sie den Schlüssel',
      nextStep:
        'SendGrid akzeptiert den gespeicherten Schlüssel nicht mehr (er wurde dort gelöscht oder widerrufen). Legen Sie in SendGrid einen neuen Schlüssel an und rotieren Sie ihn hier ein.',
    },
  },
  scopes_changed: {
    en: {
      label: 'Mail may stop: rotate the key',
      nextStep:
        'The key’s permissions were changed in SendGrid. Create a new key with Mail Send → Full Access and Sender Authentication → Read Access and rotate it in.',
    },
    de: {
      label: 'Das Senden kann ausfallen: rotieren Sie den Schlüssel',
      nextStep:
        'Die Berechtigungen des Schlüssels wurden in SendGrid geändert. Legen Sie einen neuen Schlüssel mit Mail Send → Full Access und Sender Authentication → Read Access an und rotieren Sie ihn hier ein.',
    },
  },
  sender_unauthenticated: {
    en: {
      label: 'Mail from some senders may not arrive: authenticate the domain again',
      nextStep:
        'A registered sender’s domain is no longer authenticated in SendGrid. Fix it under Sender Authentication in SendGrid, or remove the address from the senders.',
    },
    de: {
      label: 'E-Mails einiger Absender kommen eventuell nicht an: authentifizieren Sie die Domain erneut',
      nextStep:
        'Die Domain eines registrierten Absenders ist in SendGrid nicht mehr authentifiziert. Beheben Sie das unter Sender Authentication in SendGrid oder entfernen Sie die Adresse aus den Absendern.',
    },
  },
  paused: {
    en: {
      label: 'Mail is not being sent: Amazon SES paused this tenant',
      nextStep:
        'Amazon SES paused sending for this tenant, usually because too many messages bounced or were marked as spam. Remove such addresses from your lists (see Suppressions); the platform operator reviews the tenant in the SES console and re-enables it. Sends are refused until then, and resume by themselves once SES enables the tenant again.',
    },
    de: {
      label: 'Es werden keine E-Mails gesendet: Amazon SES hat diesen Mandanten pausiert',
      nextStep:
        'Amazon SES hat das Senden für diesen Mandanten pausiert, meist weil zu viele Nachrichten unzustellbar waren oder als Spam markiert wurden. Entfernen Sie solche Adressen aus Ihren Listen (siehe Sperrliste); der Betreiber der Plattform prüft den Mandanten in der SES-Konsole und aktiviert ihn wieder. Bis dahin werden Sendungen abgelehnt; sie gehen von selbst weiter, sobald SES den Mandanten wieder freigibt.',
    },
  },
  sender_rejected: {
    en: {
      label: 'Mail from a sender is not being sent: check the sender',
      nextStep:
        'SendGrid refused to send from a registered address. Check it under Sender Authentication in SendGrid, or remove it from the senders.',
    },
    de: {
      label: 'Von einem Absender werden keine E-Mails gesendet: prüfen Sie den Absender',
      nextStep:
        'SendGrid hat das Senden von einer registrierten Adresse abgelehnt. Prüfen Sie sie unter Sender Authentication in SendGrid oder entfernen Sie sie aus den Absendern.',
    },
  },
};

/** `domain_failed` names the domains: what failed and what to do about it. */
const DOMAIN_FAILED_TEXTS: Record<Language, (domains: string) => { label: string; nextStep: string }> = {
  en: (domains) => ({
    label: `Mail from ${domains} is not being sent: the domain is no longer verified`,
    nextStep: `Amazon SES no longer verifies ${domains} (its DNS records were removed or changed). Publish the records shown under Amazon SES → Domains again and press "Check now"; sending from it resumes once it is verified. Until then, mail from senders at ${domains} is refused.`,
  }),
  de: (domains) => ({
    label: `E-Mails von ${domains} werden nicht gesendet: die Domain ist nicht mehr verifiziert`,
    nextStep: `Amazon SES verifiziert ${domains} nicht mehr (die DNS-Einträge wurden entfernt oder geändert). Veröffentlichen Sie die unter Amazon SES → Domains gezeigten Einträge erneut und klicken Sie auf „Jetzt prüfen“; sobald die Domain verifiziert ist, wird wieder gesendet. Bis dahin werden E-Mails von Absendern an ${domains} abgelehnt.`,
  }),
};

/** The card's status label and next step in a language (`domains`: the failed SES domains, for `domain_failed`). */
export function statusText(
  status: IntegrationStatus,
  language: Language,
  values: { domains?: readonly string[] } = {},
): { label: string; nextStep: string | null } {
  if (status === 'domain_failed') return DOMAIN_FAILED_TEXTS[language](list(values.domains ?? [], '—'));
  return STATUS_TEXTS[status][language];
}
