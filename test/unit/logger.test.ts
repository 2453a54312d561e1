import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../shared/observability/logger.js';

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
