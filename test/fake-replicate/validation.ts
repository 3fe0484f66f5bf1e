/**
 * Input validation of the fake, against the `Input` schema of the version's own Cog document (Ajv,
 * draft 2020-12), with Replicate's `422 Input validation failed` shapes: a `required` problem reads
 * `{type:'required', field:'input', description:'prompt is required'}`, others name `input.<field>`.
 */
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export interface InvalidField {
  type: string;
  field: string;
  description: string;
}

export interface InputChecker {
  validate(input: unknown): InvalidField[];
  /** A copy of `input` with the schema's defaults filled in. */
  withDefaults(input: Record<string, unknown>): Record<string, unknown>;
}

/** Compiles input schemas (one Ajv pair per server; each schema is compiled on first use). */
export function createInputCheckers() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const defaults = new Ajv2020({ strict: false, useDefaults: true, validateFormats: false });
  return (schema: Record<string, unknown>): InputChecker => {
    let validator: ReturnType<typeof ajv.compile> | undefined;
    let filler: ReturnType<typeof defaults.compile> | undefined;
    return {
      validate(input) {
        if (typeof input !== 'object' || input === null || Array.isArray(input)) {
          return [{ type: 'type', field: 'input', description: 'input must be an object' }];
        }
        // Both compiled at the first create, before any wait starts.
        validator ??= ajv.compile(schema);
        filler ??= defaults.compile(schema);
        if (validator(input)) return [];
        return (validator.errors ?? []).map(toInvalidField);
      },
      withDefaults(input) {
        filler ??= defaults.compile(schema);
        const copy = structuredClone(input);
        filler(copy);
        return copy;
      },
    };
  };
}

function toInvalidField(error: ErrorObject): InvalidField {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty?: string }).missingProperty);
    return { type: 'required', field: 'input', description: `${missing} is required` };
  }
  const field = path === '' ? 'input' : `input.${path}`;
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'maximum':
      return { type: 'less_than_equal', field, description: `Must be less than or equal to ${p.limit}` };
    case 'minimum':
      return {
        type: 'greater_than_equal',
        field,
        description: `Must be greater than or equal to ${p.limit}`,
      };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return { type: 'enum', field, description: `${path} must be one of the following: ${allowed}` };
    }
    case 'type':
      return { type: 'invalid_type', field, description: `Invalid type. Expected: ${p.type}` };
    case 'format':
      return { type: 'format', field, description: `Does not match format '${p.format}'` };
    default:
      return { type: error.keyword, field, description: error.message ?? 'is invalid' };
  }
}

/** `422 Input validation failed` detail text: one `- field: description` line each. */
export function invalidDetail(fields: InvalidField[]): string {
  return fields.map((f) => `- ${f.field}: ${f.description}\n`).join('');
}
