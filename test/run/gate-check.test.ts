/** The gates one by one, on real pictures: what each refuses and lets through, and how a step's gates resolve. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_GATES, resolveGates } from '../../src/plan/quality-gates.js';
import { checkResult, upscaleFactor } from '../../src/run/gate-check.js';
import { markedPng } from '../helpers/marked-png.js';

let dir: string;
const files: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assetgen-gate-check-'));
  const pictures: Record<string, Promise<Buffer>> = {
    black: sharp({ create: { width: 256, height: 256, channels: 3, background: '#000' } })
      .jpeg()
      .toBuffer(),
    flatGrey: sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } })
      .webp()
      .toBuffer(),
    marked: markedPng(64, 64, '#336699'),
    clear: sharp({
      create: { width: 64, height: 64, channels: 4, background: { r: 9, g: 9, b: 9, alpha: 0 } },
    })
      .png()
      .toBuffer(),
    cutOut: markedPng(64, 64, { r: 0, g: 0, b: 0, alpha: 0 }, 4),
    opaque: markedPng(64, 64, '#336699', 4),
    big: markedPng(128, 128, '#336699'),
  };
  for (const [name, bytes] of Object.entries(pictures)) {
    files[name] = join(dir, `${name}.img`);
    await writeFile(files[name], await bytes);
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const path = (name: string) => files[name] ?? '';

describe('gates on pictures', () => {
  const blank = { retries: 1, blank: { minStdev: 2 } };
  it('refuses a black or one-colour picture and says its colour', async () => {
    expect(await checkResult(blank, { images: [path('black')] })).toEqual({
      gate: 'blank',
      reason: 'the picture is blank (all #000000, spread 0.0)',
    });
    expect((await checkResult(blank, { images: [path('flatGrey')] }))?.reason).toContain('#808080');
    expect(await checkResult(blank, { images: [path('marked')] })).toBeUndefined();
    expect((await checkResult(blank, { images: [path('marked'), path('clear')] }))?.reason).toBe(
      'picture 2 of 2 is blank (fully transparent, spread 0.0)',
    );
  });

  it('refuses a cut-out that keeps almost nothing or everything', async () => {
    const alpha = { retries: 1, alpha: { ...DEFAULT_GATES.alpha } };
    expect((await checkResult(alpha, { images: [path('clear')] }))?.reason).toBe(
      'the cut-out keeps almost nothing (0.0 % of its pixels opaque)',
    );
    expect((await checkResult(alpha, { images: [path('marked')] }))?.reason).toBe(
      'the cut-out keeps almost everything (no transparency at all)',
    );
    expect((await checkResult(alpha, { images: [path('opaque')] }))?.reason).toBe(
      'the cut-out keeps almost everything (no transparency at all)',
    );
    expect(await checkResult(alpha, { images: [path('cutOut')] })).toBeUndefined();
    expect(
      await checkResult({ retries: 0, alpha: { min: 0.1, max: 1 } }, { images: [path('cutOut')] }),
    ).toMatchObject({
      gate: 'alpha',
    });
  });

  it('refuses an upscale of the wrong size', async () => {
    const size = { retries: 1, size: true as const };
    expect(
      await checkResult(size, { images: [path('big')], upscaleOf: { width: 64, height: 64, factor: 2 } }),
    ).toBeUndefined();
    expect(
      await checkResult(size, { images: [path('big')], upscaleOf: { width: 64, height: 64, factor: 4 } }),
    ).toEqual({
      gate: 'size',
      reason: 'the picture is 128×128, expected 256×256 (64×64 × 4)',
    });
    expect(
      await checkResult(size, {
        images: [path('marked')],
        upscaleOf: { width: 64, height: 64, factor: undefined },
      }),
    ).toEqual({
      gate: 'size',
      reason: 'the picture is 64×64, not larger than its 64×64 input',
    });
    expect(upscaleFactor({ scale: 4 })).toBe(4);
    expect(upscaleFactor({ upscale_factor: '2x' })).toBe(2);
    expect(upscaleFactor({ prompt: 'x' })).toBeUndefined();
  });

  it('refuses an empty text', async () => {
    const text = { retries: 1, text: { minChars: 1 } };
    expect(await checkResult(text, { images: [], text: ' \n ' })).toEqual({
      gate: 'text',
      reason: 'the model returned an empty text',
    });
    expect(await checkResult(text, { images: [], text: 'A mug.' })).toBeUndefined();
    expect(
      (await checkResult({ retries: 0, text: { minChars: 10 } }, { images: [], text: 'A mug.' }))?.reason,
    ).toBe('the text has 5 characters, fewer than checks.text.min_chars (10)');
  });
});

describe('which gates a step has', () => {
  it.each([
    ['text-to-image', undefined, undefined, { retries: 1, blank: { minStdev: 2 } }],
    ['upscale', undefined, undefined, { retries: 1, blank: { minStdev: 2 }, size: true }],
    ['background-removal', undefined, undefined, { retries: 1, alpha: { min: 0.01, max: 0.99 } }],
    ['text', undefined, undefined, { retries: 1, text: { minChars: 1 } }],
    ['text-to-image', { retries: 3 }, { blank: { min_stdev: 5 } }, { retries: 3, blank: { minStdev: 5 } }],
    [
      'text-to-image',
      { retries: 3 },
      { alpha: { min: 0.2 } },
      { retries: 3, blank: { minStdev: 2 }, alpha: { min: 0.2, max: 0.99 } },
    ],
    ['upscale', { size: false }, undefined, { retries: 1, blank: { minStdev: 2 } }],
    ['text-to-image', false, undefined, { retries: 0 }],
    ['text-to-image', false, { retries: 2 }, { retries: 2, blank: { minStdev: 2 } }],
    ['text-to-image', { retries: 2 }, false, { retries: 0 }],
    ['text', { blank: true }, undefined, { retries: 1, text: { minChars: 1 } }],
  ] as const)('%s with recipe %j and step %j', (kind, recipe, step, expected) => {
    expect(resolveGates(kind, recipe, step)).toEqual(expected);
  });
});
