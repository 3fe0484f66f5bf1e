import { describe, expect, it } from 'vitest';
import { planStages } from '../../src/image/index.js';
import type { Operation } from '../../src/recipe/recipe-types.generated.js';

const names = (ops: Operation[]) => planStages(ops).map((stage) => stage.ops.map((op) => op.name).join('+'));

describe('planStages', () => {
  it('keeps operations in one pipeline while sharp’s order agrees with the recipe', () => {
    expect(names([{ trim: {} }, { resize: { width: 10 } }, { extend: { all: 1 } }, { sharpen: {} }])).toEqual(
      ['trim+resize+extend+sharpen'],
    );
    expect(
      names([{ flatten: {} }, { resize: { width: 10 } }, { flip: {} }, { rotate: { angle: 90 } }]),
    ).toEqual(['flatten+resize+flip+rotate']);
  });

  it('starts a new pipeline where sharp would reorder', () => {
    expect(names([{ resize: { width: 10 } }, { flatten: {} }])).toEqual(['resize', 'flatten']);
    expect(names([{ extend: { all: 1 } }, { resize: { width: 10 } }])).toEqual(['extend', 'resize']);
    expect(names([{ rotate: { angle: 90 } }, { flip: {} }])).toEqual(['rotate', 'flip']);
    expect(names([{ blur: { sigma: 1 } }, { blur: { sigma: 1 } }])).toEqual(['blur', 'blur']);
  });

  it('ends a pipeline after greyscale, before a crop that follows trim, and around composite', () => {
    expect(names([{ greyscale: {} }, { resize: { width: 10 } }])).toEqual(['greyscale', 'resize']);
    expect(names([{ trim: {} }, { crop: { width: 1, height: 1 } }])).toEqual(['trim', 'crop']);
    expect(names([{ resize: { width: 10 } }, { composite: { image: 'x.png' } }, { flip: {} }])).toEqual([
      'resize',
      'composite',
      'flip',
    ]);
  });

  it('records each operation’s position in the recipe', () => {
    const stages = planStages([{ resize: { width: 10 } }, { flatten: {} }]);
    expect(stages[1]?.ops[0]).toMatchObject({ index: 1, name: 'flatten' });
  });
});
