import { resolve } from 'node:path';
import { ConfigurationError, integerSetting } from '../shared/composition/environment.js';
import { DataFolderInUseError } from './dynamodb-local.js';
import { LOCAL_ENDPOINTS } from './local-endpoints.js';
import { startLocalRuntime } from './local-runtime.js';
import { demoKeyTable } from './sendgrid-sandbox/index.js';

/**
 * `npm start`: the service on http://127.0.0.1:3000 (PORT overrides) with embedded defaults —
 * dynalite under .local-data/ (DATA_DIR overrides), the local keyring, and the SendGrid
 * sandbox on the next two ports unless SENDGRID_API_BASE_URL / SENDGRID_EU_API_BASE_URL are set,
 * the SES sandbox on the third unless AWS_ENDPOINT_URL_SESV2 is set, and a local DNS server
 * (DNS_RESOLVERS) where the SES sandbox's control API publishes records.
 */
const port = readPort();
const dataDir = resolve(process.env.DATA_DIR ?? '.local-data');
const globalUrl = process.env.SENDGRID_API_BASE_URL;
const euUrl = process.env.SENDGRID_EU_API_BASE_URL;

/** `PORT` (0 picks free ports; the sandbox takes the next two), or a plain message and exit 1. */
function readPort(): number {
  try {
    return integerSetting(process.env, 'PORT', { fallback: 3000, min: 0, max: 65_533 });
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    process.stderr.write(`email-integrations could not start: ${error.message}\n`);
    process.exit(1);
  }
}

const runtime = await startLocalRuntime({
  dataDir,
  port,
  tenantClaim: process.env.TENANT_CLAIM ?? 'tenant_id',
  ...(globalUrl ? { sendGrid: { globalUrl, euUrl: euUrl ?? 'https://api.eu.sendgrid.com' } } : {}),
  // Predictable sandbox ports next to a fixed port; free ones when PORT=0 (tests).
  sandboxPorts: port === 0 ? { global: 0, eu: 0 } : { global: port + 1, eu: port + 2 },
  sesPort: port === 0 || port + 3 > 65_535 ? 0 : port + 3,
  // A tenant who published its records sees the domain verify without pressing "Check now".
  sesDomainCheckIntervalMs: 5_000,
}).catch((error: unknown) => {
  // Say what to do about the usual start-up problems instead of printing a stack trace.
  const code = (error as { code?: string }).code;
  if (error instanceof DataFolderInUseError || error instanceof ConfigurationError || code === 'EADDRINUSE') {
    const reason =
      code === 'EADDRINUSE'
        ? `port ${port} (or one of the next three) is taken; set PORT to another one`
        : (error as Error).message;
    process.stderr.write(`email-integrations could not start: ${reason}\n`);
    process.exit(1);
  }
  throw error;
});

const lines = [
  `email-integrations is running at ${runtime.url}`,
  `  data:     ${dataDir} (dynalite + local keyring; delete it to start over)`,
  runtime.sandbox
    ? `  SendGrid: sandbox at ${runtime.sandbox.globalUrl} (global) and ${runtime.sandbox.euUrl} (EU); accepted mail at ${runtime.sandbox.globalUrl}/__sandbox/messages`
    : `  SendGrid: ${globalUrl} (global), ${euUrl ?? 'https://api.eu.sendgrid.com'} (EU)`,
  runtime.ses.ses
    ? `  SES:      sandbox at ${runtime.ses.ses.url} (AWS_ENDPOINT_URL_SESV2); sent mail, DNS records and account at ${runtime.ses.ses.url}/__ses/messages, /__ses/dns, /__ses/account`
    : `  SES:      ${runtime.ses.endpoint} (AWS_ENDPOINT_URL_SESV2)`,
  `  DNS:      ${runtime.ses.dns.address} (DNS_RESOLVERS ${runtime.ses.resolvers}); publish a domain's records with POST /__ses/dns/identities/<domain>`,
  '  tenant:   send an "x-tenant-id" header (stands in for the JWT claim locally)',
  '  local-only endpoints:',
  ...LOCAL_ENDPOINTS.map((endpoint) => `    ${endpoint.method.padEnd(4)} ${endpoint.path}  ${endpoint.description}`),
  '',
];
process.stdout.write(`${lines.join('\n')}\n`);
if (runtime.sandbox) process.stdout.write(`Demo keys (sandbox only):\n${demoKeyTable(runtime.sandbox)}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    runtime.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
