/** `--json` output: parsed line by line and checked against schema/events.schema.json. */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

export interface JsonLine {
  v: number;
  type: string;
  [field: string]: unknown;
}

/** Every line of stdout as JSON (throws on a line that is not, which a test then reports). */
export function parseJsonLines(out: string): JsonLine[] {
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JsonLine);
}

export function eventsValidator(): (line: unknown) => string[] {
  const schema = JSON.parse(
    readFileSync(new URL('../../schema/events.schema.json', import.meta.url), 'utf8'),
  );
  const validate = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
  return (line) => {
    if (validate(line)) return [];
    // oneOf reports every branch; the one whose `type` matched says what is wrong.
    const type = (line as { type?: unknown }).type;
    const errors = validate.errors ?? [];
    const own = errors.filter((e) => e.schemaPath.startsWith(`#/$defs/${String(type)}/`));
    return (own.length > 0 ? own : errors).map(
      (e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`,
    );
  };
}
