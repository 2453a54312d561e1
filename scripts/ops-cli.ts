import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { sendGridSettings, sesSettings } from '../shared/composition/environment.js';
import { envelopeCipher } from '../shared/composition/keys.js';
import { providerRegistry } from '../shared/composition/providers.js';
import { integrationRepository } from '../shared/composition/store.js';
import type { EnvelopeCipher } from '../shared/crypto/envelope.js';
import { senderEmails } from '../shared/http/api-schemas.js';
import { checkIntegration, type HealthCheckDeps, type HealthOutcome } from '../shared/integrations/health-check.js';
import { type IntegrationRecord, toCard } from '../shared/integrations/integration-record.js';
import {
  type IntegrationDirectory,
  type IntegrationStore,
  IntegrationStoreError,
} from '../shared/integrations/integration-repository.js';
import { IntegrationError, updateSenders } from '../shared/integrations/integration-use-cases.js';
import { moveToSendGrid, moveToSes } from '../shared/integrations/provider-migration.js';
import { mapBounded } from '../shared/map-bounded.js';
import { DomainProblem } from '../shared/problem-catalog.js';
import type { ProviderRegistry } from '../shared/providers/provider-registry.js';
import { OpsAnnouncements } from './ops-announcements.js';
import { type LimitsTarget, tenantLimits } from './ops-limits.js';
import { type RedriveTarget, redrive } from './ops-redrive.js';

/** Where the operator's commands read and write. */
export interface OpsTarget {
  repository: IntegrationStore & IntegrationDirectory;
  cipher: EnvelopeCipher;
  providers: ProviderRegistry;
  /** Announces the card status changes a command writes on the service bus, and counts them. */
  announcements: OpsAnnouncements;
  describe: string;
  close(): Promise<void>;
}

export interface OpsIo {
  out(text: string): void;
  err(text: string): void;
  /** Asks a yes/no question; undefined when nobody can answer (no terminal). */
  confirm?(question: string): Promise<boolean>;
}

export const USAGE = `npm run ops -- <command> [options]

Commands
  list                                  every integration (never a key)
  show <tenant>                         one integration's card
  set-senders <tenant> <email>...       replace the senders (checked like the API does)
  verify <tenant> | verify --all        re-verify key, scopes and senders; updates the card's status
                                        (a changed status is announced on the service bus)
  migrate <tenant> --to ses --region <aws-region>
  migrate <tenant> --to sendgrid        move the tenant's sending to SES, or back with its kept SendGrid key
                                        (announced on the service bus)
  redrive                               dead letters back to the send queue: a dry run (count, tenants,
                                        ledger states), then --yes to move them
  tenant-limits --tenant <id> [--max-in-flight <n>] [--max-per-day <n>] [--clear]
                                        show, set or remove a tenant's caps on sends in flight and per
                                        day (UTC); held mail waits, it is not dropped

Where (default: the local runtime's data in .local-data; stop npm start first)
  --data-dir <dir>                      another local data folder
  --endpoint <url> --table <name> --keyring <file>   a running local runtime's DynamoDB
  --stack <name>                        a deployed stack: table, KMS key and service bus from its outputs
  --table <name> --key-arn <arn>        a deployed table and key given directly
  --bus <name>                          the service bus to announce card changes on (with --table; the
                                        stack's output EventBusName). Without one, changes are not announced
  --queue-url <url> --dlq-url <url> [--ledger-table <name>]   redrive: a deployed send queue and its
                                        dead-letter queue (default: the local runtime's dead letters)
  (deployed: AWS credentials and region from the environment; SES account from SES_ACCOUNT_ID)

Options
  --json                                machine-readable output
  --yes                                 do not ask before changing anything`;

interface Flags {
  json: boolean;
  yes: boolean;
  all: boolean;
  to?: string;
  region?: string;
}

/** Runs one operator command; resolves to the process exit code. */
export async function runOps(
  argv: string[],
  io: OpsIo,
  openTarget: (values: Record<string, unknown>) => Promise<OpsTarget>,
  openRedriveTarget?: (values: Record<string, unknown>) => Promise<RedriveTarget>,
  openLimitsTarget?: (values: Record<string, unknown>) => Promise<LimitsTarget>,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (!command || values.help) {
    io.out(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const flags: Flags = {
    json: values.json === true,
    yes: values.yes === true,
    all: values.all === true,
    ...(typeof values.to === 'string' ? { to: values.to } : {}),
    ...(typeof values.region === 'string' ? { region: values.region } : {}),
  };
  if (command === 'tenant-limits') {
    // The caps live in the send ledger table, not the integration table.
    if (!openLimitsTarget) {
      io.err('tenant-limits needs the send ledger; run it through npm run ops.\n');
      return 2;
    }
    const limitsTarget = await openLimitsTarget(values);
    try {
      return await tenantLimits(limitsTarget, values, io, flags.json);
    } finally {
      await limitsTarget.close();
    }
  }
  if (command === 'redrive') {
    // Queues and the ledger, not the integration table: opened on their own.
    if (!openRedriveTarget) {
      io.err('redrive needs the send queues; run it through npm run ops.\n');
      return 2;
    }
    const redriveTarget = await openRedriveTarget(values);
    try {
      return await redrive(redriveTarget, flags, io);
    } finally {
      await redriveTarget.close();
    }
  }
  const target = await openTarget(values);
  try {
    return await dispatch(command, args, flags, target, io);
  } catch (error) {
    if (error instanceof DomainProblem) {
      io.err(`${error.code}: ${error.detail}\n`);
      return 1;
    }
    throw error;
  } finally {
    await target.close();
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      all: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      to: { type: 'string' },
      region: { type: 'string' },
      'data-dir': { type: 'string' },
      endpoint: { type: 'string' },
      table: { type: 'string' },
      keyring: { type: 'string' },
      stack: { type: 'string' },
      'key-arn': { type: 'string' },
      bus: { type: 'string' },
      'queue-url': { type: 'string' },
      'dlq-url': { type: 'string' },
      'ledger-table': { type: 'string' },
      tenant: { type: 'string' },
      'max-in-flight': { type: 'string' },
      'max-per-day': { type: 'string' },
      clear: { type: 'boolean' },
    },
  });
}

async function dispatch(command: string, args: string[], flags: Flags, target: OpsTarget, io: OpsIo): Promise<number> {
  const print = (value: unknown, human: () => string) =>
    io.out(`${flags.json ? JSON.stringify(value, null, 2) : human()}\n`);
  switch (command) {
    case 'list': {
      const { records, unreadable } = await allRecords(target);
      if (unreadable.length > 0) {
        io.err(`Damaged items (cannot be read; delete them so the tenant can save again): ${unreadable.join(', ')}\n`);
      }
      const cards = records.map((record) => ({ tenantId: record.tenantId, ...toCard(record) }));
      print(cards, () =>
        table(
          ['tenant', 'provider', 'region', 'key id', 'status', 'senders', 'verified'],
          cards.map((card) => [
            card.tenantId,
            card.provider,
            card.region,
            card.keyId,
            card.status,
            card.emails.join(' '),
            card.lastVerifiedAt,
          ]),
        ),
      );
      return 0;
    }
    case 'show': {
      const record = await requireRecord(target, args[0]);
      const card = { tenantId: record.tenantId, ...toCard(record) };
      print(card, () =>
        table(
          ['field', 'value'],
          Object.entries(card).map(([key, value]) => [key, Array.isArray(value) ? value.join(' ') : String(value)]),
        ),
      );
      return 0;
    }
    case 'set-senders': {
      const [tenantId, ...emails] = args;
      const record = await requireRecord(target, tenantId);
      const checked = senderEmails.safeParse(emails);
      if (!checked.success) {
        io.err(
          `invalid_request: ${checked.error.issues.map((issue) => `${issue.path.join('.') || 'emails'} ${issue.message}`).join('; ')}\n`,
        );
        return 1;
      }
      if (
        !(await confirmed(
          io,
          flags,
          `Replace the senders of ${record.tenantId} (${record.emails.join(', ')}) with ${checked.data.join(', ')}?`,
        ))
      )
        return 3;
      const card = await updateSenders(target, record.tenantId, { emails: checked.data });
      print(card, () => `Senders of ${record.tenantId}: ${card.emails.join(', ')}`);
      return 0;
    }
    case 'verify': {
      const deps = {
        repository: target.repository,
        cipher: target.cipher,
        providers: target.providers,
        statusEvents: target.announcements,
        cause: 'operator_check' as const,
      };
      if (flags.all) {
        const summary = await verifyAll(deps);
        print({ ...summary, announcements: target.announcements.counts }, () =>
          table(
            ['outcome', 'tenants'],
            Object.entries(summary.outcomes).map(([outcome, count]) => [outcome, String(count)]),
          ),
        );
        reportAnnouncements(target.announcements, flags, io);
        return 0;
      }
      const record = await requireRecord(target, args[0]);
      const outcome = await checkIntegration(deps, record);
      print(
        { tenantId: record.tenantId, outcome, announcements: target.announcements.counts },
        () => `${record.tenantId}: ${outcome}`,
      );
      reportAnnouncements(target.announcements, flags, io);
      return outcome === 'active' ? 0 : 1;
    }
    case 'migrate': {
      const record = await requireRecord(target, args[0]);
      const deps = {
        repository: target.repository,
        cipher: target.cipher,
        providers: target.providers,
        statusEvents: target.announcements,
      };
      if (flags.to === 'ses') {
        if (!flags.region) {
          io.err('migrate --to ses needs --region <aws-region>: the region whose verified identities will send.\n');
          return 2;
        }
        if (!(await confirmed(io, flags, `Move ${record.tenantId} from SendGrid to Amazon SES (${flags.region})?`)))
          return 3;
        const card = await moveToSes(deps, record.tenantId, { region: flags.region });
        print(
          card,
          () => `${record.tenantId} now sends through Amazon SES (${card.region}) as SES tenant ${card.keyId}.`,
        );
        reportAnnouncements(target.announcements, flags, io);
        return 0;
      }
      if (flags.to === 'sendgrid') {
        if (!(await confirmed(io, flags, `Move ${record.tenantId} back to SendGrid with its kept key?`))) return 3;
        const card = await moveToSendGrid(deps, record.tenantId);
        print(card, () => `${record.tenantId} sends through SendGrid again (key ${card.keyId}, ${card.region}).`);
        reportAnnouncements(target.announcements, flags, io);
        return 0;
      }
      io.err('migrate needs --to ses or --to sendgrid.\n');
      return 2;
    }
    default:
      io.err(`Unknown command "${command}".\n\n${USAGE}\n`);
      return 2;
  }
}

/**
 * `verify --all`: every tenant checked now, as the health check's checker checks one (same
 * outcomes: a damaged item is `unreadable`, one deleted meanwhile `skipped`), a few at a time,
 * found page by page through the same keys-only directory the planner uses. No run is recorded.
 */
async function verifyAll(
  deps: HealthCheckDeps & { repository: IntegrationStore & IntegrationDirectory },
): Promise<{ checked: number; outcomes: Partial<Record<HealthOutcome, number>> }> {
  const summary = { checked: 0, outcomes: {} as Partial<Record<HealthOutcome, number>> };
  let pageToken: string | undefined;
  do {
    const page = await deps.repository.pageTenants({ scope: 'all', limit: 100, ...(pageToken ? { pageToken } : {}) });
    const outcomes = await mapBounded(page.tenantIds, 4, async (tenantId): Promise<HealthOutcome> => {
      try {
        const record = await deps.repository.get(tenantId);
        return record ? await checkIntegration(deps, record) : 'skipped';
      } catch (error) {
        if (error instanceof IntegrationStoreError && error.code === 'integration_unreadable') return 'unreadable';
        throw error;
      }
    });
    for (const outcome of outcomes) {
      summary.checked += 1;
      summary.outcomes[outcome] = (summary.outcomes[outcome] ?? 0) + 1;
    }
    pageToken = page.nextPageToken;
  } while (pageToken);
  return summary;
}

/**
 * Says how the run's card changes fared on the bus: on stdout for people when all were announced,
 * on stderr whenever some were not (the JSON output carries the counts as `announcements`).
 */
function reportAnnouncements(announcements: OpsAnnouncements, flags: Flags, io: OpsIo): void {
  const summary = announcements.summary();
  if (!summary) return;
  if (announcements.counts.failed > 0) io.err(`${summary}\n`);
  else if (!flags.json) io.out(`${summary}\n`);
}

async function confirmed(io: OpsIo, flags: Flags, question: string): Promise<boolean> {
  if (flags.yes) return true;
  if (!io.confirm) {
    io.err(`${question}\nNot changed: no terminal to ask. Add --yes to go ahead.\n`);
    return false;
  }
  const answer = await io.confirm(question);
  if (!answer) io.err('Not changed.\n');
  return answer;
}

async function allRecords(target: OpsTarget): Promise<{ records: IntegrationRecord[]; unreadable: string[] }> {
  const records: IntegrationRecord[] = [];
  const unreadable: string[] = [];
  let pageToken: string | undefined;
  do {
    const page = await target.repository.list({ limit: 100, ...(pageToken ? { pageToken } : {}) });
    records.push(...page.records);
    unreadable.push(...page.unreadable);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return { records: records.sort((a, b) => a.tenantId.localeCompare(b.tenantId)), unreadable: unreadable.sort() };
}

async function requireRecord(target: OpsTarget, tenantId: string | undefined): Promise<IntegrationRecord> {
  if (!tenantId) throw new IntegrationError('invalid_request', 'Name the tenant: e.g. npm run ops -- show <tenant>.');
  const record = await target.repository.get(tenantId);
  if (!record) throw new IntegrationError('not_found', `Tenant ${tenantId} has no email integration.`);
  return record;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** Builds the clients for a target given by flags (see USAGE), through the service's composition module. */
export async function targetFrom(parts: {
  tableName: string;
  dynamoEndpoint?: string;
  keyringFile?: string;
  kmsKeyArn?: string;
  sendGridUrls?: { global?: string; eu?: string };
  /** The service bus card changes are announced on; none: they are counted as not announced. */
  busName?: string;
  /** Announces instead of a publisher on `busName` (tests). */
  announcements?: OpsAnnouncements;
  describe: string;
  close?: () => Promise<void>;
}): Promise<OpsTarget> {
  const sendGrid = sendGridSettings(process.env);
  return {
    repository: integrationRepository({
      tableName: parts.tableName,
      ...(parts.dynamoEndpoint ? { endpoint: parts.dynamoEndpoint } : {}),
    }),
    cipher: envelopeCipher(
      parts.kmsKeyArn
        ? { kmsKeyId: parts.kmsKeyArn }
        : { keyringFile: parts.keyringFile ?? '.local-data/keyring.json' },
    ),
    providers: providerRegistry({
      sendGrid: { ...sendGrid, baseUrls: parts.sendGridUrls ?? sendGrid.baseUrls },
      ses: sesSettings(process.env),
    }),
    announcements: parts.announcements ?? new OpsAnnouncements(parts.busName),
    describe: parts.describe,
    close: parts.close ?? (async () => undefined),
  };
}

/** Asks on the terminal. */
export async function askOnTerminal(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}
