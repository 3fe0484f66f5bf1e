import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../src/models/catalog.js';
import { outputShapeOf, readCogSchema } from '../../src/models/cog-schema.js';
import { buildOpenApiSchema } from '../fake-replicate/openapi.js';
import { loadRecordings } from '../fake-replicate/recordings.js';

type Json = Record<string, unknown>;

function compile(schema: Json) {
  const ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: true });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

describe('reading a Cog openapi_schema', () => {
  const recorded = (loadRecordings().json('sdxl_model_get_2024').latest_version as Json)
    .openapi_schema as Json;

  it('the recorded SDXL document: enums behind allOf/$ref inlined, own keys kept, x-order order, files, output', () => {
    const cog = readCogSchema(recorded);
    const properties = cog.input.properties as Record<string, Json>;
    expect(properties.scheduler).toEqual({
      enum: [
        'DDIM',
        'DPMSolverMultistep',
        'HeunDiscrete',
        'KarrasDPM',
        'K_EULER_ANCESTRAL',
        'K_EULER',
        'PNDM',
      ],
      type: 'string',
      title: 'scheduler',
      default: 'K_EULER',
      'x-order': 7,
      description: 'scheduler',
    });
    expect(properties.image).toMatchObject({ type: 'string', format: 'uri', 'x-order': 2 });
    expect(properties.num_outputs).toMatchObject({ type: 'integer', minimum: 1, maximum: 4, default: 1 });
    const order = Object.values(properties).map((p) => p['x-order']);
    expect(order).toEqual([...order].sort((a, b) => Number(a) - Number(b)));
    expect(Object.keys(properties)[0]).toBe('prompt');
    expect(cog.outputShape).toBe('file-array');
    expect(JSON.stringify(cog.input)).not.toContain('#/components');
  });

  it('the converted schema validates like Replicate: defaults applied, a wrong enum and a range refused', () => {
    const validate = compile(readCogSchema(recorded).input);
    const good: Json = { prompt: 'a cat', scheduler: 'DDIM' };
    expect(validate(good)).toBe(true);
    expect(good).toMatchObject({ width: 1024, num_outputs: 1, refine: 'no_refiner' });
    expect(validate({ scheduler: 'EULER' })).toBe(false);
    expect(validate.errors?.[0]).toMatchObject({ keyword: 'enum', instancePath: '/scheduler' });
    expect(validate({ num_outputs: 9 })).toBe(false);
  });

  it('every catalog model survives the trip through a Cog document (enums, defaults, bounds, required)', () => {
    for (const model of createCatalog().list()) {
      const cog = readCogSchema(buildOpenApiSchema(model.inputSchema));
      const mine = model.inputSchema.properties as Record<string, Json>;
      const theirs = cog.input.properties as Record<string, Json>;
      expect(Object.keys(theirs).sort(), model.ref).toEqual(Object.keys(mine).sort());
      for (const [name, prop] of Object.entries(mine)) {
        for (const key of ['enum', 'default', 'minimum', 'maximum', 'format', 'type'])
          expect(theirs[name]?.[key], `${model.ref} ${name}.${key}`).toEqual(prop[key]);
      }
      expect(cog.input.required ?? [], model.ref).toEqual(model.inputSchema.required ?? []);
      expect(cog.outputShape, model.ref).toBe(model.output);
    }
  });

  it.each([
    [{ type: 'string', format: 'uri' }, 'file'],
    [{ type: 'array', items: { type: 'string', format: 'uri' } }, 'file-array'],
    [
      {
        type: 'array',
        items: { type: 'string' },
        'x-cog-array-type': 'iterator',
        'x-cog-array-display': 'concatenate',
      },
      'text-tokens',
    ],
    [
      { type: 'object', properties: { image: { type: 'string', format: 'uri' }, seed: { type: 'integer' } } },
      'file-object',
    ],
    [
      { type: 'object', properties: { masks: { type: 'array', items: { type: 'string', format: 'uri' } } } },
      'file-object',
    ],
    [{ type: 'string' }, 'text'],
  ])('output %j reads as %s', (output, shape) => {
    expect(outputShapeOf(output)).toBe(shape);
    expect(readCogSchema(buildOpenApiSchema({ properties: {} }, output)).outputShape).toBe(shape);
  });

  it('nullable inputs take null; a document without Input is refused', () => {
    const doc = buildOpenApiSchema({ properties: { seed: { type: 'integer', nullable: true } } });
    expect(compile(readCogSchema(doc).input)({ seed: null })).toBe(true);
    expect(() => readCogSchema({ openapi: '3.0.2', components: { schemas: {} } })).toThrow(
      /no components\.schemas\.Input/,
    );
  });
});
