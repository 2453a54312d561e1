import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { DnsRecord } from '../dns/index.js';
import type {
  SesAccountSettings,
  SesRecordedMessage,
  VerificationErrorType,
  VerificationState,
} from './sandbox-types.js';

/** A resource tag (`Tag` in the model). */
export interface StoredTag {
  Key: string;
  Value: string;
}

/** An SES tenant. */
export interface StoredTenant {
  name: string;
  id: string;
  createdAt: string;
  tags: StoredTag[];
  sendingStatus: 'ENABLED' | 'REINSTATED' | 'DISABLED';
  suppression?: { SuppressedReasons?: string[]; SuppressionScope?: string };
  reputationPolicy: string;
}

/** A DNS-checked status with the moments the checker needs to apply the delay and the window. */
export interface CheckedStatus {
  status: VerificationState;
  /** When SES started looking (identity created, MAIL FROM set): the detection window runs from here. */
  startedAt: string;
  /** Since when the records looked the way they look now (correct, or broken). */
  observedSince?: string;
  observedCorrect?: boolean;
  lastCheckedAt?: string;
  lastSuccessAt?: string;
  errorType?: VerificationErrorType;
}

/** An email identity: a domain (Easy DKIM) or an address. */
export interface StoredIdentity {
  name: string;
  type: 'DOMAIN' | 'EMAIL_ADDRESS';
  createdAt: string;
  tags: StoredTag[];
  configurationSetName?: string;
  /** Easy DKIM tokens (domains only). */
  dkimTokens: string[];
  signingKeyLength: 'RSA_1024_BIT' | 'RSA_2048_BIT';
  /** DKIM for domains; the address's own verification for addresses. */
  verification: CheckedStatus;
  mailFrom?: { domain: string; behaviorOnMxFailure: 'USE_DEFAULT_VALUE' | 'REJECT_MESSAGE'; check: CheckedStatus };
}

/** An EventBridge (or other) destination of a configuration set. */
export interface StoredEventDestination {
  Name: string;
  Enabled: boolean;
  MatchingEventTypes: string[];
  EventBridgeDestination?: { EventBusArn: string };
  [other: string]: unknown;
}

/** A configuration set: the request's options as given, plus its event destinations. */
export interface StoredConfigurationSet {
  name: string;
  createdAt: string;
  options: Record<string, unknown>;
  eventDestinations: StoredEventDestination[];
}

/** An email template (for SendEmail with `Template`). */
export interface StoredTemplate {
  name: string;
  createdAt: string;
  subject?: string;
  text?: string;
  html?: string;
}

/** A tenant-resource association. */
export interface StoredAssociation {
  tenantName: string;
  resourceArn: string;
  associatedAt: string;
}

/** Everything SES keeps in one region. */
export interface RegionState {
  tenants: Record<string, StoredTenant>;
  identities: Record<string, StoredIdentity>;
  configurationSets: Record<string, StoredConfigurationSet>;
  templates: Record<string, StoredTemplate>;
  associations: StoredAssociation[];
}

interface PersistedState {
  account: SesAccountSettings;
  regions: Record<string, RegionState>;
  dnsRecords: DnsRecord[];
  messages: SesRecordedMessage[];
}

/** Messages kept, newest last; a long-running `npm start` must not grow without bound. */
const MAX_STORED_MESSAGES = 1_000;

/** The account settings of a fresh sandbox: out of the SES sandbox, sending. */
export function defaultAccount(): SesAccountSettings {
  return { productionAccessEnabled: true, sendingEnabled: true, enforcementStatus: 'HEALTHY' };
}

/**
 * The sandbox's state: account settings, per-region SES resources, and accepted messages;
 * written to `stateFile` (when given) after every change, so a restart keeps it.
 */
export class SesState {
  account: SesAccountSettings = defaultAccount();
  private regions: Record<string, RegionState> = {};
  private accepted: SesRecordedMessage[] = [];
  /** DNS records read from the state file, for the zone to start with. */
  readonly savedDnsRecords: DnsRecord[] = [];

  constructor(
    readonly accountId: string,
    private readonly stateFile?: string,
  ) {
    if (stateFile && existsSync(stateFile)) {
      const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as PersistedState;
      this.account = { ...defaultAccount(), ...saved.account };
      this.regions = saved.regions ?? {};
      this.accepted = saved.messages ?? [];
      this.savedDnsRecords = saved.dnsRecords ?? [];
    }
  }

  /** The region's resources, created empty on first use. */
  region(name: string): RegionState {
    this.regions[name] ??= { tenants: {}, identities: {}, configurationSets: {}, templates: {}, associations: [] };
    return this.regions[name];
  }

  /** Every region with its name. */
  allRegions(): [string, RegionState][] {
    return Object.entries(this.regions);
  }

  recordMessage(message: SesRecordedMessage): void {
    this.accepted.push(message);
    if (this.accepted.length > MAX_STORED_MESSAGES) this.accepted.splice(0, this.accepted.length - MAX_STORED_MESSAGES);
  }

  /** Copies of the accepted messages, oldest first. */
  messages(): SesRecordedMessage[] {
    return structuredClone(this.accepted);
  }

  /** How many messages were accepted in the last 24 hours (SendQuota.SentLast24Hours). */
  sentSince(since: Date): number {
    return this.accepted.filter((message) => Date.parse(message.receivedAt) >= since.getTime()).length;
  }

  clearMessages(): void {
    this.accepted = [];
  }

  reset(): void {
    this.account = defaultAccount();
    this.regions = {};
    this.accepted = [];
  }

  /** Writes the state (with the zone's records) to the state file, atomically. */
  save(dnsRecords: DnsRecord[]): void {
    if (!this.stateFile) return;
    const persisted: PersistedState = {
      account: this.account,
      regions: this.regions,
      dnsRecords,
      messages: this.accepted,
    };
    const temporary = `${this.stateFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(persisted), { mode: 0o600 });
    renameSync(temporary, this.stateFile);
  }
}

/** The ARN of an SES resource in this account and region. */
export function resourceArn(
  region: string,
  accountId: string,
  kind: 'identity' | 'configuration-set' | 'template',
  name: string,
): string {
  return `arn:aws:ses:${region}:${accountId}:${kind}/${name}`;
}

/** A tenant's ARN: `arn:aws:ses:<region>:<account>:tenant/<name>/<id>` (docs/ses-facts.md, 1.3). */
export function tenantArn(region: string, accountId: string, tenant: StoredTenant): string {
  return `arn:aws:ses:${region}:${accountId}:tenant/${tenant.name}/${tenant.id}`;
}

/** What an SES resource ARN names, if it is one of this account and region. */
export function parseResourceArn(
  arn: string,
  region: string,
  accountId: string,
): { kind: 'EMAIL_IDENTITY' | 'CONFIGURATION_SET' | 'EMAIL_TEMPLATE'; name: string } | undefined {
  const match = /^arn:aws:ses:([a-z0-9-]+):(\d{12}):(identity|configuration-set|template)\/(.+)$/.exec(arn);
  if (!match || match[1] !== region || match[2] !== accountId) return undefined;
  const kind = (
    { identity: 'EMAIL_IDENTITY', 'configuration-set': 'CONFIGURATION_SET', template: 'EMAIL_TEMPLATE' } as const
  )[match[3] as 'identity' | 'configuration-set' | 'template'];
  return { kind, name: match[4] as string };
}

/** A new tenant id in the form SES shows (`tn-` and hex). */
export function newTenantId(): string {
  return `tn-${randomBytes(9).toString('hex')}`;
}
