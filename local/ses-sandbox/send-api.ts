import { randomBytes, randomUUID } from 'node:crypto';
import { sendQuota } from './account-api.js';
import { mailEvents } from './event-publishing.js';
import { coveringIdentity } from './identity-api.js';
import type { OperationContext, OperationHandler } from './operation-context.js';
import type { SesRecordedMessage } from './sandbox-types.js';
import { SesError } from './ses-errors.js';
import { resourceArn, type StoredIdentity, type StoredTenant } from './ses-state.js';
import { isAssociated, requireTenant } from './tenant-api.js';

/** SES accepts at most 50 recipients per message. */
const MAX_RECIPIENTS = 50;
/** Message tag names and values: ASCII letters, digits, `_` and `-`, up to 256 (model: MessageTagName/Value). */
const TAG_TEXT = /^[A-Za-z0-9_-]{1,256}$/;
const ADDRESS = /^[^@\s<>",]+@[^@\s<>",]+$/;

/** Thrown for what the sandbox does not play (answered 501, so nobody mistakes it for SES's verdict). */
export class SandboxLimitation extends Error {
  override readonly name = 'SandboxLimitation';
}

/** The address in `"Name" <a@b>` or `a@b`; BadRequestException when there is none. */
function addressOf(field: string, text: string): string {
  const angle = /<([^<>]+)>\s*$/.exec(text);
  const address = (angle?.[1] ?? text).trim();
  if (!ADDRESS.test(address)) throw new SesError('BadRequestException', `Illegal address in ${field}.`);
  return address;
}

function notVerified(region: string, addresses: string[]): SesError {
  return new SesError(
    'MessageRejected',
    `Email address is not verified. The following identities failed the check in region ${region.toUpperCase()}: ${addresses.join(', ')}`,
  );
}

function checkAccount(context: OperationContext): void {
  const { account } = context.state;
  if (account.enforcementStatus === 'SHUTDOWN') {
    throw new SesError(
      'AccountSuspendedException',
      'Your account has been shut down because of a high bounce or complaint rate.',
    );
  }
  if (!account.sendingEnabled) throw new SesError('SendingPausedException', 'Sending is paused for this account.');
}

function checkTags(tags: { Name: string; Value: string }[]): Record<string, string> {
  for (const tag of tags) {
    if (!TAG_TEXT.test(tag.Name) || !TAG_TEXT.test(tag.Value)) {
      throw new SesError(
        'BadRequestException',
        `Invalid message tag ${tag.Name}: names and values contain only ASCII letters, numbers, underscores (_) or dashes (-).`,
      );
    }
  }
  return Object.fromEntries(tags.map((tag) => [tag.Name, tag.Value]));
}

/**
 * Under a tenant, every resource the send uses must be associated with it, and a configuration
 * set associated with it must apply (docs/ses-facts.md 1.5). The model names no error for
 * this; the sandbox answers MessageRejected, the error for a message SES will not send.
 */
function checkTenant(
  context: OperationContext,
  tenant: StoredTenant,
  identity: StoredIdentity,
  configurationSetName: string | undefined,
  templateName: string | undefined,
): void {
  if (tenant.sendingStatus === 'DISABLED') {
    // Not documented which error a paused tenant gets (FACTS.md 4); SendingPaused says what happened.
    throw new SesError('SendingPausedException', `Sending is paused for tenant ${tenant.name}.`);
  }
  const arn = (kind: 'identity' | 'configuration-set' | 'template', name: string) =>
    resourceArn(context.regionName, context.state.accountId, kind, name);
  if (!isAssociated(context.region, tenant.name, arn('identity', identity.name))) {
    throw new SesError(
      'MessageRejected',
      `Email identity ${identity.name} is not associated with tenant ${tenant.name}.`,
    );
  }
  if (!configurationSetName) {
    throw new SesError(
      'MessageRejected',
      `Sending through tenant ${tenant.name} needs a configuration set associated with it.`,
    );
  }
  if (!isAssociated(context.region, tenant.name, arn('configuration-set', configurationSetName))) {
    throw new SesError(
      'MessageRejected',
      `Configuration set ${configurationSetName} is not associated with tenant ${tenant.name}.`,
    );
  }
  if (templateName && !isAssociated(context.region, tenant.name, arn('template', templateName))) {
    throw new SesError('MessageRejected', `Template ${templateName} is not associated with tenant ${tenant.name}.`);
  }
}

/** Fills `{{name}}` placeholders from the template data, as SES renders simple templates. */
function render(text: string | undefined, data: Record<string, unknown>): string | null {
  if (text === undefined) return null;
  return text.replace(/{{\s*([\w.-]+)\s*}}/g, (_, name: string) => {
    const value = name
      .split('.')
      .reduce<unknown>((scope, key) => (scope as Record<string, unknown> | undefined)?.[key], data);
    return value === undefined || value === null ? '' : String(value);
  });
}

/** The subject a Simple or Template message goes out with. */
function subjectOf(context: OperationContext, content: Record<string, unknown>): string | null {
  const simple = content.Simple as { Subject?: { Data?: string } } | undefined;
  if (simple) return simple.Subject?.Data ?? null;
  const template = content.Template as {
    TemplateName?: string;
    TemplateContent?: { Subject?: string };
    TemplateData?: string;
  };
  let data: unknown = {};
  try {
    data = JSON.parse(template.TemplateData ?? '{}');
  } catch {
    throw new SesError('BadRequestException', 'TemplateData is not valid JSON.');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new SesError('BadRequestException', 'TemplateData must be a JSON object.');
  }
  const stored = template.TemplateName ? context.region.templates[template.TemplateName] : undefined;
  return render(stored?.subject ?? template.TemplateContent?.Subject, data as Record<string, unknown>);
}

/** A message id shaped like SES's. */
function messageId(): string {
  return `0107${randomBytes(6).toString('hex')}-${randomUUID()}-000000`;
}

/** SendEmail (Simple and Template content): the checks SES makes, then the message is recorded and its events published. */
export const SEND_OPERATIONS: Record<string, OperationHandler> = {
  SendEmail: (context) => {
    const { input, region, regionName } = context;
    checkAccount(context);
    const content = input.Content as Record<string, unknown>;
    const kinds = ['Simple', 'Raw', 'Template'].filter((kind) => content[kind] !== undefined);
    if (kinds.length !== 1)
      throw new SesError('BadRequestException', 'Content must contain exactly one of Simple, Raw or Template.');
    if (kinds[0] === 'Raw') throw new SandboxLimitation('The SES sandbox plays Simple and Template content, not Raw.');
    const template = content.Template as { TemplateName?: string; TemplateContent?: unknown } | undefined;
    const templateName = template?.TemplateName;
    if (template && !templateName && !template.TemplateContent) {
      throw new SesError('BadRequestException', 'A template needs TemplateName, TemplateArn or TemplateContent.');
    }
    if (templateName && !region.templates[templateName]) {
      throw new SesError('NotFoundException', `Template ${templateName} does not exist.`);
    }

    if (typeof input.FromEmailAddress !== 'string')
      throw new SesError('BadRequestException', "Missing required header 'From'.");
    const from = addressOf('FromEmailAddress', input.FromEmailAddress);
    const destination = (input.Destination as Record<string, string[] | undefined> | undefined) ?? {};
    const to = (destination.ToAddresses ?? []).map((entry) => addressOf('ToAddresses', entry));
    const cc = (destination.CcAddresses ?? []).map((entry) => addressOf('CcAddresses', entry));
    const bcc = (destination.BccAddresses ?? []).map((entry) => addressOf('BccAddresses', entry));
    for (const entry of (input.ReplyToAddresses as string[] | undefined) ?? []) addressOf('ReplyToAddresses', entry);
    const recipients = [...to, ...cc, ...bcc];
    if (recipients.length === 0) throw new SesError('BadRequestException', 'The message needs at least one recipient.');
    if (recipients.length > MAX_RECIPIENTS)
      throw new SesError('BadRequestException', `Recipient count exceeds ${MAX_RECIPIENTS}.`);
    const tags = checkTags((input.EmailTags as { Name: string; Value: string }[] | undefined) ?? []);

    const identity = coveringIdentity(region, from);
    if (!identity) throw notVerified(regionName, [from]);
    const configurationSetName = (input.ConfigurationSetName as string | undefined) ?? identity.configurationSetName;
    const configurationSet = configurationSetName ? region.configurationSets[configurationSetName] : undefined;
    if (configurationSetName && !configurationSet) {
      throw new SesError('NotFoundException', `Configuration set ${configurationSetName} does not exist.`);
    }
    const mailFromIdentity =
      identity.type === 'DOMAIN' ? identity : region.identities[from.slice(from.lastIndexOf('@') + 1).toLowerCase()];
    const mailFrom = mailFromIdentity?.mailFrom;
    if (mailFrom && mailFrom.behaviorOnMxFailure === 'REJECT_MESSAGE' && mailFrom.check.status !== 'SUCCESS') {
      throw new SesError(
        'MailFromDomainNotVerifiedException',
        `The MAIL FROM domain ${mailFrom.domain} is not verified.`,
      );
    }
    const tenantName = input.TenantName as string | undefined;
    if (tenantName)
      checkTenant(context, requireTenant(region, tenantName), identity, configurationSetName, templateName);
    if (!context.state.account.productionAccessEnabled) {
      // In the SES sandbox, every recipient must be a verified identity too.
      const unverified = recipients.filter((recipient) => !coveringIdentity(region, recipient));
      if (unverified.length > 0) throw notVerified(regionName, unverified);
    }
    const dayAgo = new Date(context.now.getTime() - 86_400_000);
    if (context.state.sentSince(dayAgo) >= sendQuota(context.state.account).Max24HourSend) {
      throw new SesError('LimitExceededException', 'Daily message quota exceeded.');
    }

    const subject = subjectOf(context, content);
    const message: SesRecordedMessage = {
      messageId: messageId(),
      region: regionName,
      receivedAt: context.now.toISOString(),
      from,
      identity: identity.name,
      tenantName: tenantName ?? null,
      configurationSetName: configurationSetName ?? null,
      destination: { to, cc, bcc },
      subject,
      tags,
      request: structuredClone(input),
    };
    context.state.recordMessage(message);
    context.publish(mailEvents(context, message, configurationSet, context.now));
    return { MessageId: message.messageId };
  },
};
