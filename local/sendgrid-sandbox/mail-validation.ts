import type { SendGridErrorItem } from './replies.js';

/** SendGrid refuses a mail send body of 30 MB or more with 413. */
export const MAX_MAIL_BODY_BYTES = 30 * 1024 * 1024;

const MAX_PERSONALIZATIONS = 1000;
const MAX_RECIPIENTS = 1000;
const MAX_CUSTOM_ARGS_BYTES = 10_000;
const MAX_CATEGORIES = 10;
const MAX_CATEGORY_LENGTH = 255;
const MAX_SEND_AT_AHEAD_SECONDS = 72 * 3600;
/** A body with hundreds of bad addresses would otherwise produce hundreds of errors. */
const MAX_REPORTED_ERRORS = 25;

/** Loose on purpose: SendGrid rejects addresses without a local part or a dotted domain. */
const EMAIL_PATTERN = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;

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

/**
 * Checks a parsed mail send body the way SendGrid does (../shared/sendgrid/openapi/tsg_mail_v3.json
 * and its documented limits). Returns SendGrid's error items, each naming the offending field; none
 * means the body is valid.
 */
export function validateMailBody(body: unknown, nowMs = Date.now()): SendGridErrorItem[] {
  if (!isObject(body)) return [issue(null, 'Bad Request')];
  const issues = [
    ...personalizationIssues(body, nowMs),
    ...fromIssues(body),
    ...replyToIssues(body),
    ...subjectIssues(body),
    ...contentIssues(body),
    ...customArgsIssues(body),
    ...categoryIssues(body),
    ...attachmentIssues(body),
    ...sendAtIssues(body.send_at, 'send_at', nowMs),
  ];
  return issues.slice(0, MAX_REPORTED_ERRORS);
}

function personalizationIssues(body: JsonObject, nowMs: number): SendGridErrorItem[] {
  const list = body.personalizations;
  if (!Array.isArray(list) || list.length === 0) {
    return [
      issue(
        'personalizations',
        'The personalizations field is required and must have at least one personalization.',
        'message.personalizations',
      ),
    ];
  }
  if (list.length > MAX_PERSONALIZATIONS) {
    return [
      issue(
        'personalizations',
        `The personalizations field is limited to ${MAX_PERSONALIZATIONS} personalizations per API request.`,
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
  const at = `personalizations.${index}`;
  if (!isObject(personalization))
    return [issue(at, 'Each personalization must be an object.', 'message.personalizations')];
  const issues: SendGridErrorItem[] = [];
  const to = personalization.to;
  if (!Array.isArray(to) || to.length === 0) {
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
    const entries = personalization[list];
    if (entries === undefined || (list === 'to' && !Array.isArray(entries))) continue;
    if (!Array.isArray(entries)) {
      issues.push(issue(`${at}.${list}`, `The ${list} field must be an array of email objects.`, `message.${list}`));
      continue;
    }
    entries.forEach((entry, position) => {
      const email = isObject(entry) ? entry.email : undefined;
      if (typeof email !== 'string' || !EMAIL_PATTERN.test(email)) {
        issues.push(issue(`${at}.${list}.${position}.email`, 'Does not contain a valid address.', `message.${list}`));
        return;
      }
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
    });
  }
  if (personalization.subject !== undefined && !isNonEmptyString(personalization.subject)) {
    issues.push(
      issue(`${at}.subject`, 'The subject must be a string at least one character in length.', 'message.subject'),
    );
  }
  if (personalization.from !== undefined && !isValidAddressObject(personalization.from)) {
    issues.push(issue(`${at}.from.email`, 'The from email does not contain a valid address.', 'message.from'));
  }
  issues.push(...sendAtIssues(personalization.send_at, `${at}.send_at`, nowMs));
  return issues;
}

function isValidAddressObject(value: unknown): boolean {
  return isObject(value) && typeof value.email === 'string' && EMAIL_PATTERN.test(value.email);
}

function fromIssues(body: JsonObject): SendGridErrorItem[] {
  if (!isObject(body.from) || body.from.email === undefined) {
    return [
      issue(
        'from.email',
        'The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.  e.g. {"email" : "example@example.com"}  or {"email" : "example@example.com", "name" : "Example Recipient"}.',
        'message.from.email',
      ),
    ];
  }
  if (!isValidAddressObject(body.from)) {
    return [issue('from.email', 'The from email does not contain a valid address.', 'message.from')];
  }
  return [];
}

function replyToIssues(body: JsonObject): SendGridErrorItem[] {
  if (body.reply_to === undefined || isValidAddressObject(body.reply_to)) return [];
  return [issue('reply_to.email', 'The reply_to email does not contain a valid address.', 'message.reply_to')];
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
  const content = body.content;
  if (content === undefined || (Array.isArray(content) && content.length === 0)) {
    if (hasTemplate(body)) return [];
    return [
      issue(
        'content',
        'Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.',
        'message.content',
      ),
    ];
  }
  if (!Array.isArray(content)) return [issue('content', 'The content field must be an array.', 'message.content')];
  const issues: SendGridErrorItem[] = [];
  let previousRank = 0;
  content.forEach((block, index) => {
    const type = isObject(block) ? block.type : undefined;
    const value = isObject(block) ? block.value : undefined;
    if (!isNonEmptyString(type)) {
      issues.push(
        issue(
          `content.${index}.type`,
          'The content type must be a string at least one character in length.',
          'message.content.type',
        ),
      );
    } else if (/[;\r\n]/.test(type)) {
      issues.push(
        issue(
          `content.${index}.type`,
          "The content type cannot contain ';', or CRLF characters.",
          'message.content.type',
        ),
      );
    } else {
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
    }
    if (!isNonEmptyString(value)) {
      issues.push(
        issue(
          `content.${index}.value`,
          'The content value must be a string at least one character in length.',
          'message.content.value',
        ),
      );
    }
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

function categoryIssues(body: JsonObject): SendGridErrorItem[] {
  const categories = body.categories;
  if (categories === undefined) return [];
  if (!Array.isArray(categories) || categories.length > MAX_CATEGORIES) {
    return [
      issue(
        'categories',
        `The categories field must be an array of at most ${MAX_CATEGORIES} categories.`,
        'message.categories',
      ),
    ];
  }
  const issues: SendGridErrorItem[] = [];
  categories.forEach((category, index) => {
    if (typeof category !== 'string' || category.length === 0 || category.length > MAX_CATEGORY_LENGTH) {
      issues.push(
        issue(
          `categories.${index}`,
          `A category must be a string of 1 to ${MAX_CATEGORY_LENGTH} characters.`,
          'message.categories',
        ),
      );
    }
  });
  if (new Set(categories).size !== categories.length) {
    issues.push(issue('categories', 'The categories field must not contain duplicates.', 'message.categories'));
  }
  return issues;
}

function attachmentIssues(body: JsonObject): SendGridErrorItem[] {
  const attachments = body.attachments;
  if (attachments === undefined) return [];
  if (!Array.isArray(attachments)) {
    return [issue('attachments', 'The attachments field must be an array.', 'message.attachments')];
  }
  return attachments.flatMap((attachment, index) => {
    const content = isObject(attachment) ? attachment.content : undefined;
    const filename = isObject(attachment) ? attachment.filename : undefined;
    const issues: SendGridErrorItem[] = [];
    if (!isNonEmptyString(content)) {
      issues.push(
        issue(
          `attachments.${index}.content`,
          'The attachment content must be a Base64 encoded string.',
          'message.attachments.content',
        ),
      );
    }
    if (!isNonEmptyString(filename)) {
      issues.push(
        issue(
          `attachments.${index}.filename`,
          'The attachment filename parameter is required.',
          'message.attachments.filename',
        ),
      );
    }
    return issues;
  });
}

function sendAtIssues(sendAt: unknown, field: string, nowMs: number): SendGridErrorItem[] {
  if (sendAt === undefined) return [];
  if (typeof sendAt !== 'number' || !Number.isInteger(sendAt) || sendAt < 0) {
    return [issue(field, 'The send_at parameter must be a unix timestamp in seconds.', 'message.send_at')];
  }
  if (sendAt > Math.floor(nowMs / 1000) + MAX_SEND_AT_AHEAD_SECONDS) {
    return [issue(field, 'The send_at parameter cannot be more than 72 hours in the future.', 'message.send_at')];
  }
  return [];
}
