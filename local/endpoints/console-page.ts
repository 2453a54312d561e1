import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { build } from 'esbuild';
import { sesRegions } from '../../shared/composition/environment.js';
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

/**
 * What the page learns about the runtime serving it: that it is the local one (so local-only
 * helpers such as publishing DNS records may be offered) and the Amazon SES regions on offer.
 */
export function consoleConfig(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  let regions: string[] = [];
  try {
    regions = sesRegions(env);
  } catch {
    regions = []; // A malformed SES_REGIONS stops the SES routes with its own message; the page still loads.
  }
  return { localRuntime: true, localSesSandbox: Boolean(env.AWS_ENDPOINT_URL_SESV2), sesRegions: regions };
}

/** `GET /`: the reference console page (Settings → Integrations). */
export const consolePageEndpoint: LocalEndpoint = {
  method: 'GET',
  path: '/',
  description: 'the reference console page: SendGrid, Amazon SES domains, Activity',
  async handle() {
    const page = await readFile(`${consoleDir}index.html`, 'utf8');
    // JSON inside <script>: "<" escaped, so no value can close the element.
    const config = JSON.stringify(consoleConfig()).replace(/</g, '\\u003c');
    return asset(
      page.replace(
        '<script type="application/json" id="console-config">{}</script>',
        () => `<script type="application/json" id="console-config">${config}</script>`,
      ),
      'text/html; charset=utf-8',
    );
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
