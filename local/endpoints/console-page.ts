import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { build } from 'esbuild';
import { jsonResponse } from '../../shared/http/problem-response.js';
import type { LocalEndpoint } from '../local-endpoints.js';

const consoleDir = fileURLToPath(new URL('../console/', import.meta.url));

function asset(body: string, contentType: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode: 200, headers: { 'content-type': contentType, 'cache-control': 'no-store' }, body };
}

let bundled: Promise<string> | undefined;

/** The page's script, bundled once per runtime by esbuild. */
function consoleScript(): Promise<string> {
  bundled ??= build({
    entryPoints: [`${consoleDir}console.ts`],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: false,
    logLevel: 'silent',
  }).then((result) => result.outputFiles[0]?.text ?? '');
  return bundled;
}

/** `GET /`: the reference console page (Settings → Integrations → SendGrid). */
export const consolePageEndpoint: LocalEndpoint = {
  method: 'GET',
  path: '/',
  description: 'the reference console page: connect, rotate, edit, test and delete',
  async handle() {
    return asset(await readFile(`${consoleDir}index.html`, 'utf8'), 'text/html; charset=utf-8');
  },
};

export const consoleScriptEndpoint: LocalEndpoint = {
  method: 'GET',
  path: '/console.js',
  description: 'the console page’s script',
  async handle() {
    return asset(await consoleScript(), 'text/javascript; charset=utf-8');
  },
};

export const consoleStylesEndpoint: LocalEndpoint = {
  method: 'GET',
  path: '/console.css',
  description: 'the console page’s styles',
  async handle() {
    return asset(await readFile(`${consoleDir}console.css`, 'utf8'), 'text/css; charset=utf-8');
  },
};

/** `GET /local/sandbox/messages`: the sandbox's accepted mail, same origin as the page. */
export const sandboxMessagesEndpoint: LocalEndpoint = {
  method: 'GET',
  path: '/local/sandbox/messages',
  description: 'mail the embedded SendGrid sandbox accepted',
  async handle(_input, context) {
    return jsonResponse(200, { messages: context.sandbox?.messages() ?? [] });
  },
};
