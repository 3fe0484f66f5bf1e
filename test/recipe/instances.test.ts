import { describe, expect, test } from 'vitest';
import { type AssetgenRecipe, expandInstances, variantLabel } from '../../src/recipe/index.js';

const base = { steps: [{ id: 'gen', image: [] }], outputs: [{ path: '{{ id }}.png' }] } as unknown as Pick<
  AssetgenRecipe,
  'steps' | 'outputs'
>;

describe('expandInstances', () => {
  test('every asset once per combination of variant values, in recipe order', () => {
    const recipe: AssetgenRecipe = {
      ...base,
      name: 'shots',
      vars: { style: 'studio', size: 'recipe-size', color: 'recipe-color' },
      assets: [
        { id: 'mug', color: 'blue', size: 'asset-size' },
        { id: 'lamp', n_legs: 3 },
      ],
      variants: { seed: [11, 42], size: ['S', 'Extra Large'] },
    };
    const instances = expandInstances(recipe);
    expect(instances.map((i) => `${i.assetId}/${i.variantLabel}`)).toEqual([
      'mug/seed-11_size-s',
      'mug/seed-11_size-extra-large',
      'mug/seed-42_size-s',
      'mug/seed-42_size-extra-large',
      'lamp/seed-11_size-s',
      'lamp/seed-11_size-extra-large',
      'lamp/seed-42_size-s',
      'lamp/seed-42_size-extra-large',
    ]);
    // Precedence: variant value > asset variable > recipe var; built-ins id, recipe, variant.
    expect(instances[1]).toEqual({
      assetId: 'mug',
      variant: { seed: 11, size: 'Extra Large' },
      variantLabel: 'seed-11_size-extra-large',
      vars: {
        style: 'studio',
        size: 'Extra Large',
        color: 'blue',
        seed: 11,
        id: 'mug',
        recipe: 'shots',
        variant: 'seed-11_size-extra-large',
      },
    });
    expect(instances[4]?.vars).toMatchObject({ color: 'recipe-color', n_legs: 3, id: 'lamp' });
  });

  test('without variants: one instance per asset with an empty label', () => {
    const recipe: AssetgenRecipe = { ...base, name: 'r', assets: [{ id: 'a' }, { id: 'b', x: true }] };
    expect(expandInstances(recipe)).toEqual([
      { assetId: 'a', variant: {}, variantLabel: '', vars: { id: 'a', recipe: 'r', variant: '' } },
      { assetId: 'b', variant: {}, variantLabel: '', vars: { x: true, id: 'b', recipe: 'r', variant: '' } },
    ]);
  });

  test('variantLabel slugs the values', () => {
    expect(variantLabel({ seed: 7, mood: 'Soft Light!' })).toBe('seed-7_mood-soft-light');
    expect(variantLabel({})).toBe('');
  });
});
