import type { ShapeMember, SmithyModel, Traits } from './smithy-model.js';

/** One broken constraint: where, and what the member must do. */
export interface Violation {
  /** The member path as the model names it, e.g. `Destination.ToAddresses[0]`. */
  path: string;
  constraint: string;
}

/**
 * Checks a value against a shape of the model, the way the service's request validation does:
 * types, required members, `length` (characters of strings, entries of lists and maps, bytes of
 * blobs), `pattern`, enum values, `range`, and union members — through every nested shape.
 * Members the model does not know are ignored, as AWS's JSON protocols ignore them.
 */
export function validateShape(model: SmithyModel, value: unknown, target: string, path = ''): Violation[] {
  const violations: Violation[] = [];
  check(model, value, target, path, violations);
  return violations;
}

/** The message AWS's request validation answers with (`BadRequestException`), naming each member. */
export function validationMessage(violations: Violation[]): string {
  const count = violations.length;
  const details = violations
    .slice(0, 10)
    .map((violation) => `Value at '${violation.path}' failed to satisfy constraint: ${violation.constraint}`);
  return `${count} validation error${count === 1 ? '' : 's'} detected: ${details.join('; ')}`;
}

function check(model: SmithyModel, value: unknown, target: string, path: string, out: Violation[]): void {
  if (target === 'smithy.api#Unit' || target === 'smithy.api#Document') return;
  const shape = model.shape(target);
  const traits = shape.traits ?? {};
  const fail = (constraint: string): void => {
    out.push({ path: path || '(request)', constraint });
  };
  switch (shape.type) {
    case 'structure':
    case 'union': {
      if (!isObject(value)) {
        fail('Member must be an object');
        return;
      }
      const members = shape.members ?? {};
      if (shape.type === 'union') {
        const set = Object.keys(members).filter((name) => value[name] !== undefined && value[name] !== null);
        if (set.length !== 1) {
          fail('Member must have exactly one member set');
          return;
        }
      }
      for (const [name, member] of Object.entries(members)) {
        const memberPath = path ? `${path}.${name}` : name;
        const memberValue = value[name];
        if (memberValue === undefined || memberValue === null) {
          if (isRequired(member)) out.push({ path: memberPath, constraint: 'Member must not be null' });
          continue;
        }
        check(model, memberValue, member.target, memberPath, out);
      }
      return;
    }
    case 'list': {
      if (!Array.isArray(value)) {
        fail('Member must be a list');
        return;
      }
      checkLength(traits, value.length, fail);
      const member = shape.member as ShapeMember;
      value.forEach((item, index) => {
        if (item === null || item === undefined)
          out.push({ path: `${path}[${index}]`, constraint: 'Member must not be null' });
        else check(model, item, member.target, `${path}[${index}]`, out);
      });
      return;
    }
    case 'map': {
      if (!isObject(value)) {
        fail('Member must be a map');
        return;
      }
      const entries = Object.entries(value);
      checkLength(traits, entries.length, fail);
      for (const [key, entry] of entries) {
        check(model, key, (shape.key as ShapeMember).target, `${path}.key`, out);
        check(model, entry, (shape.value as ShapeMember).target, `${path}.${key}`, out);
      }
      return;
    }
    case 'string': {
      if (typeof value !== 'string') {
        fail('Member must be a string');
        return;
      }
      checkLength(traits, [...value].length, fail);
      const pattern = traits['smithy.api#pattern'];
      if (typeof pattern === 'string' && !compiled(pattern).test(value)) {
        fail(`Member must satisfy regular expression pattern: ${pattern}`);
      }
      return;
    }
    case 'enum': {
      const values = Object.values(shape.members ?? {}).map((member) => member.traits?.['smithy.api#enumValue']);
      if (typeof value !== 'string' || !values.includes(value)) {
        fail(`Member must satisfy enum value set: [${values.join(', ')}]`);
      }
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') fail('Member must be a boolean');
      return;
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        fail('Member must be an integer');
        return;
      }
      checkRange(traits, value, fail);
      return;
    case 'double':
    case 'float':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        fail('Member must be a number');
        return;
      }
      checkRange(traits, value, fail);
      return;
    case 'timestamp':
      // JSON bodies carry epoch seconds; labels and queries arrive already parsed into numbers.
      if (typeof value !== 'number' || !Number.isFinite(value)) fail('Member must be a timestamp in epoch seconds');
      return;
    case 'blob': {
      if (typeof value !== 'string' || !BASE64.test(value)) {
        fail('Member must be base64-encoded data');
        return;
      }
      checkLength(traits, Buffer.from(value, 'base64').length, fail);
      return;
    }
    default:
      return;
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isRequired(member: ShapeMember): boolean {
  // A required member with a default may be left out: the service fills the default in.
  const traits = member.traits ?? {};
  return traits['smithy.api#required'] !== undefined && traits['smithy.api#default'] === undefined;
}

function checkLength(traits: Traits, length: number, fail: (constraint: string) => void): void {
  const bounds = traits['smithy.api#length'] as { min?: number; max?: number } | undefined;
  if (bounds?.min !== undefined && length < bounds.min) {
    fail(`Member must have length greater than or equal to ${bounds.min}`);
  }
  if (bounds?.max !== undefined && length > bounds.max) {
    fail(`Member must have length less than or equal to ${bounds.max}`);
  }
}

function checkRange(traits: Traits, value: number, fail: (constraint: string) => void): void {
  const bounds = traits['smithy.api#range'] as { min?: number; max?: number } | undefined;
  if (bounds?.min !== undefined && value < bounds.min)
    fail(`Member must have value greater than or equal to ${bounds.min}`);
  if (bounds?.max !== undefined && value > bounds.max)
    fail(`Member must have value less than or equal to ${bounds.max}`);
}

const patterns = new Map<string, RegExp>();

/** Smithy patterns are ECMA-262 regular expressions, matched anywhere unless anchored. */
function compiled(pattern: string): RegExp {
  let regex = patterns.get(pattern);
  if (!regex) {
    regex = new RegExp(pattern, 'u');
    patterns.set(pattern, regex);
  }
  return regex;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
