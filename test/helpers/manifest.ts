/** Validates a manifest against schema/manifest.schema.json. */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

export function manifestValidator(): (value: unknown) => string[] {
  const schema = JSON.parse(
    readFileSync(new URL('../../schema/manifest.schema.json', import.meta.url), 'utf8'),
  );
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  return (value) =>
    validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
