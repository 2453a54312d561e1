/**
 * Everything this service knows about SendGrid's API keys, scopes and hosts, as data.
 * This is the only module in which SendGrid scope names appear; facts marked "observed"
 * in docs/sendgrid-facts.md come from users' reports, so they live here, easy to change.
 */

/** SendGrid regions a key can belong to. */
export type SendGridRegion = 'global' | 'eu';

/** The order in which an unknown key's region is probed: most accounts are global. */
export const SENDGRID_REGIONS: readonly SendGridRegion[] = ['global', 'eu'];

/** Whether a string names a SendGrid region. */
export function isSendGridRegion(value: string | undefined): value is SendGridRegion {
  return value !== undefined && (SENDGRID_REGIONS as readonly string[]).includes(value);
}

/** Public API hosts per region. EU regional subusers' keys work only on the EU host. */
export const SENDGRID_HOSTS: Readonly<Record<SendGridRegion, string>> = {
  global: 'https://api.sendgrid.com',
  eu: 'https://api.eu.sendgrid.com',
};

/** `SG.` + 22-character key id + `.` + 43-character secret: 69 characters in all. */
export const SENDGRID_API_KEY_PATTERN = /^SG\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** UI settings of SendGrid's "Restricted Access" form that this product asks for. */
export const MAIL_SEND_FULL_ACCESS = 'Mail Send → Full Access';
export const SENDER_AUTHENTICATION_READ_ACCESS = 'Sender Authentication → Read Access';

/**
 * How the scope policy treats a scope:
 * - `required`: the product cannot work without it;
 * - `allowed`: granted by a required UI setting along with a required scope (observed), harmless;
 * - `ignored`: pseudo-scopes SendGrid assigns by itself; they say nothing about access;
 * - `billing`: billing scopes, which SendGrid never combines with any other scope.
 */
export type ScopeRole = 'required' | 'allowed' | 'ignored' | 'billing';

/** One row of the scope table. `grantedBy` is the UI setting a customer changes to get or drop it. */
export interface ScopeRule {
  scope: string;
  role: ScopeRole;
  grantedBy: string;
}

const mailSendFamily = (scope: string): ScopeRule => ({ scope, role: 'allowed', grantedBy: MAIL_SEND_FULL_ACCESS });
const pseudoScope = (scope: string): ScopeRule => ({
  scope,
  role: 'ignored',
  grantedBy: 'assigned by SendGrid itself',
});
const billingScope = (scope: string): ScopeRule => ({
  scope,
  role: 'billing',
  grantedBy: 'Billing Access (a key type)',
});

/** The scope policy's table: every scope with a role other than "excess". */
export const SCOPE_RULES: readonly ScopeRule[] = [
  { scope: 'mail.send', role: 'required', grantedBy: MAIL_SEND_FULL_ACCESS },
  { scope: 'whitelabel.read', role: 'required', grantedBy: SENDER_AUTHENTICATION_READ_ACCESS },
  ...['mail.batch.create', 'mail.batch.delete', 'mail.batch.read', 'mail.batch.update'].map(mailSendFamily),
  ...[
    'user.scheduled_sends.create',
    'user.scheduled_sends.delete',
    'user.scheduled_sends.read',
    'user.scheduled_sends.update',
  ].map(mailSendFamily),
  ...['2fa_exempt', '2fa_required', 'sender_verification_eligible', 'sender_verification_exempt'].map(pseudoScope),
  ...['billing.create', 'billing.delete', 'billing.read', 'billing.update'].map(billingScope),
];

/**
 * SendGrid's permission list (its "API Key Permissions" page; docs/sendgrid-facts.md), grouped by the Restricted Access UI
 * setting that grants each scope, so an excess scope can be explained as "set X to No Access".
 * Sender Authentication's write scopes are listed too: Read Access is wanted, Full Access is not.
 */
export const SCOPE_CATALOG: ReadonlyArray<{ setting: string; scopes: readonly string[] }> = [
  {
    setting: 'Sender Authentication (set it to Read Access, not Full Access)',
    scopes: ['whitelabel.create', 'whitelabel.delete', 'whitelabel.update'],
  },
  {
    setting: 'Alerts',
    scopes: ['alerts.create', 'alerts.delete', 'alerts.read', 'alerts.update'],
  },
  {
    setting: 'API Keys',
    scopes: ['api_keys.create', 'api_keys.delete', 'api_keys.read', 'api_keys.update'],
  },
  {
    setting: 'Suppressions (unsubscribe groups)',
    scopes: ['asm.groups.create', 'asm.groups.delete', 'asm.groups.read', 'asm.groups.update'],
  },
  {
    setting: 'Category Management',
    scopes: [
      'categories.create',
      'categories.delete',
      'categories.read',
      'categories.update',
      'categories.stats.read',
      'categories.stats.sums.read',
    ],
  },
  {
    setting: 'Stats',
    scopes: [
      'clients.desktop.stats.read',
      'clients.phone.stats.read',
      'clients.stats.read',
      'clients.tablet.stats.read',
      'clients.webmail.stats.read',
      'email_activity.read',
      'stats.read',
      'stats.global.read',
      'browsers.stats.read',
      'devices.stats.read',
      'geo.stats.read',
      'mailbox_providers.stats.read',
    ],
  },
  {
    setting: 'Credentials',
    scopes: ['credentials.create', 'credentials.delete', 'credentials.read', 'credentials.update'],
  },
  {
    setting: 'IP Management',
    scopes: [
      'ips.assigned.read',
      'ips.read',
      'ips.pools.create',
      'ips.pools.delete',
      'ips.pools.read',
      'ips.pools.update',
      'ips.pools.ips.create',
      'ips.pools.ips.delete',
      'ips.pools.ips.read',
      'ips.pools.ips.update',
      'ips.warmup.create',
      'ips.warmup.delete',
      'ips.warmup.read',
      'ips.warmup.update',
    ],
  },
  {
    setting: 'Mail Settings',
    scopes: [
      'mail_settings.address_whitelist.read',
      'mail_settings.address_whitelist.update',
      'mail_settings.bcc.read',
      'mail_settings.bcc.update',
      'mail_settings.bounce_purge.read',
      'mail_settings.bounce_purge.update',
      'mail_settings.footer.read',
      'mail_settings.footer.update',
      'mail_settings.forward_bounce.read',
      'mail_settings.forward_bounce.update',
      'mail_settings.forward_spam.read',
      'mail_settings.forward_spam.update',
      'mail_settings.plain_content.read',
      'mail_settings.plain_content.update',
      'mail_settings.read',
      'mail_settings.spam_check.read',
      'mail_settings.spam_check.update',
      'mail_settings.template.read',
      'mail_settings.template.update',
    ],
  },
  {
    setting: 'Marketing Campaigns',
    scopes: [
      'marketing_campaigns.create',
      'marketing_campaigns.delete',
      'marketing_campaigns.read',
      'marketing_campaigns.update',
    ],
  },
  {
    setting: 'Marketing Campaigns (legacy newsletter)',
    scopes: ['newsletter.create', 'newsletter.delete', 'newsletter.read', 'newsletter.update'],
  },
  {
    setting: 'Partners',
    scopes: [
      'partner_settings.new_relic.read',
      'partner_settings.new_relic.update',
      'partner_settings.read',
      'partner_settings.sendwithus.read',
      'partner_settings.sendwithus.update',
    ],
  },
  {
    setting: 'Subusers',
    scopes: [
      'subusers.create',
      'subusers.delete',
      'subusers.read',
      'subusers.update',
      'subusers.credits.create',
      'subusers.credits.delete',
      'subusers.credits.read',
      'subusers.credits.update',
      'subusers.credits.remaining.create',
      'subusers.credits.remaining.delete',
      'subusers.credits.remaining.read',
      'subusers.credits.remaining.update',
      'subusers.monitor.create',
      'subusers.monitor.delete',
      'subusers.monitor.read',
      'subusers.monitor.update',
      'subusers.reputations.read',
      'subusers.stats.read',
      'subusers.stats.monthly.read',
      'subusers.stats.sums.read',
      'subusers.summary.read',
    ],
  },
  {
    setting: 'Suppressions',
    scopes: [
      'suppression.create',
      'suppression.delete',
      'suppression.read',
      'suppression.update',
      'suppression.bounces.create',
      'suppression.bounces.read',
      'suppression.bounces.update',
      'suppression.bounces.delete',
      'suppression.blocks.create',
      'suppression.blocks.read',
      'suppression.blocks.update',
      'suppression.blocks.delete',
      'suppression.invalid_emails.create',
      'suppression.invalid_emails.read',
      'suppression.invalid_emails.update',
      'suppression.invalid_emails.delete',
      'suppression.spam_reports.create',
      'suppression.spam_reports.read',
      'suppression.spam_reports.update',
      'suppression.spam_reports.delete',
      'suppression.unsubscribes.create',
      'suppression.unsubscribes.read',
      'suppression.unsubscribes.update',
      'suppression.unsubscribes.delete',
    ],
  },
  {
    setting: 'Teammates',
    scopes: ['teammates.create', 'teammates.read', 'teammates.update', 'teammates.delete'],
  },
  {
    setting: 'Template Engine',
    scopes: [
      'templates.create',
      'templates.delete',
      'templates.read',
      'templates.update',
      'templates.versions.activate.create',
      'templates.versions.activate.delete',
      'templates.versions.activate.read',
      'templates.versions.activate.update',
      'templates.versions.create',
      'templates.versions.delete',
      'templates.versions.read',
      'templates.versions.update',
    ],
  },
  {
    setting: 'Tracking',
    scopes: [
      'tracking_settings.click.read',
      'tracking_settings.click.update',
      'tracking_settings.google_analytics.read',
      'tracking_settings.google_analytics.update',
      'tracking_settings.open.read',
      'tracking_settings.open.update',
      'tracking_settings.read',
      'tracking_settings.subscription.read',
      'tracking_settings.subscription.update',
    ],
  },
  {
    setting: 'User Account',
    scopes: [
      'user.account.read',
      'user.credits.read',
      'user.email.create',
      'user.email.delete',
      'user.email.read',
      'user.email.update',
      'user.multifactor_authentication.create',
      'user.multifactor_authentication.delete',
      'user.multifactor_authentication.read',
      'user.multifactor_authentication.update',
      'user.password.read',
      'user.password.update',
      'user.profile.read',
      'user.profile.update',
      'user.settings.enforced_tls.read',
      'user.settings.enforced_tls.update',
      'user.timezone.read',
      'user.timezone.update',
      'user.username.read',
      'user.username.update',
    ],
  },
  {
    setting: 'Inbound Parse and Event Webhook',
    scopes: [
      'user.webhooks.event.settings.read',
      'user.webhooks.event.settings.update',
      'user.webhooks.event.test.create',
      'user.webhooks.event.test.read',
      'user.webhooks.event.test.update',
      'user.webhooks.parse.settings.create',
      'user.webhooks.parse.settings.delete',
      'user.webhooks.parse.settings.read',
      'user.webhooks.parse.settings.update',
      'user.webhooks.parse.stats.read',
    ],
  },
  {
    setting: 'IP Access Management',
    scopes: [
      'access_settings.activity.read',
      'access_settings.whitelist.create',
      'access_settings.whitelist.delete',
      'access_settings.whitelist.read',
      'access_settings.whitelist.update',
    ],
  },
];

/** A key that holds at least this share of the catalog's scopes is treated as a Full Access key. */
export const FULL_ACCESS_SHARE = 0.8;

/** Pagination sizes and safety caps for the list endpoints we read. */
export const SENDGRID_PAGINATION = {
  domainsPageSize: 100,
  verifiedSendersPageSize: 100,
  /** Stops a misbehaving upstream from keeping us paging forever (100 pages × 100 items). */
  maxPages: 100,
} as const;

/** Local parts offered for every valid authenticated domain: the product's conventions. */
export const SUGGESTED_SENDER_LOCAL_PARTS = ['info', 'noreply'] as const;

/** SendGrid API paths this service calls. */
export const SENDGRID_PATHS = {
  scopes: '/v3/scopes',
  authenticatedDomains: '/v3/whitelabel/domains',
  verifiedSenders: '/v3/verified_senders',
  mailSend: '/v3/mail/send',
} as const;
