import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { OUTCOME_DETAIL_TYPES } from '../../shared/outcome-events/outcome-events.js';

/**
 * Checks an announced event's detail against its documented JSON Schema
 * (docs/events/<detail type as a slug>.schema.json): undefined when it matches, else what is wrong.
 * Throws for a detail type that has no documented schema.
 */
export type EventDetailCheck = (detailType: string, detail: unknown) => string | undefined;

/** One compiled validator per outcome detail type, the way a consumer of the events would check them. */
export function documentedEventSchemas(): EventDetailCheck {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  // The one format the schemas use, as RFC 3339 date-time (Ajv ships no formats of its own).
  ajv.addFormat(
    'date-time',
    (text: string) =>
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) && !Number.isNaN(Date.parse(text)),
  );
  const validators = new Map<string, ReturnType<typeof ajv.compile>>(
    Object.values(OUTCOME_DETAIL_TYPES).map((detailType) => {
      const slug = detailType.toLowerCase().replaceAll(' ', '-');
      const schema = JSON.parse(
        readFileSync(new URL(`../../docs/events/${slug}.schema.json`, import.meta.url), 'utf8'),
      );
      return [detailType, ajv.compile(schema)];
    }),
  );
  return (detailType, detail) => {
    const validate = validators.get(detailType);
    if (!validate) throw new Error(`no documented schema for "${detailType}"`);
    return validate(detail) ? undefined : ajv.errorsText(validate.errors);
  };
}
