import { buildOpenApiDocument } from '../../shared/http/openapi-document.js';
import { jsonResponse } from '../../shared/http/problem-response.js';
import type { LocalEndpoint } from '../local-endpoints.js';

/** `GET /openapi.json`: the API's contract, generated from the handlers' own schemas. */
export const openApiEndpoint: LocalEndpoint = {
  method: 'GET',
  path: '/openapi.json',
  description: 'the OpenAPI 3.1 document of the HTTP API',
  async handle({ request }) {
    return jsonResponse(200, buildOpenApiDocument({ serverUrl: `http://${request.headers.host ?? '127.0.0.1:3000'}` }));
  },
};
