import { readFileSync } from 'node:fs';
import { referenceDocument } from '../reference-documents.js';

/** The namespace of every SESv2 shape id. */
export const NAMESPACE = 'com.amazonaws.sesv2#';

/** Traits as the Smithy JSON AST writes them. */
export type Traits = Record<string, unknown>;

/** A member of a structure, union, list (`member`) or map (`key`, `value`). */
export interface ShapeMember {
  target: string;
  traits?: Traits;
}

/** One shape of the model, as the Smithy JSON AST writes it. */
export interface Shape {
  type: string;
  members?: Record<string, ShapeMember>;
  member?: ShapeMember;
  key?: ShapeMember;
  value?: ShapeMember;
  traits?: Traits;
  input?: { target: string };
  output?: { target: string };
  errors?: { target: string }[];
}

/** An operation's HTTP binding (`smithy.api#http`). */
export interface HttpBinding {
  method: string;
  uri: string;
  code: number;
}

/** An operation with its HTTP binding and shapes. */
export interface ModelOperation {
  name: string;
  http: HttpBinding;
  input: string;
  output: string;
  errors: string[];
}

/** The SESv2 Smithy model (model/sesv2.smithy.json, see model/LICENSE-NOTE.md). */
export interface SmithyModel {
  shape(id: string): Shape;
  operations: ModelOperation[];
  operation(name: string): ModelOperation;
  /** The HTTP status an error shape declares (`smithy.api#httpError`), 400 for client errors without one. */
  errorStatus(errorName: string): number | undefined;
}

let loaded: SmithyModel | undefined;

/** Loads the model once per process (it is about 1 MB of JSON). */
export function sesv2Model(): SmithyModel {
  loaded ??= parseModel(
    readFileSync(
      referenceDocument('ses/sesv2.smithy.json', new URL('./model/sesv2.smithy.json', import.meta.url)),
      'utf8',
    ),
  );
  return loaded;
}

/** Builds the lookup helpers over a model's JSON text. */
export function parseModel(text: string): SmithyModel {
  const { shapes } = JSON.parse(text) as { shapes: Record<string, Shape> };
  const shape = (id: string): Shape => {
    const found = shapes[id.includes('#') ? id : `${NAMESPACE}${id}`];
    if (!found) throw new Error(`The model has no shape ${id}.`);
    return found;
  };
  const operations: ModelOperation[] = Object.entries(shapes)
    .filter(([, entry]) => entry.type === 'operation')
    .map(([id, entry]) => ({
      name: id.slice(id.indexOf('#') + 1),
      http: entry.traits?.['smithy.api#http'] as HttpBinding,
      input: entry.input?.target ?? 'smithy.api#Unit',
      output: entry.output?.target ?? 'smithy.api#Unit',
      errors: (entry.errors ?? []).map((error) => error.target.slice(error.target.indexOf('#') + 1)),
    }));
  const byName = new Map(operations.map((operation) => [operation.name, operation]));
  return {
    shape,
    operations,
    operation: (name) => {
      const operation = byName.get(name);
      if (!operation) throw new Error(`The model has no operation ${name}.`);
      return operation;
    },
    errorStatus: (errorName) => {
      const entry = shapes[`${NAMESPACE}${errorName}`];
      if (!entry?.traits?.['smithy.api#error']) return undefined;
      return (entry.traits['smithy.api#httpError'] as number | undefined) ?? 400;
    },
  };
}
