import { MAX_REPORTED_ERRORS, requestBodyCheck } from './openapi-validation.js';
import type { SendGridErrorItem } from './replies.js';

/** SendGrid refuses a mail send body of 30 MB or more with 413. */
export const MAX_MAIL_BODY_BYTES = 30 * 1024 * 1024;

const MAX_RECIPIENTS = 1000;
const MAX_CUSTOM_ARGS_BYTES = 10_000;
const MAX_SEND_AT_AHEAD_SECONDS = 72 * 3600;

const HELP_BASE = 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function issue(field: string | null, message: string, anchor?: string): SendGridErrorItem {
  return { message, field, help: anchor === undefined ? null : `${HELP_BASE}#${anchor}` };
}

/** Whether the body asks for sandbox mode: SendGrid validates it, answers 200 and delivers nothing. */
export function isSandboxMode(body: unknown): boolean {
  if (!isObject(body) || !isObject(body.mail_settings)) return false;
  const sandbox = body.mail_settings.sandbox_mode;
  return isObject(sandbox) && sandbox.enable === true;
}

/** Every `from.email` of a valid body: the message's and any personalization's own. */
export function senderAddresses(body: unknown): string[] {
  if (!isObject(body)) return [];
  const personalizations = Array.isArray(body.personalizations) ? body.personalizations : [];
  const froms = [body.from, ...personalizations.map((entry) => (isObject(entry) ? entry.from : undefined))];
  return froms.flatMap((from) => (isObject(from) && typeof from.email === 'string' ? [from.email] : []));
}

/** Every to, cc and bcc address of a body, across personalizations. */
export function recipientAddresses(body: unknown): string[] {
  if (!isObject(body) || !Array.isArray(body.personalizations)) return [];
  return body.personalizations.flatMap((personalization) => {
    if (!isObject(personalization)) return [];
    return (['to', 'cc', 'bcc'] as const).flatMap((list) => addressesOf(personalization[list]));
  });
}

function addressesOf(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((entry) => (isObject(entry) && typeof entry.email === 'string' ? [entry.email] : []));
}

function jsonBytes(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value));
}

/** `POST /v3/mail/send`'s request body by SendGrid's own OpenAPI document (operation SendMail). */
const documentCheck = requestBodyCheck('tsg_mail_v3', 'POST', '/v3/mail/send', (field) => {
  // SendGrid links each error to its section, named by the field without indexes.
  const section = (field ?? '').split('.').filter((segment) => segment !== '' && !/^\d+$/.test(segment));
  return section.length > 0 ? `${HELP_BASE}#message.${section.join('.')}` : null;
});

/**
 * Checks a parsed mail send body the way SendGrid does: first by its OpenAPI document
 * (openapi/tsg_mail_v3.json, JSON Schema validation), then by the rules the document states only in
 * prose or not at all (recipient counts, duplicates, a subject and content unless a template has them,
 * content order, the size of custom_args, how far ahead send_at may be). Returns SendGrid's error
 * items, each naming the offending field; none means the body is valid.
 */
export function validateMailBody(body: unknown, nowMs = Date.now()): SendGridErrorItem[] {
  const documentIssues = documentCheck(body);
  if (documentIssues.length > 0 || !isObject(body)) return documentIssues;
  const issues = [
    ...personalizationIssues(body, nowMs),
    ...replyToIssues(body),
    ...subjectIssues(body),
    ...contentIssues(body),
    ...customArgsIssues(body),
    ...sendAtIssues(body.send_at, 'send_at', nowMs),
  ];
  return issues.slice(0, MAX_REPORTED_ERRORS);
}

function personalizationIssues(body: JsonObject, nowMs: number): SendGridErrorItem[] {
  const list = Array.isArray(body.personalizations) ? body.personalizations : [];
  if (list.length === 0) {
    return [
      issue(
        'personalizations',
        'The personalizations field is required and must have at least one personalization.',
        'message.personalizations',
      ),
    ];
  }
  const issues = list.flatMap((personalization, index) => onePersonalizationIssues(personalization, index, nowMs));
  if (recipientAddresses(body).length > MAX_RECIPIENTS) {
    issues.push(
      issue(
        'personalizations',
        `The total number of recipients must be no more than ${MAX_RECIPIENTS}. This includes all recipients defined within the to, cc, and bcc parameters, across each object that you include in the personalizations array.`,
        'message.personalizations',
      ),
    );
  }
  return issues;
}

function onePersonalizationIssues(personalization: unknown, index: number, nowMs: number): SendGridErrorItem[] {
  if (!isObject(personalization)) return [];
  const at = `personalizations.${index}`;
  const issues: SendGridErrorItem[] = [];
  if (!Array.isArray(personalization.to) || personalization.to.length === 0) {
    issues.push(
      issue(
        `${at}.to`,
        'The to array is required for all personalization objects, and must have at least one email object with a valid email address.',
        'message.personalizations.to',
      ),
    );
  }
  const seen = new Set<string>();
  for (const list of ['to', 'cc', 'bcc'] as const) {
    for (const email of addressesOf(personalization[list])) {
      const normalized = email.toLowerCase();
      if (seen.has(normalized)) {
        issues.push(
          issue(
            at,
            `Each email address in the personalization block should be unique between to, cc, and bcc. We found the first duplicate instance of [${email}] in the ${at}.${list} field.`,
            'message.recipient_errors',
          ),
        );
      }
      seen.add(normalized);
    }
  }
  issues.push(...sendAtIssues(personalization.send_at, `${at}.send_at`, nowMs));
  return issues;
}

/** The document says so in prose only: "either the reply_to property or reply_to_list property but not both". */
function replyToIssues(body: JsonObject): SendGridErrorItem[] {
  if (body.reply_to === undefined || body.reply_to_list === undefined) return [];
  return [
    issue(
      'reply_to_list',
      'You can use either the reply_to property or reply_to_list property but not both.',
      'message.reply_to_list',
    ),
  ];
}

function hasTemplate(body: JsonObject): boolean {
  return isNonEmptyString(body.template_id);
}

function subjectIssues(body: JsonObject): SendGridErrorItem[] {
  if (hasTemplate(body) || isNonEmptyString(body.subject)) return [];
  const personalizations = Array.isArray(body.personalizations) ? body.personalizations : [];
  const everyHasSubject =
    personalizations.length > 0 &&
    personalizations.every((personalization) => isObject(personalization) && isNonEmptyString(personalization.subject));
  if (everyHasSubject) return [];
  return [
    issue(
      'subject',
      'The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.',
      'message.subject',
    ),
  ];
}

/** SendGrid wants text/plain first, then text/html, then anything else. */
function contentRank(type: string): number {
  const normalized = type.toLowerCase();
  if (normalized === 'text/plain') return 0;
  if (normalized === 'text/html') return 1;
  return 2;
}

function contentIssues(body: JsonObject): SendGridErrorItem[] {
  const content = Array.isArray(body.content) ? body.content : [];
  if (content.length === 0) {
    if (hasTemplate(body)) return [];
    return [
      issue(
        'content',
        'Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.',
        'message.content',
      ),
    ];
  }
  const issues: SendGridErrorItem[] = [];
  let previousRank = 0;
  content.forEach((block, index) => {
    const type = isObject(block) && typeof block.type === 'string' ? block.type : '';
    if (/[;\r\n]/.test(type)) {
      issues.push(
        issue(
          `content.${index}.type`,
          "The content type cannot contain ';', or CRLF characters.",
          'message.content.type',
        ),
      );
      return;
    }
    const rank = contentRank(type);
    if (rank < previousRank) {
      issues.push(
        issue(
          `content.${index}.type`,
          'If present, text/plain content must be first, followed by text/html, followed by any other content.',
          'message.content.type',
        ),
      );
    }
    previousRank = Math.max(previousRank, rank);
  });
  return issues;
}

function customArgsIssues(body: JsonObject): SendGridErrorItem[] {
  const message = `The custom_args parameter must be less than ${MAX_CUSTOM_ARGS_BYTES} bytes, counting the message's and each personalization's together.`;
  const global = jsonBytes(body.custom_args);
  if (global >= MAX_CUSTOM_ARGS_BYTES) return [issue('custom_args', message, 'message.custom_args')];
  const personalizations = Array.isArray(body.personalizations) ? body.personalizations : [];
  return personalizations.flatMap((personalization, index) => {
    if (!isObject(personalization)) return [];
    const own = jsonBytes(personalization.custom_args);
    return own > 0 && global + own >= MAX_CUSTOM_ARGS_BYTES
      ? [issue(`personalizations.${index}.custom_args`, message, 'message.custom_args')]
      : [];
  });
}

function sendAtIssues(sendAt: unknown, field: string, nowMs: number): SendGridErrorItem[] {
  // The document types send_at as an integer; the 72-hour limit is in its prose.
  if (typeof sendAt !== 'number') return [];
  if (sendAt > Math.floor(nowMs / 1000) + MAX_SEND_AT_AHEAD_SECONDS) {
    return [issue(field, 'The send_at parameter cannot be more than 72 hours in the future.', 'message.send_at')];
  }
  return [];
}
