/**
 * The compiled JSON Schema validators a validation run needs: the recipe schema and each catalogued
 * model's input schema (compiled on first use). Created per load call and passed along — never global.
 */
import { readFileSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { Catalog, CatalogModel } from '../models/catalog.js';
import { schemaPath } from '../paths.js';

export interface Validators {
  catalog: Catalog;
  /** Validates a whole recipe against schema/recipe.schema.json (no defaults applied). */
  recipe: ValidateFunction;
  /** Validates a model input, applying the schema's defaults to the object it is given. */
  modelInput(model: CatalogModel): ValidateFunction;
}

export function createValidators(catalog: Catalog): Validators {
  const recipeAjv = new Ajv2020({ allErrors: true, strict: false, verbose: true });
  addFormats.default(recipeAjv);
  const recipeSchema = JSON.parse(readFileSync(schemaPath('recipe.schema.json'), 'utf8')) as object;
  const recipe = recipeAjv.compile(recipeSchema);

  const modelAjv = new Ajv2020({ allErrors: true, strict: false, verbose: true, useDefaults: true });
  addFormats.default(modelAjv);
  const compiled = new Map<string, ValidateFunction>();
  return {
    catalog,
    recipe,
    modelInput(model) {
      // The same model may come with two schemas (the catalog's, a fetched version's).
      const key = `${model.ref}\n${model.fetched?.schemaHash ?? model.version}`;
      let validate = compiled.get(key);
      if (validate === undefined) {
        validate = modelAjv.compile(model.inputSchema);
        compiled.set(key, validate);
      }
      return validate;
    },
  };
}
