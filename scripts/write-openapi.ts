import { writeFileSync } from 'node:fs';
import { buildOpenApiDocument } from '../shared/http/openapi-document.js';

/** `npm run openapi`: writes docs/openapi.json for the console team (the local runtime also serves it). */
const target = new URL('../docs/openapi.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);
