import type { SesEventBridgeEvent } from './sandbox-types.js';
import type { RegionState, SesState } from './ses-state.js';

/** What one operation works with: its validated input and the state of the region it was signed for. */
export interface OperationContext {
  /** The input, already checked against the model's input shape. */
  input: Record<string, unknown>;
  regionName: string;
  region: RegionState;
  state: SesState;
  now: Date;
  /** Hands SES-shaped events to the runtime's callback (after the answer, as SES does). */
  publish(events: SesEventBridgeEvent[]): void;
}

/** An operation the sandbox plays: answers the output shape's JSON or throws an SesError. */
export type OperationHandler = (context: OperationContext) => Record<string, unknown>;

/** Epoch seconds, as restJson1 writes timestamps in bodies. */
export function epochSeconds(iso: string | undefined): number | undefined {
  return iso === undefined ? undefined : Date.parse(iso) / 1000;
}

/** A page of items and the token for the next one (the offset, base64-encoded as SES's tokens look). */
export function page<T>(
  items: T[],
  input: Record<string, unknown>,
  defaultSize = 100,
): { items: T[]; nextToken?: string } {
  const size = typeof input.PageSize === 'number' && input.PageSize > 0 ? Math.min(input.PageSize, 1000) : defaultSize;
  const token = typeof input.NextToken === 'string' ? input.NextToken : undefined;
  const start = token ? Number.parseInt(Buffer.from(token, 'base64').toString('utf8'), 10) || 0 : 0;
  const slice = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(String(start + size)).toString('base64') : undefined;
  return next ? { items: slice, nextToken: next } : { items: slice };
}

/** Drops undefined members so the JSON answer carries only what is set. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}
