/**
 * Reading a Cog OpenAPI document (a version's `openapi_schema`) the way the fake needs it: the `Input`
 * schema as a self-contained JSON Schema for Ajv (`#/components/schemas/X` refs rewritten to `$defs`),
 * the same with its `allOf` enum wrappers inlined (for finding file inputs and for the output makers),
 * and what the `Output` schema says the model returns.
 */
import type { ModelKind } from '../../src/models/catalog.js';

type Json = Record<string, unknown>;

/** How a version returns its result (the catalog's three shapes, plus one string and an object of files). */
export type FakeOutputShape = 'file' | 'file-array' | 'text-tokens' | 'text' | 'file-object';

const COMPONENT_REF = '#/components/schemas/';

function schemasOf(doc: Json): Record<string, Json> {
  const components = (doc.components ?? {}) as { schemas?: Record<string, Json> };
  return components.schemas ?? {};
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) =>
      key === '$ref' && typeof inner === 'string' && inner.startsWith(COMPONENT_REF)
        ? [key, `#/$defs/${inner.slice(COMPONENT_REF.length)}`]
        : [key, rewriteRefs(inner)],
    ),
  );
}

/** Names of the component schemas `value` refers to, directly or through other components. */
function referenced(value: unknown, schemas: Record<string, Json>, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) referenced(item, schemas, found);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith(COMPONENT_REF)) {
        const name = inner.slice(COMPONENT_REF.length);
        if (!found.has(name)) {
          found.add(name);
          referenced(schemas[name], schemas, found);
        }
      } else referenced(inner, schemas, found);
    }
  }
  return found;
}

/** `Input` as one JSON Schema Ajv can compile on its own (throws when the document has no `Input`). */
export function inputJsonSchema(doc: Json): Json {
  const schemas = schemasOf(doc);
  const input = schemas.Input;
  if (typeof input !== 'object' || input === null) {
    throw new Error('openapi_schema has no components.schemas.Input');
  }
  const defs = Object.fromEntries([...referenced(input, schemas)].map((name) => [name, schemas[name] ?? {}]));
  return { ...(rewriteRefs(input) as Json), $defs: rewriteRefs(defs) };
}

function resolved(schema: Json, schemas: Record<string, Json>, depth = 0): Json {
  if (depth > 8) return schema;
  const target = typeof schema.$ref === 'string' ? schema.$ref : undefined;
  if (target?.startsWith(COMPONENT_REF)) {
    const { $ref: _ref, ...rest } = schema;
    const named = schemas[target.slice(COMPONENT_REF.length)] ?? {};
    return { ...resolved(named, schemas, depth + 1), ...rest };
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length === 1) {
    const { allOf, ...rest } = schema;
    return { ...resolved(allOf[0] as Json, schemas, depth + 1), ...rest };
  }
  return schema;
}

/** `Input` with its single-`allOf` and `$ref` wrappers merged into each property (enums, types inline). */
export function inlineInputSchema(doc: Json): Json {
  const schemas = schemasOf(doc);
  const input = (schemas.Input ?? {}) as Json;
  const properties = Object.fromEntries(
    Object.entries((input.properties ?? {}) as Record<string, Json>).map(([key, prop]) => [
      key,
      resolved(prop, schemas),
    ]),
  );
  return { ...input, properties };
}

const isUri = (schema: Json | undefined): boolean => schema?.type === 'string' && schema.format === 'uri';

export function outputSchemaOf(doc: Json): Json {
  const schemas = schemasOf(doc);
  return resolved((schemas.Output ?? { type: 'string', format: 'uri' }) as Json, schemas);
}

/** What `Output` declares: file URI(s), an object of files, text tokens (iterator) or one string. */
export function outputShapeOf(doc: Json): FakeOutputShape {
  const output = outputSchemaOf(doc);
  if (isUri(output)) return 'file';
  if (output.type === 'array') return isUri(output.items as Json | undefined) ? 'file-array' : 'text-tokens';
  if (output.type === 'object') return 'file-object';
  return 'text';
}

/** Input fields that take files (`format: uri`, or an array of them), in `x-order`. */
export function fileInputsOf(inline: Json): string[] {
  const properties = (inline.properties ?? {}) as Record<string, Json>;
  return Object.entries(properties)
    .filter(([, prop]) => isUri(prop) || (prop.type === 'array' && isUri(prop.items as Json | undefined)))
    .sort(([, a], [, b]) => Number(a['x-order'] ?? 0) - Number(b['x-order'] ?? 0))
    .map(([key]) => key);
}

/** A kind for the output makers when the model's spec names none: text for text, else a generator. */
export function guessKind(doc: Json): ModelKind {
  const shape = outputShapeOf(doc);
  return shape === 'text' || shape === 'text-tokens' ? 'text' : 'text-to-image';
}
