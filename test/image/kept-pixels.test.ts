/**
 * An image step's kept pixels (applyOperations `keepPixels`) must stand in exactly for its PNG: the PNG is
 * the same bytes either way, and an output encoded from the pixels is the same file as one encoded from
 * the decoded PNG — otherwise a run that kept them and a re-run that reads the cache would differ.
 */
import { describe, expect, it } from 'vitest';
import { applyOperations, encodeImage, encodeRaw } from '../../src/image/index.js';
import type { Operation } from '../../src/recipe/recipe-types.generated.js';
import { solid, texture, withRect } from './helpers.js';

const CHAINS: [string, Operation[]][] = [
  [
    'trim + contain resize',
    [{ trim: {} }, { resize: { width: 96, height: 96, fit: 'contain', background: '#ffffff' } }],
  ],
  [
    'crop, then rotate with a transparent fill',
    [
      { crop: { left: 4, top: 4, width: 60, height: 40 } },
      { rotate: { angle: 30, background: '#00000000' } },
    ],
  ],
  ['modulate + sharpen', [{ modulate: { brightness: 1.1, saturation: 0.8 } }, { sharpen: {} }]],
  ['blur + flip', [{ blur: { sigma: 2 } }, { flip: {} }]],
];

describe('kept pixels', () => {
  it.each(CHAINS)('%s: same PNG, and outputs identical to those from the decoded PNG', async (_name, ops) => {
    const sources = [
      await withRect(
        { width: 120, height: 90 },
        { left: 20, top: 15, width: 70, height: 50, colour: '#2a7' },
      ),
      await solid(80, 60, '#c3408080', 4),
      await texture(100, 70),
    ];
    for (const source of sources) {
      const plain = await applyOperations(source, ops, { baseDir: '.' });
      const kept = await applyOperations(source, ops, { baseDir: '.', keepPixels: true });
      expect(kept.data.equals(plain.data)).toBe(true);
      const pixels = kept.pixels;
      expect(pixels).toBeDefined();
      if (pixels === undefined) continue;
      for (const [format, width] of [
        ['webp', 48],
        ['avif', 40],
        ['png', undefined],
        ['jpeg', 64],
      ] as const) {
        const options = width === undefined ? {} : { width };
        const fromPng = await encodeImage(plain.data, format, options);
        const fromPixels = await encodeRaw(pixels, format, options);
        expect(fromPixels.data.equals(fromPng.data), `${format} ${width ?? ''}`).toBe(true);
      }
    }
  });

  it('are left out after greyscale, where raw pixels would lose the alpha band', async () => {
    const source = await solid(40, 30, '#80808080', 4);
    const kept = await applyOperations(source, [{ greyscale: {} }], { baseDir: '.', keepPixels: true });
    expect(kept.pixels).toBeUndefined();
  });
});
