import { join } from 'node:path';
import { runOps, targetFrom } from '../../scripts/ops-cli.js';
import type { LocalService } from './local-service.js';

/**
 * Runs `npm run ops` on a running local runtime's data: its integrations table, keyring and
 * SendGrid sandbox; `busName` to announce card changes on the runtime's local bus.
 */
export async function opsOnLocalService(
  service: LocalService,
  args: string[],
  options: { busName?: string } = {},
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps(args, { out: (text) => out.push(text), err: (text) => err.push(text) }, async () =>
    targetFrom({
      tableName: service.runtime.dynamoDb.tables.integrations as string,
      dynamoEndpoint: service.runtime.dynamoDb.endpoint,
      keyringFile: join(service.dataDir, 'keyring.json'),
      sendGridUrls: { global: service.sandbox.globalUrl, eu: service.sandbox.euUrl },
      ...options,
      describe: 'test',
    }),
  );
  return { code, out: out.join(''), err: err.join('') };
}
