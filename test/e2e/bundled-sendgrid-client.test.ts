import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleLikeTheStack } from '../../infra/bundling/bundle-like-the-stack.js';
import { type SendGridSandbox, startSendGridSandbox } from '../../local/sendgrid-sandbox/index.js';
import type * as SendGridApiModule from '../../shared/providers/sendgrid/sendgrid-api.js';

/**
 * The bundles replace parts of the SendGrid client's dependencies (bundle-settings.ts: the MIME
 * table, `debug`). Only a bundled client shows those replacements still work: this one is built
 * as the stack builds a function and talks to the SendGrid sandbox.
 */
let sandbox: SendGridSandbox;
let bundled: typeof SendGridApiModule;
const outDir = mkdtempSync(join(tmpdir(), 'bundled-sendgrid-'));

beforeAll(async () => {
  sandbox = await startSendGridSandbox();
  const entry = join(outDir, 'entry.ts');
  const source = fileURLToPath(new URL('../../shared/providers/sendgrid/sendgrid-api.ts', import.meta.url));
  writeFileSync(entry, `export * from ${JSON.stringify(source)};\n`);
  const outfile = join(outDir, 'sendgrid-api.cjs');
  await bundleLikeTheStack(entry, outfile);
  bundled = createRequire(import.meta.url)(outfile) as typeof SendGridApiModule;
}, 60_000);
afterAll(async () => {
  await sandbox?.close();
  rmSync(outDir, { recursive: true, force: true });
});

describe('the SendGrid client as bundled for Lambda', () => {
  it('reads SendGrid’s answers and turns a refusal into a SendGridApiError with SendGrid’s message', async () => {
    const api = new bundled.SendGridApi({ baseUrls: { global: sandbox.globalUrl, eu: sandbox.euUrl } });
    const answer = await api.get<{ scopes: string[] }>('global', sandbox.key('good').apiKey, '/v3/scopes');
    expect(answer.status).toBe(200);
    expect(answer.body.scopes).toContain('mail.send');

    const refused = await api.get('global', sandbox.key('revoked').apiKey, '/v3/scopes').catch((error) => error);
    expect(refused).toBeInstanceOf(bundled.SendGridApiError);
    expect(refused).toMatchObject({ kind: 'http', status: 401 });
    expect(refused.errors[0]?.message).toMatch(/authorization grant is invalid/);
  });
});
