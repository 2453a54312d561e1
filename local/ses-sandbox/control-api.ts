import { type DnsZone, DnsZoneError, type NewDnsRecord, type RecordType } from '../dns/index.js';
import { statusChangeEvent } from './event-publishing.js';
import type { FaultQueue } from './faults.js';
import { identityRecords } from './identity-records.js';
import { emptyReply, jsonReply, type Reply } from './replies.js';
import type { SesAccountSettings, SesEventBridgeEvent, SesFaultSpec } from './sandbox-types.js';
import type { SesState } from './ses-state.js';

/** Where the sandbox's own control endpoints live, apart from SES's `/v2`. */
export const CONTROL_PREFIX = '/__ses';

/** What the control API works on. */
export interface ControlDeps {
  state: SesState;
  zone: DnsZone;
  faults: FaultQueue;
  defaultRegion: string;
  now: () => Date;
  publish(events: SesEventBridgeEvent[]): void;
  /** The events published so far (oldest first), and forgetting them. */
  publishedEvents(): SesEventBridgeEvent[];
  clearEvents(): void;
  /** Whether a name is an error shape of the model (for injected faults). */
  isErrorShape(name: string): boolean;
  changed(): void;
}

/** Why a control request was refused. */
class ControlError extends Error {
  override readonly name = 'ControlError';

  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

/**
 * The sandbox's control API, for people, the console and tests:
 *   GET/POST/DELETE /__ses/dns                 the local DNS zone: list / publish {type,name,value} / remove matching
 *   POST  /__ses/dns/identities/{identity}     publish every record SES asks for that identity ({region?})
 *   GET/DELETE /__ses/messages                 accepted messages (oldest first) / forget them
 *   GET/DELETE /__ses/events                   SES-shaped EventBridge events published (oldest first) / forget them
 *   GET/POST /__ses/account                    {sandbox, sendingEnabled, enforcementStatus}
 *   POST  /__ses/identities/{identity}/verify  verified now, as if its link was clicked or its records found ({region?})
 *   POST  /__ses/tenants/{name}/sending-status SES pauses or resumes a tenant ({status: ENABLED|DISABLED, region?})
 *   POST/DELETE /__ses/faults                  inject a fault (see SesFaultSpec) / clear them
 *   POST  /__ses/reset                         forget everything
 * Answers are plain JSON; errors are `{"error": "...", "field": ...}` with 400, 404 or 409.
 */
export function answerControl(method: string, url: URL, body: Buffer, deps: ControlDeps): Reply {
  try {
    const reply = route(method, url, body, deps);
    if (method !== 'GET') deps.changed();
    return reply;
  } catch (error) {
    if (error instanceof ControlError) return jsonReply(error.status, { error: error.message, field: error.field });
    if (error instanceof DnsZoneError) {
      return jsonReply(error.reason === 'conflict' ? 409 : 400, { error: error.message, field: error.field });
    }
    if (error instanceof SyntaxError) return jsonReply(400, { error: 'The body is not valid JSON.', field: null });
    throw error;
  }
}

function route(method: string, url: URL, body: Buffer, deps: ControlDeps): Reply {
  const path = url.pathname.slice(CONTROL_PREFIX.length);
  const input = () => readJson(body);
  const regionOf = (values: Record<string, unknown>) =>
    typeof values.region === 'string' ? values.region : (url.searchParams.get('region') ?? deps.defaultRegion);

  const publishIdentity = /^\/dns\/identities\/([^/]+)$/.exec(path);
  if (publishIdentity?.[1] && method === 'POST') {
    const values = input();
    const identity = findIdentity(deps, regionOf(values), decodeURIComponent(publishIdentity[1]));
    const records = identityRecords(regionOf(values), identity).map((record) => replace(deps.zone, record));
    return jsonReply(201, { records });
  }
  const verify = /^\/identities\/([^/]+)\/verify$/.exec(path);
  if (verify?.[1] && method === 'POST') {
    const identity = findIdentity(deps, regionOf(input()), decodeURIComponent(verify[1]));
    const now = deps.now().toISOString();
    identity.verification = { ...identity.verification, status: 'SUCCESS', lastSuccessAt: now, lastCheckedAt: now };
    return emptyReply(204);
  }
  const sendingStatus = /^\/tenants\/([^/]+)\/sending-status$/.exec(path);
  if (sendingStatus?.[1] && method === 'POST') {
    const values = input();
    const regionName = regionOf(values);
    const tenant = deps.state.region(regionName).tenants[decodeURIComponent(sendingStatus[1])];
    if (!tenant)
      throw new ControlError(404, `No tenant ${decodeURIComponent(sendingStatus[1])} in ${regionName}.`, 'name');
    if (values.status !== 'ENABLED' && values.status !== 'DISABLED') {
      throw new ControlError(400, 'status must be "ENABLED" or "DISABLED".', 'status');
    }
    if (tenant.sendingStatus !== values.status) {
      tenant.sendingStatus = values.status;
      const cause = typeof values.cause === 'string' ? values.cause : 'Set through the sandbox control API.';
      deps.publish([
        statusChangeEvent({ regionName, state: deps.state, now: deps.now() }, tenant, 'AWS_MANAGED', cause),
      ]);
    }
    return emptyReply(204);
  }

  switch (`${method} ${path}`) {
    case 'GET /dns':
      return jsonReply(200, { records: deps.zone.list() });
    case 'POST /dns':
      return jsonReply(201, deps.zone.add(newRecord(input())));
    case 'DELETE /dns': {
      const values = body.length > 0 ? input() : Object.fromEntries(url.searchParams);
      const filter = {
        ...(typeof values.type === 'string' ? { type: values.type as RecordType } : {}),
        ...(typeof values.name === 'string' ? { name: values.name } : {}),
        ...(typeof values.value === 'string' ? { value: values.value } : {}),
      };
      return jsonReply(200, { removed: deps.zone.remove(filter) });
    }
    case 'GET /messages':
      return jsonReply(200, { messages: deps.state.messages() });
    case 'DELETE /messages':
      deps.state.clearMessages();
      return emptyReply(204);
    case 'GET /events':
      return jsonReply(200, { events: deps.publishedEvents() });
    case 'DELETE /events':
      deps.clearEvents();
      return emptyReply(204);
    case 'GET /account':
      return jsonReply(200, accountView(deps.state.account));
    case 'POST /account':
      deps.state.account = { ...deps.state.account, ...accountChange(input()) };
      return jsonReply(200, accountView(deps.state.account));
    case 'POST /faults': {
      const spec = faultSpec(input());
      if (spec.error !== undefined && !deps.isErrorShape(spec.error)) {
        throw new ControlError(
          400,
          `error must name an error shape of the SESv2 model, e.g. TooManyRequestsException.`,
          'error',
        );
      }
      deps.faults.add(spec);
      return emptyReply(204);
    }
    case 'DELETE /faults':
      deps.faults.clear();
      return emptyReply(204);
    case 'POST /reset':
      deps.state.reset();
      deps.zone.remove();
      deps.faults.clear();
      deps.clearEvents();
      return emptyReply(204);
    default:
      throw new ControlError(404, `No SES sandbox control endpoint ${method} ${CONTROL_PREFIX}${path}.`);
  }
}

/** The account as the control API shows it: `sandbox` is the opposite of production access. */
function accountView(account: SesAccountSettings): Record<string, unknown> {
  return {
    sandbox: !account.productionAccessEnabled,
    sendingEnabled: account.sendingEnabled,
    enforcementStatus: account.enforcementStatus,
  };
}

function accountChange(values: Record<string, unknown>): Partial<SesAccountSettings> {
  const change: Partial<SesAccountSettings> = {};
  if (values.sandbox !== undefined) {
    if (typeof values.sandbox !== 'boolean') throw new ControlError(400, 'sandbox must be true or false.', 'sandbox');
    change.productionAccessEnabled = !values.sandbox;
  }
  if (values.sendingEnabled !== undefined) {
    if (typeof values.sendingEnabled !== 'boolean') {
      throw new ControlError(400, 'sendingEnabled must be true or false.', 'sendingEnabled');
    }
    change.sendingEnabled = values.sendingEnabled;
  }
  if (values.enforcementStatus !== undefined) {
    if (!['HEALTHY', 'PROBATION', 'SHUTDOWN'].includes(values.enforcementStatus as string)) {
      throw new ControlError(400, 'enforcementStatus must be HEALTHY, PROBATION or SHUTDOWN.', 'enforcementStatus');
    }
    change.enforcementStatus = values.enforcementStatus as SesAccountSettings['enforcementStatus'];
  }
  return change;
}

function findIdentity(deps: ControlDeps, region: string, name: string) {
  const identity = deps.state.region(region).identities[name.toLowerCase()];
  if (!identity) throw new ControlError(404, `No email identity ${name} in ${region}.`, 'identity');
  return identity;
}

/** Publishes a record in place of any other record of that type at that name (a CNAME is fixed by replacing it). */
function replace(zone: DnsZone, record: NewDnsRecord) {
  if (record.type !== 'TXT') zone.remove({ type: record.type, name: record.name });
  return zone.add(record);
}

function newRecord(values: Record<string, unknown>): NewDnsRecord {
  const type = typeof values.type === 'string' ? values.type.toUpperCase() : values.type;
  if (typeof values.name !== 'string') throw new ControlError(400, 'name must be a string.', 'name');
  if (typeof values.value !== 'string') throw new ControlError(400, 'value must be a string.', 'value');
  if (values.ttl !== undefined && typeof values.ttl !== 'number')
    throw new ControlError(400, 'ttl must be a number.', 'ttl');
  return {
    type: type as RecordType,
    name: values.name,
    value: values.value,
    ...(values.ttl === undefined ? {} : { ttl: values.ttl as number }),
  };
}

function readJson(body: Buffer): Record<string, unknown> {
  const value: unknown = JSON.parse(body.toString('utf8') || '{}');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ControlError(400, 'The body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

function faultSpec(values: Record<string, unknown>): SesFaultSpec {
  const spec: SesFaultSpec = {};
  const numberField = (name: 'status' | 'times' | 'delayMs', min: number, max: number) => {
    const value = values[name];
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ControlError(400, `${name} must be an integer from ${min} to ${max}.`, name);
    }
    spec[name] = value;
  };
  numberField('status', 400, 599);
  numberField('times', 1, 10_000);
  numberField('delayMs', 0, 120_000);
  for (const name of ['operation', 'error'] as const) {
    if (values[name] === undefined) continue;
    if (typeof values[name] !== 'string') throw new ControlError(400, `${name} must be a string.`, name);
    spec[name] = values[name] as string;
  }
  if (values.kind !== undefined) {
    if (values.kind !== 'reset') throw new ControlError(400, 'kind must be "reset".', 'kind');
    spec.kind = 'reset';
  }
  return spec;
}
