import { resolve } from 'node:path';
import { LOCAL_AWS_ENVIRONMENT, serviceTables, startLocalDynamoDb } from '../local/dynamodb-local.js';
import { TenantCaps, type TenantLimits } from '../shared/sending/tenant-caps.js';
import { isTenantId } from '../shared/tenant-id.js';

/** Where `npm run ops -- tenant-limits` reads and writes: the send ledger table's cap items. */
export interface LimitsTarget {
  caps: TenantCaps;
  close(): Promise<void>;
}

/** What the command prints and asks through. */
interface LimitsIo {
  out(text: string): void;
  err(text: string): void;
}

/**
 * `npm run ops -- tenant-limits --tenant <id> [--max-in-flight <n>] [--max-per-day <n>] [--clear]`:
 * shows a tenant's caps, or sets them (whole numbers ≥ 1), or removes them. Warm send functions
 * pick a change up within a minute.
 */
export async function tenantLimits(
  target: LimitsTarget,
  values: Record<string, unknown>,
  io: LimitsIo,
  json: boolean,
): Promise<number> {
  const tenantId = values.tenant;
  if (!isTenantId(tenantId)) {
    io.err('tenant-limits needs --tenant <tenant id>.\n');
    return 2;
  }
  const limits: TenantLimits = {};
  for (const [flag, field] of [
    ['max-in-flight', 'maxInFlight'],
    ['max-per-day', 'maxPerDay'],
  ] as const) {
    const text = values[flag];
    if (text === undefined) continue;
    const value = typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < 1) {
      io.err(`--${flag} must be a whole number of at least 1 (got "${String(text)}"); --clear removes the caps.\n`);
      return 2;
    }
    limits[field] = value;
  }
  const changing = values.clear === true || Object.keys(limits).length > 0;
  if (changing) {
    const current = values.clear === true ? {} : { ...(await target.caps.limits(tenantId)), ...limits };
    await target.caps.setLimits(tenantId, current);
  }
  const now = await target.caps.limits(tenantId);
  io.out(
    json
      ? `${JSON.stringify({ tenantId, ...now }, null, 2)}\n`
      : `${tenantId}: ${now.maxInFlight === undefined ? 'no cap in flight' : `at most ${now.maxInFlight} in flight`}, ${now.maxPerDay === undefined ? 'no daily cap' : `at most ${now.maxPerDay} per day (UTC)`}${changing ? ' — send functions apply it within a minute' : ''}\n`,
  );
  return 0;
}

/** The send ledger table: `--ledger-table` (deployed; with `--endpoint`, a running local runtime's), else the local data folder. */
export async function openLimitsTarget(values: Record<string, unknown>): Promise<LimitsTarget> {
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const endpoint = text('endpoint');
  const ledgerTable = text('ledger-table');
  if (endpoint) {
    Object.assign(process.env, { ...LOCAL_AWS_ENVIRONMENT, ...process.env });
    const tableName = ledgerTable ?? (serviceTables().sendLedger.TableName as string);
    return { caps: new TenantCaps({ tableName, clientConfig: { endpoint } }), close: async () => undefined };
  }
  if (ledgerTable) return { caps: new TenantCaps({ tableName: ledgerTable }), close: async () => undefined };
  Object.assign(process.env, LOCAL_AWS_ENVIRONMENT);
  const dataDir = resolve(text('data-dir') ?? process.env.DATA_DIR ?? '.local-data');
  const dynamo = await startLocalDynamoDb({ dataDir, tables: serviceTables() });
  return {
    caps: new TenantCaps({
      tableName: dynamo.tables.sendLedger as string,
      clientConfig: { endpoint: dynamo.endpoint },
    }),
    close: () => dynamo.close(),
  };
}
