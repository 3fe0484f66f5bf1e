/**
 * Reading a model version's Cog OpenAPI document (`openapi_schema`, OpenAPI 3.0.2 as Cog writes it) into
 * what assetgen validates against: `components.schemas.Input` as one self-contained draft 2020-12 JSON
 * Schema — each `$ref` to a component (Cog puts every enum in one) and each single-member `allOf` wrapper
 * merged into the property, `x-order`, defaults, bounds and `format: uri` kept — and `Output` as the shape
 * of what the model returns.
 */

type Json = Record<string, unknown>;

/** How a model returns its result. */
export type CogOutputShape =
  /** One file URI. */
  | 'file'
  /** An array of file URIs. */
  | 'file-array'
  /** An object whose members are file URIs (or arrays of them). */
  | 'file-object'
  /** Text streamed as tokens (`x-cog-array-type: iterator`), joined (`x-cog-array-display: concatenate`). */
  | 'text-tokens'
  /** One string. */
  | 'text';

export interface CogSchema {
  /** Draft 2020-12, `type: object`, properties in `x-order`. */
  input: Json;
  /** `Output` with its wrappers resolved. */
  output: Json;
  outputShape: CogOutputShape;
}

const COMPONENT_REF = '#/components/schemas/';
const MAX_DEPTH = 16;

const isJson = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function componentsOf(doc: Json): Record<string, Json> {
  const components = isJson(doc.components) ? doc.components : {};
  return isJson(components.schemas) ? (components.schemas as Record<string, Json>) : {};
}

/**
 * `schema` with `$ref`s to components replaced by the component (the referring schema's own keys win:
 * `default`, `description`, `x-order` sit beside the `allOf`), single-member `allOf`s merged in, and the
 * same inside `items`, `properties`, `anyOf`/`oneOf` and many-member `allOf`s.
 */
function resolve(schema: unknown, components: Record<string, Json>, depth = 0): unknown {
  if (Array.isArray(schema)) return schema.map((item) => resolve(item, components, depth + 1));
  if (!isJson(schema) || depth > MAX_DEPTH) return schema;
  const { $ref, allOf, ...rest } = schema;
  let base: Json = {};
  if (typeof $ref === 'string' && $ref.startsWith(COMPONENT_REF)) {
    const named = resolve(components[$ref.slice(COMPONENT_REF.length)] ?? {}, components, depth + 1);
    if (isJson(named)) {
      // Cog describes every enum component as "An enumeration.": the property's own words matter.
      const { description, ...fields } = named;
      base = description === 'An enumeration.' ? fields : named;
    }
  }
  if (Array.isArray(allOf) && allOf.length === 1) {
    const inner = resolve(allOf[0], components, depth + 1);
    if (isJson(inner)) base = { ...base, ...inner };
  } else if (Array.isArray(allOf)) {
    rest.allOf = resolve(allOf, components, depth + 1);
  }
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(rest)) {
    if (key === 'properties' && isJson(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, prop]) => [name, resolve(prop, components, depth + 1)]),
      );
    } else if (key === 'items' || key === 'anyOf' || key === 'oneOf' || key === 'additionalProperties') {
      out[key] = resolve(value, components, depth + 1);
    } else out[key] = value;
  }
  // OpenAPI 3.0's `nullable` is no JSON Schema keyword: a nullable input also takes null.
  if (out.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  delete out.nullable;
  return out;
}

const order = (prop: unknown): number =>
  isJson(prop) && typeof prop['x-order'] === 'number' ? prop['x-order'] : Number.MAX_SAFE_INTEGER;

/** The `Input` schema as draft 2020-12 (throws when the document has none). */
export function cogInputSchema(doc: Json): Json {
  const components = componentsOf(doc);
  const input = components.Input;
  if (!isJson(input)) throw new Error('the openapi_schema has no components.schemas.Input');
  const resolved = resolve(input, components) as Json;
  const properties = isJson(resolved.properties) ? resolved.properties : {};
  const sorted = Object.entries(properties).sort(([, a], [, b]) => order(a) - order(b));
  const schema: Json = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...resolved,
    type: 'object',
    properties: Object.fromEntries(sorted),
  };
  return schema;
}

export function cogOutputSchema(doc: Json): Json {
  const components = componentsOf(doc);
  const output = components.Output;
  return isJson(output) ? (resolve(output, components) as Json) : { type: 'string', format: 'uri' };
}

const isUri = (schema: unknown): boolean =>
  isJson(schema) && schema.type === 'string' && schema.format === 'uri';
const isUriList = (schema: unknown): boolean =>
  isJson(schema) && schema.type === 'array' && isUri(schema.items);

/** What `Output` declares: files (one, a list, an object of them), text tokens, or one string. */
export function outputShapeOf(output: Json): CogOutputShape {
  if (isUri(output)) return 'file';
  if (output.type === 'array') return isUri(output.items) ? 'file-array' : 'text-tokens';
  if (output.type === 'object' && isJson(output.properties)) {
    const members = Object.values(output.properties);
    if (members.some((member) => isUri(member) || isUriList(member))) return 'file-object';
  }
  return 'text';
}

/** The whole reading of one document. */
export function readCogSchema(doc: Json): CogSchema {
  const input = cogInputSchema(doc);
  const output = cogOutputSchema(doc);
  return { input, output, outputShape: outputShapeOf(output) };
}

/** Whether an input property takes a file: `format: uri`, or a list of them. */
export function isFileProperty(prop: unknown): boolean {
  return isUri(prop) || isUriList(prop) || (isJson(prop) && prop['x-replicate-file'] === true);
}
