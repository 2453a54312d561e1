import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, serviceLogger, withOwnLogger } from '../../shared/observability/logger.js';

const apiKey = `SG.${'k'.repeat(22)}.${'s'.repeat(43)}`;
let lines: string[];

beforeEach(() => {
  lines = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => vi.restoreAllMocks());

describe('createLogger', () => {
  it('never writes a key, whether in a message, a field, a header or an HTTP client error', () => {
    const logger = createLogger();
    const clientError = Object.assign(new Error(`Request failed for ${apiKey}`), {
      config: { headers: { Authorization: `Bearer ${apiKey}` } },
      request: { _header: `POST /v3/mail/send\r\nAuthorization: Bearer ${apiKey}` },
    });
    logger.error(`calling SendGrid with ${apiKey}`, {
      apiKey,
      headers: { Authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      note: `the key was ${apiKey.slice(0, 30)}`,
      error: clientError,
    });
    const output = lines.join('');
    expect(output).toContain('calling SendGrid with SG.[REDACTED]');
    expect(output).toContain('application/json');
    expect(output).not.toContain('kkkkkkkkkk');
    expect(output).not.toContain('ssssssssss');
    expect(output).not.toContain('Bearer SG');
  });
});

describe('serviceLogger', () => {
  const written = () =>
    lines
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it('keeps each concurrent invocation’s tenant on its own lines when each runs with its own logger', async () => {
    const invocation = (tenantId: string, waitMs: number) =>
      withOwnLogger(async () => {
        serviceLogger().appendKeys({ tenantId });
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        serviceLogger().info(`handled for ${tenantId}`);
      });
    await Promise.all([invocation('tenant-a', 20), invocation('tenant-b', 1)]);
    const handled = written().filter((line) => String(line.message).startsWith('handled for'));
    expect(handled).toHaveLength(2);
    for (const line of handled) expect(line.message).toBe(`handled for ${line.tenantId}`);
  });

  it('is the process’s one logger outside such an invocation, as in Lambda', () => {
    serviceLogger().appendKeys({ tenantId: 'tenant-c' });
    serviceLogger().info('one invocation at a time');
    serviceLogger().removeKeys(['tenantId']);
    expect(written().find((line) => line.message === 'one invocation at a time')).toMatchObject({
      tenantId: 'tenant-c',
    });
    expect(serviceLogger()).toBeInstanceOf(Logger);
  });
});
