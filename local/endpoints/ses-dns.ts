import * as z from 'zod';
import { jsonResponse, problemResponse } from '../../shared/http/problem-response.js';
import { normalizeDomain } from '../../shared/ses-domains/domain-rules.js';
import type { LocalEndpoint } from '../local-endpoints.js';

const publishBody = z.strictObject({ domain: z.string().min(1).max(253), region: z.string().max(40).optional() });

/**
 * `POST /local/ses/publish-records {domain, region?}`: publishes the DNS records SES asks for
 * that domain in the local DNS server, as the domain's owner would at their DNS host. It
 * forwards to the SES sandbox's control API, which the console page cannot call itself (another
 * port, no CORS on purpose); the runtime's own guard (loopback Host, same Origin) covers it.
 */
export const sesPublishRecordsEndpoint: LocalEndpoint = {
  method: 'POST',
  path: '/local/ses/publish-records',
  description: 'publishes a domain’s SES DNS records in the local DNS server (as its owner would), {domain, region?}',
  async handle({ body }) {
    const sandbox = process.env.AWS_ENDPOINT_URL_SESV2;
    if (!sandbox)
      return problemResponse('route_not_found', 'No SES sandbox runs here (AWS_ENDPOINT_URL_SESV2 is unset).');
    let input: z.infer<typeof publishBody>;
    let domain: string;
    try {
      input = publishBody.parse(JSON.parse(body || '{}'));
      domain = normalizeDomain(input.domain);
    } catch {
      return problemResponse('invalid_request', 'Send {"domain": "acme.example", "region": "eu-west-1"?}.', {
        field: 'domain',
      });
    }
    const answer = await fetch(`${sandbox}/__ses/dns/identities/${encodeURIComponent(domain)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input.region ? { region: input.region } : {}),
    });
    const text = await answer.text();
    if (!answer.ok) {
      return problemResponse('invalid_request', `The SES sandbox did not publish the records: ${text.slice(0, 300)}`, {
        field: 'domain',
      });
    }
    return jsonResponse(201, JSON.parse(text) as unknown);
  },
};
