import { type Violation, validateShape } from './model-validator.js';
import type { ModelOperation, ShapeMember, SmithyModel } from './smithy-model.js';

/** A request as the HTTP server read it. */
export interface SesHttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Buffer;
}

/** A request bound to its operation: the input as the SDK built it, and what is wrong with it. */
export interface BoundRequest {
  operation: ModelOperation;
  input: Record<string, unknown>;
  violations: Violation[];
}

/** Why a request could not be bound to an operation at all. */
export type BindingFailure = { kind: 'no_route' } | { kind: 'bad_json' };

interface Route {
  operation: ModelOperation;
  method: string;
  segments: string[];
  /** Every input member travels in the JSON body (the SDK routes the model does not have yet). */
  allInBody: boolean;
}

/**
 * Routes the installed `@aws-sdk/client-sesv2` uses that this model does not have yet: it lists
 * identities and configuration sets with a POST and an optional `Filter` map in the body
 * (docs/ses-facts.md, section 6). The body is judged by the operation's own input shape.
 */
const SDK_ROUTES: { operation: string; method: string; uri: string }[] = [
  { operation: 'ListEmailIdentities', method: 'POST', uri: '/v2/email/list-identities' },
  { operation: 'ListConfigurationSets', method: 'POST', uri: '/v2/email/list-configuration-sets' },
];

/** Matches requests to the model's operations by their `smithy.api#http` traits. */
export class RequestBinder {
  private readonly routes: Route[];

  constructor(private readonly model: SmithyModel) {
    const fromModel = model.operations.map((operation) => ({
      operation,
      method: operation.http.method,
      segments: segmentsOf(operation.http.uri),
      allInBody: false,
    }));
    const fromSdk = SDK_ROUTES.map((route) => ({
      operation: model.operation(route.operation),
      method: route.method,
      segments: segmentsOf(route.uri),
      allInBody: true,
    }));
    // Literal segments win over labels: /tenants/get before /tenants/{TenantName}.
    const literals = (route: Route) => route.segments.filter((segment) => !segment.startsWith('{')).length;
    this.routes = [...fromModel, ...fromSdk].sort((a, b) => literals(b) - literals(a));
  }

  /** Binds a request to its operation and validates the input against the model. */
  bind(request: SesHttpRequest): BoundRequest | BindingFailure {
    const segments = request.path.split('/').filter((segment) => segment !== '');
    for (const route of this.routes) {
      if (route.method !== request.method) continue;
      const labels = matchSegments(route.segments, segments);
      if (!labels) continue;
      return this.bindTo(route, labels, request);
    }
    return { kind: 'no_route' };
  }

  private bindTo(route: Route, labels: Record<string, string>, request: SesHttpRequest): BoundRequest | BindingFailure {
    const inputShape = route.operation.input;
    const members = inputShape === 'smithy.api#Unit' ? {} : (this.model.shape(inputShape).members ?? {});
    const input: Record<string, unknown> = {};
    let body: Record<string, unknown> = {};
    const hasBodyMembers = route.allInBody || Object.values(members).some((member) => !isBound(member));
    if (hasBodyMembers && request.body.length > 0) {
      try {
        const parsed: unknown = JSON.parse(request.body.toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { kind: 'bad_json' };
        body = parsed as Record<string, unknown>;
      } catch {
        return { kind: 'bad_json' };
      }
    }
    for (const [name, member] of Object.entries(members)) {
      const traits = member.traits ?? {};
      if (route.allInBody || !isBound(member)) {
        if (body[name] !== undefined) input[name] = body[name];
      } else if (traits['smithy.api#httpLabel'] !== undefined) {
        if (labels[name] !== undefined) input[name] = this.fromText(member, [labels[name]]);
      } else if (typeof traits['smithy.api#httpQuery'] === 'string') {
        const values = request.query.getAll(traits['smithy.api#httpQuery']);
        if (values.length > 0) input[name] = this.fromText(member, values);
      }
    }
    const violations = inputShape === 'smithy.api#Unit' ? [] : validateShape(this.model, input, inputShape);
    if (route.allInBody && body.Filter !== undefined) {
      input.Filter = body.Filter;
      violations.push(...filterViolations(body.Filter));
    }
    return { operation: route.operation, input, violations };
  }

  /** Labels and query values arrive as text; the validator judges the typed value. */
  private fromText(member: ShapeMember, values: string[]): unknown {
    const shape = this.model.shape(member.target);
    if (shape.type === 'list') return values.map((value) => this.fromText(shape.member as ShapeMember, [value]));
    const text = values[0] ?? '';
    switch (shape.type) {
      case 'integer':
      case 'long':
        return /^-?\d+$/.test(text) ? Number(text) : text;
      case 'boolean':
        return text === 'true' ? true : text === 'false' ? false : text;
      case 'timestamp': {
        const millis = Date.parse(text);
        return Number.isNaN(millis) ? text : millis / 1000;
      }
      default:
        return text;
    }
  }
}

/** The region a SigV4-signed request was signed for (`Credential=<key>/<date>/<region>/ses/aws4_request`). */
export function signedRegion(authorization: string | undefined): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(authorization ?? '')?.[1];
}

function isBound(member: ShapeMember): boolean {
  const traits = member.traits ?? {};
  return traits['smithy.api#httpLabel'] !== undefined || traits['smithy.api#httpQuery'] !== undefined;
}

function segmentsOf(uri: string): string[] {
  return (uri.split('?')[0] ?? '').split('/').filter((segment) => segment !== '');
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const labels: Record<string, string> = {};
  for (const [index, segment] of pattern.entries()) {
    const value = actual[index] as string;
    if (segment.startsWith('{') && segment.endsWith('}')) {
      try {
        labels[segment.slice(1, -1)] = decodeURIComponent(value);
      } catch {
        return undefined;
      }
    } else if (segment !== value) {
      return undefined;
    }
  }
  return labels;
}

function filterViolations(filter: unknown): Violation[] {
  const valid =
    typeof filter === 'object' &&
    filter !== null &&
    !Array.isArray(filter) &&
    Object.values(filter).every((value) => typeof value === 'string');
  return valid ? [] : [{ path: 'Filter', constraint: 'Member must be a map of strings' }];
}
