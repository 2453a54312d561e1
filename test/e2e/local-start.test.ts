import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiClient } from './local-service.js';

const root = join(import.meta.dirname, '..', '..');

/** Runs the `npm start` entry point (PORT=0) and waits for the line that names its URL. */
async function start(dataDir: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, POWERTOOLS_LOG_LEVEL: 'WARN' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
      const match = /running at (http:\/\/\S+)/.exec(output);
      if (match?.[1] && output.includes('Demo keys')) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`local runtime exited with ${code}: ${output}`)));
  });
  return { child, url, output: () => output };
}

/** Runs the `npm start` entry point to its end, for starts that must be refused. */
function startToRefusal(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('npm start (local/main.ts)', () => {
  const children: ChildProcess[] = [];
  afterEach(async () => {
    await Promise.all(children.map(stop));
  });

  // Two cold starts of `npm start` (tsx compiles on the fly): slow on a loaded 2-core machine.
  it('prints the demo keys and keeps saved integrations across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'email-integrations-start-'));
    const first = await start(dataDir);
    children.push(first.child);
    const goodKey = /^\s*good\s+(SG\.\S+)/m.exec(first.output())?.[1];
    expect(first.output()).toMatch(/missing-whitelabel-read/);
    expect(goodKey).toMatch(/^SG\.[\w-]{22}\.[\w-]{43}$/);

    const saved = await apiClient(first.url, 'restart-tenant').save(goodKey as string, ['info@acme.example']);
    expect(saved.status).toBe(201);
    await stop(first.child);

    const second = await start(dataDir);
    children.push(second.child);
    const card = await apiClient(second.url, 'restart-tenant').card();

    expect(card.status).toBe(200);
    expect(card.body).toMatchObject({ emails: ['info@acme.example'], keyVersion: 1 });
    expect((await apiClient(second.url, 'restart-tenant').editEmails(['noreply@acme.example'])).status).toBe(200);

    // A second runtime on the same data folder says why it cannot start, instead of crashing.
    const rival = startToRefusal({ PORT: '0', DATA_DIR: dataDir });
    expect(rival.status).toBe(1);
    expect(rival.stderr).toContain('is in use by another process');
  }, 90_000);

  it('refuses a malformed PORT with a message naming it', () => {
    const started = startToRefusal({ PORT: 'three thousand' });
    expect(started.status).toBe(1);
    expect(started.stderr).toContain('PORT is "three thousand"');
  });

  it('lists the SES sandbox and the local DNS server it starts', async () => {
    const started = await start(mkdtempSync(join(tmpdir(), 'email-integrations-start-ses-')));
    children.push(started.child);
    const sesUrl = /SES:\s+sandbox at (http:\/\/\S+) \(AWS_ENDPOINT_URL_SESV2\)/.exec(started.output())?.[1];
    expect(started.output()).toMatch(/DNS:\s+127\.0\.0\.1:\d+ \(DNS_RESOLVERS 127\.0\.0\.1:\d+\)/);
    const account = await fetch(`${sesUrl}/__ses/account`);
    expect(await account.json()).toEqual({ sandbox: false, sendingEnabled: true, enforcementStatus: 'HEALTHY' });
  });

  it('refuses a SendGrid base URL that is not a URL, naming it', () => {
    const started = startToRefusal({
      PORT: '0',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'email-integrations-start-')),
      SENDGRID_API_BASE_URL: 'api.sendgrid.com',
    });
    expect(started.status).toBe(1);
    expect(started.stderr).toContain(
      'could not start: Environment variable SENDGRID_API_BASE_URL is "api.sendgrid.com"',
    );
  });
});
