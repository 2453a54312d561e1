import { join } from 'node:path';
import { sesRegions } from '../../shared/composition/environment.js';
import { type LocalDnsServer, startDnsServer } from '../dns/index.js';
import { ensureConfigurationSet, LOCAL_CONFIGURATION_SET } from '../ses-configuration-set.js';
import { startSesSandbox } from './index.js';
import type { SesEventBridgeEvent, SesSandbox } from './sandbox-types.js';

/** Options for {@link startLocalSes}. */
export interface LocalSesOptions {
  /** The SES sandbox keeps its state in `<dataDir>/ses-sandbox.json`, beside the local runtime's data. */
  dataDir: string;
  /** Port of the SES sandbox; 0 picks a free one. The DNS server always takes a free port. */
  sesPort?: number;
  /** How long published records must resolve before SES's status follows (default 3 s). */
  verificationDelayMs?: number;
  checkIntervalMs?: number;
  /** Receives the sandbox's SES-shaped EventBridge events. */
  onEvent?: (event: SesEventBridgeEvent) => void | Promise<void>;
  /** The environment to read and to fill in (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** Amazon SES and DNS for the local runtime and `npm run ops`. */
export interface LocalSes {
  /** The sandbox, unless `AWS_ENDPOINT_URL_SESV2` already pointed the service at another SES. */
  ses: SesSandbox | undefined;
  dns: LocalDnsServer;
  /** `AWS_ENDPOINT_URL_SESV2`, `DNS_RESOLVERS` (and `SES_ACCOUNT_ID`, `SES_CONFIGURATION_SET`, `SES_REGIONS`) as the service now sees them. */
  endpoint: string | undefined;
  resolvers: string;
  /** Stops both and takes back the environment variables this set. */
  close(): Promise<void>;
}

/**
 * Starts the local DNS server and (unless `AWS_ENDPOINT_URL_SESV2` is set) the SES sandbox that
 * verifies through it, and points the service at them through the standard variables —
 * `AWS_ENDPOINT_URL_SESV2`, `DNS_RESOLVERS`, `SES_ACCOUNT_ID` — leaving any already set alone.
 */
export async function startLocalSes(options: LocalSesOptions): Promise<LocalSes> {
  const env = options.env ?? process.env;
  const dns = await startDnsServer();
  const ses = env.AWS_ENDPOINT_URL_SESV2
    ? undefined
    : await startSesSandbox({
        port: options.sesPort ?? 0,
        stateFile: join(options.dataDir, 'ses-sandbox.json'),
        zone: dns.zone,
        dnsServers: [dns.address],
        ...(options.verificationDelayMs === undefined ? {} : { verificationDelayMs: options.verificationDelayMs }),
        ...(options.checkIntervalMs === undefined ? {} : { checkIntervalMs: options.checkIntervalMs }),
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      }).catch(async (error: unknown) => {
        await dns.close();
        throw error;
      });
  const wanted: Record<string, string | undefined> = {
    AWS_ENDPOINT_URL_SESV2: ses?.url,
    DNS_RESOLVERS: dns.address,
    SES_ACCOUNT_ID: ses?.accountId,
    // The stack's configuration set and allowed regions, played by the sandbox.
    SES_CONFIGURATION_SET: ses ? LOCAL_CONFIGURATION_SET : undefined,
    // One region, as a stack allows only its own (README, Deploying: one SES region per stack).
    SES_REGIONS: ses ? 'eu-west-1' : undefined,
  };
  const set: Record<string, string> = {};
  for (const [name, value] of Object.entries(wanted)) {
    if (value === undefined || env[name]) continue;
    env[name] = value;
    set[name] = value;
  }
  if (ses && env.SES_CONFIGURATION_SET) {
    // As the stack does in AWS: the configuration set every send names, publishing to EventBridge.
    await ensureConfigurationSet({
      endpoint: ses.url,
      accountId: ses.accountId,
      name: env.SES_CONFIGURATION_SET,
      regions: sesRegions(env),
    });
  }
  return {
    ses,
    dns,
    endpoint: env.AWS_ENDPOINT_URL_SESV2,
    resolvers: env.DNS_RESOLVERS ?? dns.address,
    close: async () => {
      // Only what this set, and only if nobody changed it since: the next runtime in this process starts clean.
      for (const [name, value] of Object.entries(set)) if (env[name] === value) delete env[name];
      await ses?.close();
      await dns.close();
    },
  };
}
