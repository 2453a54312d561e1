import type { DnsRecord, DnsZone, NewDnsRecord } from '../dns/index.js';

/** The verification states SES reports for identities, DKIM and MAIL FROM domains. */
export type VerificationState = 'PENDING' | 'SUCCESS' | 'FAILED' | 'TEMPORARY_FAILURE' | 'NOT_STARTED';

/** Why the last look-up failed, in SES's `VerificationError` words. */
export type VerificationErrorType = 'HOST_NOT_FOUND' | 'TYPE_NOT_FOUND' | 'INVALID_VALUE' | 'DNS_SERVER_ERROR';

/** Account-level settings `GetAccount` reports; one set for every region the sandbox plays. */
export interface SesAccountSettings {
  /** `false` = the SES sandbox: only verified recipients, 200 messages a day. */
  productionAccessEnabled: boolean;
  /** `false` answers SendEmail with SendingPausedException. */
  sendingEnabled: boolean;
  /** `SHUTDOWN` answers SendEmail with AccountSuspendedException. */
  enforcementStatus: 'HEALTHY' | 'PROBATION' | 'SHUTDOWN';
}

/** A message SendEmail accepted, as the control API shows it. */
export interface SesRecordedMessage {
  messageId: string;
  region: string;
  receivedAt: string;
  /** The address part of FromEmailAddress, and the identity it was sent under. */
  from: string;
  identity: string;
  tenantName: string | null;
  configurationSetName: string | null;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string | null;
  tags: Record<string, string>;
  /** The request's input as the SDK sent it (`Content`, `Destination`, …). */
  request: Record<string, unknown>;
}

/** An EventBridge event as SES puts it on the default bus (docs/ses-facts.md, sections 1.9 and 3). */
export interface SesEventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: 'aws.ses';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** A failure to inject into the next matching SES request(s). */
export interface SesFaultSpec {
  /** The operation to hit, e.g. `SendEmail`; default every operation. */
  operation?: string;
  /** An error shape of the model (`TooManyRequestsException` …), answered with its own status. */
  error?: string;
  /** A bare status (500, 503 …) answered as AWS's `InternalFailure` / `ServiceUnavailable`. */
  status?: number;
  /** How many requests the fault hits; default 1. */
  times?: number;
  /** Answer slowly: wait this long first. */
  delayMs?: number;
  /** 'reset' destroys the socket (the outcome of the call is unknown to the client). */
  kind?: 'reset';
}

/** Options for `startSesSandbox`. */
export interface SesSandboxOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The account id in ARNs and events; default 123456789012. */
  accountId?: string;
  /** Region for requests that carry no SigV4 credential scope; default eu-west-1. */
  defaultRegion?: string;
  /** Keeps identities, tenants, DNS records and messages across restarts (a JSON file). */
  stateFile?: string;
  /** The zone the control API publishes records into (the local DNS server's). */
  zone?: DnsZone;
  /** DNS servers the sandbox verifies through (`127.0.0.1:<port>`); no DNS checks without them. */
  dnsServers?: string[];
  /** How long records must resolve correctly (or stay broken) before a status changes; default 3000 ms. */
  verificationDelayMs?: number;
  /** How often identities are re-checked through DNS; default 1000 ms. */
  checkIntervalMs?: number;
  /** SES gives up on records not found for this long (72 hours, as SES). */
  detectionWindowMs?: number;
  /** Receives SES-shaped events: sends of configuration sets with an enabled EventBridge destination, tenant status changes. */
  onEvent?: (event: SesEventBridgeEvent) => void | Promise<void>;
  /** Receives one line per request: operation and status only. */
  log?: (line: string) => void;
}

/** A running SES sandbox. */
export interface SesSandbox {
  /** What `AWS_ENDPOINT_URL_SESV2` (or the client's `endpoint`) takes, e.g. http://127.0.0.1:PORT. */
  url: string;
  accountId: string;
  zone: DnsZone;
  messages(): SesRecordedMessage[];
  /** The SES-shaped EventBridge events published so far, oldest first (also handed to `onEvent`). */
  events(): SesEventBridgeEvent[];
  /** Publishes a record in the zone; verification follows after the delay. */
  publish(record: NewDnsRecord): DnsRecord;
  /** The DNS records SES asks for this domain identity (DKIM CNAMEs; MAIL FROM MX and SPF when set). */
  recordsFor(region: string, identity: string): NewDnsRecord[];
  /** Re-checks every identity through DNS now (otherwise it happens every `checkIntervalMs`). */
  checkNow(): Promise<void>;
  setAccount(settings: Partial<SesAccountSettings>): SesAccountSettings;
  injectFault(fault: SesFaultSpec): void;
  clearFaults(): void;
  /** Forgets everything: identities, tenants, configuration sets, records, messages, faults. */
  reset(): void;
  close(): Promise<void>;
}
